"""MoMo's answers to our API calls, and the result codes we act on.

Answers come over TLS from the endpoint we called and are read as MoMo documents them;
only the payment results MoMo pushes to us (IPN, redirect) are checked for a signature.
"""

from __future__ import annotations

import msgspec

SUCCESS = 0
DUPLICATE_ORDER_ID = 41  # also what a repeated refund request gets
ORDER_NOT_FOUND = 42
PENDING_CODES = frozenset({1000, 7000, 7002, 9000})  # initiated, processing, authorised not captured
EXPIRED = 1005  # the payUrl or QR expired before the payer paid (orderExpireTime)
USER_DENIED = 1006
REFUND_REJECTED = 1080


class _Answer(msgspec.Struct, kw_only=True, rename="camel"):
    partner_code: str
    order_id: str
    request_id: str
    result_code: int
    message: str = ""
    response_time: int = 0


class CreateAnswer(_Answer, kw_only=True, rename="camel"):
    amount: int = 0
    pay_url: str = ""
    deeplink: str = ""
    qr_code_url: str = ""


class RefundTransaction(msgspec.Struct, kw_only=True, rename="camel"):
    order_id: str
    amount: int
    result_code: int
    trans_id: int
    created_time: int = 0


class QueryAnswer(_Answer, kw_only=True, rename="camel"):
    amount: int = 0
    trans_id: int = 0
    pay_type: str = ""
    refund_trans: list[RefundTransaction] = []


class RefundAnswer(_Answer, kw_only=True, rename="camel"):
    amount: int = 0
    trans_id: int = 0
