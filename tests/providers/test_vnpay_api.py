"""VNPAY's merchant API checksums: the '|'-joined field order exactly as VNPAY's
integration guide writes it, and the wire formats of time and amount."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.errors import MalformedMessage
from providers.vnpay import api

SECRET = "PUBLICPAYSANDBOXVNPAYHASHSECRET0"
REFUND = {
    "vnp_RequestId": "re20261122001", "vnp_Version": "2.1.0", "vnp_Command": "refund", "vnp_TmnCode": "PUBLICPY",
    "vnp_TransactionType": "03", "vnp_TxnRef": "pi3F8A2", "vnp_Amount": "5000000", "vnp_TransactionNo": "14422574",
    "vnp_TransactionDate": "20261122093015", "vnp_CreateBy": "publicpay", "vnp_CreateDate": "20261123080000",
    "vnp_IpAddr": "10.0.0.5", "vnp_OrderInfo": "Hoan tien",
}
# data = vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TransactionType|vnp_TxnRef|vnp_Amount
#        |vnp_TransactionNo|vnp_TransactionDate|vnp_CreateBy|vnp_CreateDate|vnp_IpAddr|vnp_OrderInfo
REFUND_DATA = ("re20261122001|2.1.0|refund|PUBLICPY|03|pi3F8A2|5000000|14422574|20261122093015|publicpay"
               "|20261123080000|10.0.0.5|Hoan tien")
QUERYDR = {"vnp_RequestId": "q1", "vnp_Version": "2.1.0", "vnp_Command": "querydr", "vnp_TmnCode": "PUBLICPY",
           "vnp_TxnRef": "pi3F8A2", "vnp_TransactionDate": "20261122093015", "vnp_CreateDate": "20261123080000",
           "vnp_IpAddr": "10.0.0.5", "vnp_OrderInfo": "Truy van"}
# data = vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TxnRef|vnp_TransactionDate|vnp_CreateDate
#        |vnp_IpAddr|vnp_OrderInfo
QUERYDR_DATA = "q1|2.1.0|querydr|PUBLICPY|pi3F8A2|20261122093015|20261123080000|10.0.0.5|Truy van"


def hmac512(data: str) -> str:
    return hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()


@pytest.mark.parametrize(("fields", "order", "data"), [
    (REFUND, api.REFUND_FIELDS, REFUND_DATA), (QUERYDR, api.QUERYDR_FIELDS, QUERYDR_DATA)])
def test_checksum_is_over_the_documented_order(fields: dict[str, str], order: tuple[str, ...], data: str) -> None:
    assert api.pipe_hash(fields, order, SECRET) == hmac512(data)
    signed = api.sign_api_message(fields, order, SECRET)
    assert api.verify_api_message(signed, order, SECRET)
    assert api.verify_api_message({**signed, "vnp_SecureHash": signed["vnp_SecureHash"].upper()}, order, SECRET)
    assert not api.verify_api_message({**signed, "vnp_TxnRef": "pi_other"}, order, SECRET)
    assert not api.verify_api_message(fields, order, SECRET)  # unsigned


def test_answers_sign_their_own_fields() -> None:
    assert api.QUERYDR_RESPONSE_FIELDS == (*api.REFUND_RESPONSE_FIELDS, "vnp_PromotionCode", "vnp_PromotionAmount")
    assert api.REFUND_RESPONSE_FIELDS[:4] == ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message")


def test_times_are_gmt7_and_amounts_hundredths() -> None:
    assert api.format_time(datetime(2026, 11, 22, 2, 30, 15, tzinfo=UTC)) == "20261122093015"
    assert api.parse_time("20261122093015", "t") == datetime(2026, 11, 22, 2, 30, 15, tzinfo=UTC)
    assert api.to_vnp_amount(200_000) == "20000000" and api.from_vnp_amount("20000000") == 200_000
    for bad in ("20000050", "-100", "1e5", ""):
        with pytest.raises(MalformedMessage):
            api.from_vnp_amount(bad)
    for bad in ("2026-11-22", "2026112293015", "202611220930150", "20261322093015", "20261122253015",
                "2026112209301５", " 2026112209301", ""):
        with pytest.raises(MalformedMessage):
            api.parse_time(bad, "vnp_PayDate")


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))
def test_a_time_read_back_is_the_time_written_to_the_second(moment: datetime) -> None:
    assert api.parse_time(api.format_time(moment), "t") == moment.replace(microsecond=0)
