"""A payer's inputs checked against a service's fields: pure, and every refusal names the
field and the reason. Values arrive as text (a form, a command line) or as integers (JSON)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from functools import cache

from catalogue.definitions import Service
from catalogue.errors import InvalidInput
from catalogue.model import FieldKind, Normalize, PayerField
from ledger.model import MAX_AMOUNT_MINOR

MAX_TEXT_LENGTH = 200
DIGITS = re.compile(r"^[0-9]{1,19}$")
COMPACTED = re.compile(r"[\s.\-]")

InputValue = str | int | date


def validate_inputs(
    service: Service, raw: Mapping[str, str | int], *, supplied: Collection[str] = ()
) -> dict[str, InputValue]:
    """The inputs as typed values (text normalised, numbers as int, dates as date).

    Fields in ``supplied`` are neither asked for nor checked: their caller fills them in
    (the procedures module gives a dossier its number).
    """
    known = {f.name for f in service.fields} - set(supplied)
    for name in sorted(raw):
        if name not in known:
            raise InvalidInput(name, "unknown_field", f"service {service.code} does not ask for {name!r}")
    values: dict[str, InputValue] = {}
    for field in service.fields:
        if field.name in supplied:
            continue
        value = raw.get(field.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if field.required:
                raise InvalidInput(field.name, "missing_field", f"required by service {service.code} ({field.label_en})")
            continue
        values[field.name] = parse_value(field, value)
    return values


def parse_value(field: PayerField, value: str | int) -> InputValue:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(field.name, "malformed", f"must be text or a whole number, not {type(value).__name__}")
    match field.kind:
        case FieldKind.TEXT:
            return _text(field, str(value))
        case FieldKind.INTEGER | FieldKind.AMOUNT:
            return _whole_number(field, value)
        case FieldKind.CHOICE:
            if str(value).strip() not in field.choices:
                raise InvalidInput(field.name, "not_allowed", f"must be one of {', '.join(field.choices)}, not {value!r}")
            return str(value).strip()
        case FieldKind.DATE:
            return _date(field, str(value).strip())


def _text(field: PayerField, value: str) -> str:
    match field.normalize:
        case Normalize.TRIM:
            value = value.strip()
        case Normalize.UPPER:
            value = value.strip().upper()
        case Normalize.COMPACT_UPPER:
            value = COMPACTED.sub("", value).upper()
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidInput(field.name, "too_long", f"must be at most {MAX_TEXT_LENGTH} characters")
    if field.pattern is not None and not _compiled(field.pattern).fullmatch(value):
        raise InvalidInput(field.name, "malformed", f"{value!r} is not a valid {field.label_en.lower()}")
    return value


def _whole_number(field: PayerField, value: str | int) -> int:
    if isinstance(value, str):
        if not DIGITS.match(value.strip()):
            unit = " of đồng (minor units)" if field.kind is FieldKind.AMOUNT else ""
            raise InvalidInput(field.name, "malformed", f"must be a whole number{unit}, digits only, not {value!r}")
        value = int(value.strip())
    lowest = 0 if field.minimum is None else max(0, field.minimum)
    highest = MAX_AMOUNT_MINOR if field.maximum is None else field.maximum
    if not lowest <= value <= highest:
        raise InvalidInput(field.name, "out_of_range", f"must be between {lowest:,} and {highest:,}, not {value:,}")
    return value


def _date(field: PayerField, text: str) -> date:
    try:
        if len(text) == 10:  # fromisoformat would also take 20250101, which no form should send
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidInput(field.name, "malformed", f"must be a date as YYYY-MM-DD, not {text!r}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
