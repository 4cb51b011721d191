"""VietQR payloads: EMVCo merchant-presented QR for NAPAS 247 transfers, both ways.

A VietQR is a string of EMVCo data objects, each ``tag`` (two digits) + ``length`` (two
digits, 01–99) + ``value``, some of them templates holding data objects of their own:

====  =========================================================================
00    payload format indicator, ``01``
01    point of initiation: ``11`` static (reused), ``12`` dynamic (one payment)
38    merchant account information, NAPAS's template:
        00 GUID ``A000000727`` · 01 beneficiary (00 acquirer BIN, 01 account or card
        number) · 02 service ``QRIBFTTA`` (to an account) or ``QRIBFTTC`` (to a card)
53    transaction currency, ``704`` (VND)
54    transaction amount, whole đồng (absent: the payer types it)
58    country code, ``VN``
62    additional data: 08 purpose of transaction, which carries our payment reference
63    CRC-16/CCITT-FALSE of everything before its value, ``6304`` included, in hex
====  =========================================================================

The citizen's banking app reads the purpose into the transfer's description, and the
bank statement brings it back: that is how a transfer is matched to its payment. Every
value is printable ASCII (the apps and the NAPAS switch do not agree on anything else),
and the purpose is at most 25 characters, EMVCo's limit for the sub-fields of 62.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, TypeVar

import msgspec

from providers.vietqr.errors import QRChecksumError, QRDecodeError, QREncodeError, VietQRError

NAPAS_GUID = "A000000727"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
MAX_VALUE_LENGTH = 99  # two length digits

_TWO_DIGITS = re.compile(r"[0-9]{2}")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_AMOUNT = re.compile(r"[0-9]{1,13}")
_Choice = TypeVar("_Choice", bound=enum.StrEnum)
_NAMES = {
    "00": "payload format indicator", "01": "point of initiation", "38": "NAPAS merchant account information",
    "53": "transaction currency", "54": "transaction amount", "58": "country code",
    "62": "additional data", "63": "CRC",
}


class Initiation(enum.StrEnum):
    STATIC = "11"  # printed once, paid many times; the payer enters the amount
    DYNAMIC = "12"  # made for one payment, with its amount and reference


class Service(enum.StrEnum):
    TO_ACCOUNT = "QRIBFTTA"
    TO_CARD = "QRIBFTTC"


class VietQR(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a VietQR says. The constraints are the ones VietQR apps accept."""

    acquirer_bin: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}\Z")]  # the beneficiary bank's NAPAS BIN
    account_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z]{1,19}\Z")]
    service: Service = Service.TO_ACCOUNT
    initiation: Initiation = Initiation.DYNAMIC
    amount_minor: Annotated[int, msgspec.Meta(gt=0, le=9_999_999_999_999)] | None = None  # VND, exponent 0
    purpose: Annotated[str, msgspec.Meta(pattern=r"^[\x20-\x7e]{1,25}\Z")] | None = None


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR.

    The check value of ``b"123456789"`` is ``0x29B1``.
    """
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        crc &= 0xFFFF
    return crc


def encode_tlv(tag: str, value: str) -> str:
    """One data object. Refuses what EMVCo cannot express: a tag that is not two digits,
    an empty value, or one longer than 99 characters (the length has two digits)."""
    if not _TWO_DIGITS.fullmatch(tag):
        raise QREncodeError(f"tag {tag!r} is not two digits")
    if not 1 <= len(value) <= MAX_VALUE_LENGTH:
        raise QREncodeError(f"data object {tag} is {len(value)} characters long; EMVCo allows 1 to {MAX_VALUE_LENGTH}")
    return f"{tag}{len(value):02d}{value}"


def decode_tlv(data: str, context: str = "payload") -> list[tuple[str, str]]:
    """Split ``data`` into ``(tag, value)`` pairs, refusing anything that does not tile
    exactly into data objects."""
    objects: list[tuple[str, str]] = []
    position = 0
    while position < len(data):
        tag, length = data[position:position + 2], data[position + 2:position + 4]
        if not _TWO_DIGITS.fullmatch(tag):
            raise QRDecodeError(f"{context}: at character {position}, {tag!r} is not a two-digit tag")
        if not _TWO_DIGITS.fullmatch(length):
            raise QRDecodeError(f"{context}: data object {tag} at character {position} has length {length!r},"
                                " not two digits")
        size = int(length)
        value = data[position + 4:position + 4 + size]
        if size == 0:
            raise QRDecodeError(f"{context}: data object {tag} at character {position} is empty")
        if len(value) < size:
            raise QRDecodeError(f"{context}: data object {tag} at character {position} declares {size} characters"
                                f" but only {len(value)} remain")
        objects.append((tag, value))
        position += 4 + size
    return objects


def encode_vietqr(qr: VietQR) -> str:
    """The payload string to render as a QR code."""
    qr = _validated(qr, QREncodeError)
    beneficiary = encode_tlv("00", qr.acquirer_bin) + encode_tlv("01", qr.account_number)
    merchant = encode_tlv("00", NAPAS_GUID) + encode_tlv("01", beneficiary) + encode_tlv("02", qr.service)
    parts = [encode_tlv("00", "01"), encode_tlv("01", qr.initiation), encode_tlv("38", merchant),
             encode_tlv("53", CURRENCY_VND)]
    if qr.amount_minor is not None:
        parts.append(encode_tlv("54", str(qr.amount_minor)))
    parts.append(encode_tlv("58", COUNTRY_VN))
    if qr.purpose is not None:
        parts.append(encode_tlv("62", encode_tlv("08", qr.purpose)))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def decode_vietqr(payload: str) -> VietQR:
    """Read a payload back, verifying its characters, CRC and structure.

    Raises :class:`QRChecksumError` when the CRC does not match and
    :class:`QRDecodeError` naming the data object for anything else. Data objects that
    a VietQR transfer does not need (merchant name, other schemes' templates, other
    sub-fields of 62) are checked for structure and otherwise ignored.
    """
    printable = _PRINTABLE_ASCII.match(payload)
    assert printable is not None  # the pattern matches the empty prefix at least
    if printable.end() != len(payload):
        position = printable.end()
        raise QRDecodeError(f"character {position} ({payload[position]!r}) is not printable ASCII")
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise QRDecodeError("the payload does not end with its CRC (data object 63: '6304' and four hex digits)")
    expected = f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}"
    if payload[-4:] != expected:
        raise QRChecksumError(payload[-4:], expected)

    objects = decode_tlv(payload)
    if objects[0] != ("00", "01"):
        tag, value = objects[0]
        raise QRDecodeError(f"the payload must start with data object 00 = '01', not {tag} = {value!r}")
    if objects[-1][0] != "63":
        raise QRDecodeError("data object 63 (CRC) must be the last")
    root = _by_tag(objects, "payload")
    # Checked in tag order, the order in which VietQR payloads write them.
    initiation = _member(Initiation, _required(root, "01", "payload"), "data object 01 (point of initiation)")
    merchant = _by_tag(decode_tlv(_required(root, "38", "payload"), "data object 38"), "data object 38")
    _expect(merchant, "00", NAPAS_GUID, context="data object 38")
    beneficiary = _by_tag(decode_tlv(_required(merchant, "01", "data object 38"), "data object 38.01"),
                          "data object 38.01")
    service = _member(Service, _required(merchant, "02", "data object 38"), "data object 38.02 (service code)")
    _expect(root, "53", CURRENCY_VND)
    amount_minor = _amount(root.get("54"))
    _expect(root, "58", COUNTRY_VN)
    return _validated(VietQR(
        acquirer_bin=_required(beneficiary, "00", "data object 38.01"),
        account_number=_required(beneficiary, "01", "data object 38.01"),
        service=service,
        initiation=initiation,
        amount_minor=amount_minor,
        purpose=_purpose(root.get("62")),
    ), QRDecodeError)


def _validated(qr: VietQR, error: type[VietQRError]) -> VietQR:
    if qr.purpose is not None and not (1 <= len(qr.purpose) <= 25 and _PRINTABLE_ASCII.fullmatch(qr.purpose)):
        raise error(f"purpose {qr.purpose!r} must be 1 to 25 printable ASCII characters (no diacritics)")
    # Constructing a Struct does not check its Meta constraints; converting does.
    try:
        return msgspec.convert(msgspec.to_builtins(qr), VietQR)
    except msgspec.ValidationError as problem:
        raise error(f"invalid VietQR: {problem}") from None


def _by_tag(objects: list[tuple[str, str]], context: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag, value in objects:
        if tag in found:
            raise QRDecodeError(f"{context}: data object {tag} appears twice")
        found[tag] = value
    return found


def _required(objects: dict[str, str], tag: str, context: str) -> str:
    if tag not in objects:
        name = f" ({_NAMES[tag]})" if context == "payload" and tag in _NAMES else ""
        raise QRDecodeError(f"{context}: data object {tag}{name} is missing")
    return objects[tag]


def _expect(objects: dict[str, str], tag: str, expected: str, context: str = "payload") -> None:
    value = _required(objects, tag, context)
    if value != expected:
        name = f" ({_NAMES[tag]})" if context == "payload" else ""
        raise QRDecodeError(f"{context}: data object {tag}{name} is {value!r}; a VietQR has {expected!r}")


def _member(kind: type[_Choice], value: str, what: str) -> _Choice:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise QRDecodeError(f"{what} is {value!r}; expected one of {allowed}") from None


def _amount(value: str | None) -> int | None:
    if value is None:
        return None
    if not _AMOUNT.fullmatch(value):
        raise QRDecodeError(f"data object 54 (transaction amount) is {value!r}; VND amounts are whole đồng")
    return int(value)


def _purpose(value: str | None) -> str | None:
    if value is None:
        return None
    return _by_tag(decode_tlv(value, "data object 62"), "data object 62").get("08")
