"""Texts the checkout's templates name by composing a key (``"checkout.provider." ~ code``)
exist for every value the code can produce, in both languages."""

from __future__ import annotations

import typing

import pytest

from catalogue.fees import FeeRule
from catalogue.model import DossierStatus, Provider
from gateway.checkout.status_view import KINDS
from gateway.web.i18n import LANGUAGES, all_messages

ERROR_PAGES = ("expired_form", "too_many_lookups", "not_found", "bad_request", "internal")
FEE_KINDS = [rule.__struct_config__.tag for rule in typing.get_args(FeeRule)]
COMPOSED = [
    *(f"checkout.provider.{code}" for code in typing.get_args(Provider)),
    *(f"checkout.dossier_status.{status}" for status in DossierStatus),
    *(f"checkout.status.{kind}_title" for kind in KINDS),
    *(f"checkout.status.{kind}_body" for kind in ("processing", "canceled", "failed", "transfer", "at_provider")),
    *(f"checkout.services.fee_{kind}" for kind in FEE_KINDS if kind not in ("fixed", "by_option", "percentage")),
    *(f"web.errors.{kind}.{part}" for kind in ERROR_PAGES for part in ("title", "body")),
    *(f"checkout.{journey}.{part}" for journey in ("fines", "electricity", "insurance")
      for part in ("title", "intro", "label", "hint")),
    *(f"checkout.dossier.{purpose}.title" for purpose in ("pay", "track")),
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_composed_key_has_a_text(lang: str) -> None:
    texts = all_messages().by_language[lang]
    assert [key for key in COMPOSED if key not in texts] == []
