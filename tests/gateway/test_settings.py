import re
from pathlib import Path

import msgspec
import pytest

from gateway.settings import Settings, SettingsError, load_settings


def test_defaults_when_nothing_is_set():
    assert load_settings({}) == Settings()


def test_values_are_read_and_converted():
    settings = load_settings({"PUBLICPAY_POOL_MAX_SIZE": "40", "PUBLICPAY_MODE": "live", "PUBLICPAY_HOME": "/srv/pp",
                              "PATH": "/usr/bin"})
    assert (settings.pool_max_size, settings.mode, str(settings.home_path)) == (40, "live", "/srv/pp")


@pytest.mark.parametrize("environ, message", [
    ({"PUBLICPAY_POOL_MAX_SIZE": "many"}, "PUBLICPAY_POOL_MAX_SIZE: Expected `int`.*'many'"),
    ({"PUBLICPAY_POOL_MAX_SIZE": "0"}, "PUBLICPAY_POOL_MAX_SIZE: Expected `int` >= 1"),
    ({"PUBLICPAY_MODE": "production"}, "PUBLICPAY_MODE: Invalid enum value 'production'"),
    ({"PUBLICPAY_DATABSE_URL": "postgresql://x"}, "PUBLICPAY_DATABSE_URL is not a known setting"),
    ({"PUBLICPAY_POOL_MIN_SIZE": "30", "PUBLICPAY_POOL_MAX_SIZE": "10"}, "PUBLICPAY_POOL_MIN_SIZE: pool_min_size must not exceed"),
])
def test_bad_values_name_the_variable(environ, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


def test_every_setting_has_its_row_in_the_readme_s_configuration_table():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(PUBLICPAY_[A-Z_]+)` \|", table, re.MULTILINE))
    assert documented == {f"PUBLICPAY_{field.name.upper()}" for field in msgspec.structs.fields(Settings)}
