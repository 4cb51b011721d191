"""What a citizen types to find what they owe, read the way they are likely to type it.

One box takes a penalty decision number or a plate: a decision number always has a slash
(``0012345/QĐ-XPVPHC``), a plate never has (``30A-123.45``). People without a Vietnamese
keyboard write ``QD`` for ``QĐ``. The catalogue's field definitions then normalise and
check the value, so the patterns live in one place (catalogue/data/seed.json)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from catalogue.errors import InvalidInput
from catalogue.model import PayerField
from catalogue.validation import parse_value

DECISION_FIELD, PLATE_FIELD = "decision_number", "plate_number"
_UNACCENTED_DECISION = re.compile(r"/\s*Q[DĐđ]\s*-", re.IGNORECASE)


class Lookup(NamedTuple):
    field: str  # the catalogue's field name
    value: str  # normalised as the catalogue wants it


def read_fine_lookup(text: str, fields: Mapping[str, PayerField]) -> Lookup:
    """A decision number or a plate, normalised; InvalidInput (field, code) otherwise."""
    text = text.strip()
    if not text:
        raise InvalidInput(DECISION_FIELD, "missing_field", "give a decision number or a plate")
    if "/" in text:
        decision = _UNACCENTED_DECISION.sub("/QĐ-", "".join(text.split()))
        return Lookup(DECISION_FIELD, str(parse_value(fields[DECISION_FIELD], decision)))
    return Lookup(PLATE_FIELD, str(parse_value(fields[PLATE_FIELD], text)))


def read_field(text: str, field: PayerField) -> str:
    """A single look-up field (customer code, social-insurance number), normalised."""
    if not text.strip():
        raise InvalidInput(field.name, "missing_field", f"give a {field.label_en.lower()}")
    return str(parse_value(field, text))
