"""VietQR payloads: a worked example built by hand, payloads from other implementations,
round trips, and every single-character corruption caught."""

from __future__ import annotations

import binascii

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import vietqrs

from providers.vietqr.emvco import (
    Initiation,
    Service,
    VietQR,
    crc16_ccitt_false,
    decode_tlv,
    decode_vietqr,
    encode_tlv,
    encode_vietqr,
)
from providers.vietqr.errors import QRChecksumError, QRDecodeError, QREncodeError, VietQRError


def with_crc(body: str) -> str:
    """Append data object 63, computed with the standard library's CRC-CCITT (an
    implementation independent of ours)."""
    body += "6304"
    return body + f"{binascii.crc_hqx(body.encode('utf-8'), 0xFFFF):04X}"


def test_crc_check_value() -> None:
    # The catalogue check value of CRC-16/CCITT-FALSE.
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


@given(st.binary(max_size=300))
def test_crc_agrees_with_the_standard_library(data: bytes) -> None:
    assert crc16_ccitt_false(data) == binascii.crc_hqx(data, 0xFFFF)


# 200 000 VND to account 0011001932418 at BIN 970436, reference "PP pi_3F8A2", written out
# data object by data object.
WORKED_QR = VietQR(acquirer_bin="970436", account_number="0011001932418", amount_minor=200000, purpose="PP pi_3F8A2")
WORKED_PAYLOAD = (
    "000201"                      # 00 payload format indicator: 01
    "010212"                      # 01 point of initiation: 12, dynamic
    "3857"                        # 38 NAPAS merchant account information, 57 characters:
    "0010A000000727"              #    00 GUID
    "0127"                        #    01 beneficiary, 27 characters:
    "0006970436"                  #       00 acquirer BIN
    "01130011001932418"           #       01 account number (13)
    "0208QRIBFTTA"                #    02 service: transfer to an account
    "5303704"                     # 53 currency: VND
    "5406200000"                  # 54 amount: 200000
    "5802VN"                      # 58 country
    "6215" "0811PP pi_3F8A2"      # 62 additional data: 08 purpose (11)
    "6304" "0CCD"                 # 63 CRC
)


def test_worked_example_by_hand() -> None:
    assert with_crc(WORKED_PAYLOAD[:-8]) == WORKED_PAYLOAD  # the CRC written above is right
    assert encode_vietqr(WORKED_QR) == WORKED_PAYLOAD
    assert decode_vietqr(WORKED_PAYLOAD) == WORKED_QR


@pytest.mark.parametrize(("payload", "expected"), [
    # README of the npm package napas-qr: with a bill number (62.01), which we ignore.
    ("00020101021238530010A0000007270123000697041601092245284790208QRIBFTTA53037045405100005802VN"
     "62340107NPS68690819TRANSFER TO SOMEONE6304AC13",
     VietQR(acquirer_bin="970416", account_number="224528479", amount_minor=10000, purpose="TRANSFER TO SOMEONE")),
    # README of the Go package subiz/vietqr.
    ("00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN"
     "62170813ung ho lu lut6304C15C",
     VietQR(acquirer_bin="970415", account_number="0011001932418", amount_minor=120000, purpose="ung ho lu lut")),
])
def test_decodes_payloads_from_other_implementations(payload: str, expected: VietQR) -> None:
    assert decode_vietqr(payload) == expected


def test_static_card_qr_without_amount_or_purpose() -> None:
    qr = VietQR(acquirer_bin="970422", account_number="9704229200000001", service=Service.TO_CARD,
                initiation=Initiation.STATIC)
    payload = encode_vietqr(qr)
    assert "010211" in payload and "QRIBFTTC" in payload and "54" not in payload.split("5802VN")[0][-20:]
    assert "62" not in payload.split("5802VN")[1][:2]
    assert decode_vietqr(payload) == qr


@given(vietqrs)
def test_decode_of_encode_is_identity(qr: VietQR) -> None:
    assert decode_vietqr(encode_vietqr(qr)) == qr


@given(vietqrs, st.data())
def test_any_single_character_substitution_is_detected(qr: VietQR, data: st.DataObject) -> None:
    payload = encode_vietqr(qr)
    index = data.draw(st.integers(0, len(payload) - 1), label="index")
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != payload[index]), label="replacement")
    with pytest.raises(VietQRError):
        decode_vietqr(payload[:index] + replacement + payload[index + 1:])


@given(vietqrs, st.data())
def test_a_dropped_or_added_character_is_detected(qr: VietQR, data: st.DataObject) -> None:
    payload = encode_vietqr(qr)
    index = data.draw(st.integers(0, len(payload) - 1), label="index")
    with pytest.raises(VietQRError):
        decode_vietqr(payload[:index] + payload[index + 1:])
    added = data.draw(st.characters(min_codepoint=0x20, max_codepoint=0x7E), label="added")
    with pytest.raises(VietQRError):
        decode_vietqr(payload[:index] + added + payload[index:])


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=99))
def test_lengths_are_two_digits(value: str) -> None:
    encoded = encode_tlv("62", value)
    assert encoded[:4] == f"62{len(value):02d}"
    assert decode_tlv(encoded) == [("62", value)]


