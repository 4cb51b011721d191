"""A live gateway never runs on the sandboxes' public defaults: their secrets are in this
code, so a callback signed with them would be taken as the provider's, and their endpoints
would send live payments to a sandbox."""

import json

import msgspec
import pytest

from gateway.provider_setup import provider_configs
from gateway.settings import load_settings
from providers.registry import CODES, ProviderConfigs

OWN = {
    "vnpay": {"tmn_code": "LIVETMN1", "hash_secret": "own-hash-secret", "base_url": "https://vnpay.example"},
    "momo": {"partner_code": "MOMOLIVE", "access_key": "own-access-key", "secret_key": "own-secret-key",
             "base_url": "https://momo.example"},
    "vietqr": {"account_number": "9990001112223", "webhook_secret": "own-webhook-secret", "api_key": "own-api-key",
               "base_url": "https://bank.example"},
    "card": {"secret_key": "sk_live_own", "webhook_secret": "whsec_own", "base_url": "https://acquirer.example"},
}


def settings_with(tmp_path, mode: str, given: dict | None):
    environ = {"PUBLICPAY_MODE": mode, "PUBLICPAY_HOME": str(tmp_path)}
    if given is not None:
        (tmp_path / "providers.json").write_text(json.dumps(given))
        environ["PUBLICPAY_PROVIDERS_FILE"] = str(tmp_path / "providers.json")
    return load_settings(environ)


def test_live_mode_takes_a_file_that_gives_every_provider_its_own(tmp_path) -> None:
    configs = provider_configs(settings_with(tmp_path, "live", OWN))
    assert msgspec.to_builtins(configs.vnpay)["hash_secret"] == "own-hash-secret"


@pytest.mark.parametrize("code", CODES)
def test_live_mode_refuses_a_provider_left_to_the_sandbox_s_defaults(tmp_path, code: str) -> None:
    given = {other: fields for other, fields in OWN.items() if other != code}
    with pytest.raises(ValueError) as refused:
        provider_configs(settings_with(tmp_path, "live", given))
    required = type(getattr(ProviderConfigs(), code)).LIVE_REQUIRED
    assert f"{code}.base_url" in str(refused.value)
    assert all(f"{code}.{field}" in str(refused.value) for field in required)
    assert not any(f"{other}." in str(refused.value) for other in CODES if other != code)


def test_live_mode_refuses_one_public_secret_among_own_values(tmp_path) -> None:
    given = {**OWN, "vnpay": {**OWN["vnpay"], "hash_secret": "PUBLICPAYSANDBOXVNPAYHASHSECRET0"}}
    with pytest.raises(ValueError, match=r"defaults for vnpay\.hash_secret: give"):
        provider_configs(settings_with(tmp_path, "live", given))


def test_live_mode_without_a_providers_file_names_what_is_missing(tmp_path) -> None:
    with pytest.raises(ValueError, match="no PUBLICPAY_PROVIDERS_FILE leaves the sandbox's public defaults"):
        provider_configs(settings_with(tmp_path, "live", None))


def test_sandbox_mode_runs_on_the_defaults(tmp_path) -> None:
    configs = provider_configs(settings_with(tmp_path, "sandbox", None))
    assert configs.vnpay.hash_secret == ProviderConfigs().vnpay.hash_secret
