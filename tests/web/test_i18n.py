"""Every text in both languages: the same keys, the same placeholders, and every key a
template or handler names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.web.i18n import LANGUAGES, MESSAGE_DIRECTORIES, Messages, MissingMessage, all_messages, placeholders

GATEWAY = Path(__file__).parents[2] / "gateway"
# t("a.literal.key" ...) in templates and Python; keys built from a prefix ("…" ~ kind) are
# checked by the browser tests, which render every page.
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*[,)]""")


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    vietnamese, english = (all_messages().by_language[lang] for lang in LANGUAGES)
    assert vietnamese.keys() == english.keys()
    for key, text in vietnamese.items():
        assert placeholders(text) == placeholders(english[key]), key


def test_every_literal_key_in_the_pages_has_a_text() -> None:
    texts = all_messages().by_language["vi"]
    sources = [*GATEWAY.glob("*/templates/**/*.html"), *GATEWAY.glob("web/*.py"), *GATEWAY.glob("checkout/*.py")]
    used = {key for path in sources for key in LITERAL_KEY.findall(path.read_text())}
    assert used, "the pattern should find the keys"
    assert sorted(used - texts.keys()) == []


def test_a_key_defined_by_two_packages_is_refused(tmp_path: Path) -> None:
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "vi.json").write_text('{"same.key": "x"}')
    with pytest.raises(ValueError, match="same.key"):
        Messages.load([tmp_path / "one", tmp_path / "two"])


def test_a_missing_key_is_loud_and_placeholders_are_filled() -> None:
    t = Messages.load(MESSAGE_DIRECTORIES).translator("en")
    assert t("checkout.fines.pay", amount="5 ₫") == "Pay 5 ₫"
    with pytest.raises(MissingMessage):
        t("no.such.key")
