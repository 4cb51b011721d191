"""Every text a page shows, in Vietnamese and English, from JSON catalogues.

Why JSON and not gettext: a flat ``key → text`` file per language is what a translator
edits and a reviewer diffs, needs no compile step (gettext's ``.mo``) and no extra
dependency, and msgspec decodes it strictly at start-up. Keys are stable names
(``fines.title``) rather than the English sentence, so an English wording fix does not
orphan the Vietnamese one. ``tests/web/test_i18n.py`` checks that both languages have the
same keys and the same ``{placeholders}``.

Each package with pages keeps its own ``messages/<lang>.json`` (listed in
``MESSAGE_DIRECTORIES``); ``Messages.load`` merges them and refuses a key defined twice.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import msgspec

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_COOKIE = "lang"
WEB_MESSAGES = Path(__file__).parent / "messages"
_decode = msgspec.json.Decoder(dict[str, str])


class MissingMessage(KeyError):
    """A page asked for a key no catalogue defines: a bug, shown loudly in tests."""


@dataclass(frozen=True)
class Messages:
    by_language: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, directories: Iterable[Path]) -> Messages:
        merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        for directory in directories:
            for lang in LANGUAGES:
                path = directory / f"{lang}.json"
                if not path.exists():
                    continue
                for key, text in _decode.decode(path.read_bytes()).items():
                    if key in merged[lang]:
                        raise ValueError(f"{path}: message {key!r} is already defined by another catalogue")
                    merged[lang][key] = text
        return cls(merged)

    def translator(self, lang: str) -> Translator:
        return Translator(lang, self.by_language[lang])


@dataclass(frozen=True)
class Translator:
    """``t("checkout.fines.found_by_plate", count=2)``: the text in this language with its placeholders filled."""

    lang: str
    texts: Mapping[str, str]

    def __call__(self, key: str, /, **values: object) -> str:
        try:
            text = self.texts[key]
        except KeyError:
            raise MissingMessage(f"no {self.lang} text for {key!r}") from None
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.texts


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def choose_language(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


# One messages/ folder per package with pages; a folder that does not exist yet is skipped.
GATEWAY = Path(__file__).parent.parent
MESSAGE_DIRECTORIES = [GATEWAY / "web" / "messages", GATEWAY / "checkout" / "messages",
                       GATEWAY / "console" / "messages"]


@cache
def all_messages() -> Messages:
    return Messages.load(MESSAGE_DIRECTORIES)