@given(st.text(min_size=100, max_size=300))
def test_values_over_99_characters_are_refused(value: str) -> None:
    with pytest.raises(QREncodeError, match="EMVCo allows 1 to 99"):
        encode_tlv("62", value)


@pytest.mark.parametrize(("tag", "value"), [("62", ""), ("6", "x"), ("6A", "x"), ("620", "x")])
def test_tlv_refuses_empty_values_and_bad_tags(tag: str, value: str) -> None:
    with pytest.raises(QREncodeError):
        encode_tlv(tag, value)


@pytest.mark.parametrize(("change", "message"), [
    (dict(acquirer_bin="97043"), "acquirer_bin"),
    (dict(acquirer_bin="97O436"), "acquirer_bin"),
    (dict(account_number="0" * 20), "account_number"),
    (dict(account_number="0011-0019"), "account_number"),
    (dict(amount_minor=0), "amount_minor"),
    (dict(amount_minor=10**13), "amount_minor"),
    (dict(purpose="x" * 26), "1 to 25 printable ASCII"),
    (dict(purpose="Thanh toán lệ phí"), "no diacritics"),
    (dict(purpose=""), "1 to 25 printable ASCII"),
])
def test_encoder_refuses_what_apps_would_not_read(change: dict[str, object], message: str) -> None:
    with pytest.raises(QREncodeError, match=message):
        encode_vietqr(msgspec.structs.replace(WORKED_QR, **change))


BODY = WORKED_PAYLOAD[:-8]


@pytest.mark.parametrize(("payload", "message"), [
    (BODY, "does not end with its CRC"),
    (BODY + "6304" + "0ccd", "CRC \\(data object 63\\) is '0ccd'"),  # hex must be uppercase
    (BODY.replace("5303704", "5303840"), "CRC"),  # an edit without recomputing the CRC
    (with_crc(BODY.replace("5303704", "5303840")), "data object 53 \\(transaction currency\\) is '840'"),
    (with_crc(BODY.replace("5802VN", "5802US")), "data object 58 \\(country code\\) is 'US'"),
    (with_crc(BODY.replace("A000000727", "A000000775")), "data object 38: data object 00 is 'A000000775'"),
    (with_crc(BODY.replace("QRIBFTTA", "QRIBFTTX")), "38.02 \\(service code\\) is 'QRIBFTTX'"),
    (with_crc(BODY.replace("010212", "010213")), "data object 01 \\(point of initiation\\) is '13'"),
    (with_crc(BODY.replace("010212", "")), "data object 01 \\(point of initiation\\) is missing"),
    (with_crc(BODY.replace("5406200000", "540712500.5")), "whole đồng"),
    (with_crc(BODY.replace("5802VN", "5802VN5802VN")), "data object 58 appears twice"),
    (with_crc(BODY[6:]), "must start with data object 00"),
    (with_crc(BODY.replace("3857", "3850")), "at character 66, 'RI' is not a two-digit tag"),
    (with_crc("000201010212" "5303704" "5802VN"), "data object 38 \\(NAPAS merchant account information\\) is missing"),
    (with_crc(BODY.replace("0006970436", "00069704X6")), "acquirer_bin"),
    (with_crc(BODY.replace("PP pi_3F8A2", "PP pi_3F8Á2")), "not printable ASCII"),
    (with_crc(BODY) + "6304ABCD", "CRC"),
    ("", "does not end with its CRC"),
])
def test_decoder_names_what_is_wrong(payload: str, message: str) -> None:
    with pytest.raises(QRDecodeError, match=message):
        decode_vietqr(payload)


@pytest.mark.parametrize(("data", "message"), [
    ("0105ab", "data object 01 at character 0 declares 5 characters but only 2 remain"),
    ("0100", "data object 01 at character 0 is empty"),
    ("01", "data object 01 at character 0 has length '', not two digits"),
    ("0102ab9", "at character 6, '9' is not a two-digit tag"),
    ("0102abX102cd", "at character 6, 'X1' is not a two-digit tag"),
    ("010Aab", "has length '0A', not two digits"),
])
def test_tlv_parser_refuses_what_does_not_tile(data: str, message: str) -> None:
    with pytest.raises(QRDecodeError, match=message):
        decode_tlv(data)


def test_checksum_error_carries_both_values() -> None:
    with pytest.raises(QRChecksumError) as caught:
        decode_vietqr(BODY + "6304FFFF")
    assert (caught.value.found, caught.value.expected) == ("FFFF", "0CCD")
