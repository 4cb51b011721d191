"""VNPAY's merchant API (``querydr``, ``refund``): JSON POSTs whose ``vnp_SecureHash`` is the
HMAC-SHA512 of chosen fields joined by ``|`` in VNPAY's documented order — not the sorted
query of the payment URL. Answers are signed the same way over their own field list.

Times are ``yyyyMMddHHmmss`` in Vietnam's time (GMT+7); amounts are VND × 100.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from providers.errors import MalformedMessage

VERSION = "2.1.0"
GMT7 = timezone(timedelta(hours=7))

QUERYDR_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
                  "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo")
REFUND_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType",
                 "vnp_TxnRef", "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy",
                 "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo")
REFUND_RESPONSE_FIELDS = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
                          "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
                          "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo")
QUERYDR_RESPONSE_FIELDS = (*REFUND_RESPONSE_FIELDS, "vnp_PromotionCode", "vnp_PromotionAmount")

# vnp_TransactionType
PAYMENT, FULL_REFUND, PARTIAL_REFUND = "01", "02", "03"
# vnp_TransactionStatus
PAID, INCOMPLETE, ERROR, REFUND_PROCESSING, REFUND_SENT, REFUND_REJECTED = "00", "01", "02", "05", "06", "09"
# vnp_ResponseCode of the merchant API
OK, BAD_MERCHANT, BAD_FORMAT, NOT_FOUND, DUPLICATE, BAD_CHECKSUM = "00", "02", "03", "91", "94", "97"


def pipe_hash(fields: Mapping[str, str], order: tuple[str, ...], hash_secret: str) -> str:
    """HMAC-SHA512 over the values of ``order`` joined by ``|`` (a missing field is empty)."""
    data = "|".join(fields.get(name, "") for name in order)
    return hmac.new(hash_secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def sign_api_message(fields: Mapping[str, str], order: tuple[str, ...], hash_secret: str) -> dict[str, str]:
    return {**fields, "vnp_SecureHash": pipe_hash(fields, order, hash_secret)}


def verify_api_message(fields: Mapping[str, str], order: tuple[str, ...], hash_secret: str) -> bool:
    provided = fields.get("vnp_SecureHash", "")
    expected = pipe_hash(fields, order, hash_secret)
    return bool(provided) and hmac.compare_digest(provided.lower().encode(), expected.encode())


def format_time(moment: datetime) -> str:
    assert moment.tzinfo is not None, "VNPAY times are GMT+7; a naive time cannot be converted"
    return moment.astimezone(GMT7).strftime("%Y%m%d%H%M%S")


def parse_time(text: str, field: str) -> datetime:
    # Sliced rather than strptime'd: a quarter of the time on every callback, and stricter
    # (strptime takes "2026112293015" too, a digit short).
    try:
        if len(text) != len("yyyyMMddHHmmss") or not (text.isascii() and text.isdigit()):
            raise ValueError
        return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                        int(text[12:]), tzinfo=GMT7)
    except ValueError:
        raise MalformedMessage(f"{field} {text!r} is not yyyyMMddHHmmss") from None


def to_vnp_amount(amount_minor: int) -> str:
    return str(amount_minor * 100)


def from_vnp_amount(text: str, field: str = "vnp_Amount") -> int:
    """VND from VNPAY's hundredths; VND has no subunit, so anything not divisible by 100 is wrong."""
    if not text.isascii() or not text.isdigit() or int(text) % 100:
        raise MalformedMessage(f"{field} {text!r} is not a whole number of đồng times 100")
    return int(text) // 100
