"""MoMo v3 (``/v2/gateway/api/…``) signatures on requests and payment results.

MoMo signs ``rawSignature``: named fields as ``key=value`` joined by ``&``, keys in
alphabetical order, values as sent (not URL-encoded), always including ``accessKey``
(the partner's, even where the message does not carry it); the signature is the
HMAC-SHA256 of that string under the partner's secret key, in lowercase hex. Which fields
are signed depends on the message, so each message type below declares its own list
(``signed_fields``, MoMo's spelling), taken from MoMo's API reference.

The messages are Structs with MoMo's camelCase names on the wire, so that the adapter
can send ``msgspec.json.encode(sign_message(request, …))`` and decode an IPN body straight into a
:class:`PaymentResult`.

Values are not escaped in ``rawSignature``, so a value containing ``&key=`` could in
principle make two different messages sign alike; MoMo defines the format, we can only
reproduce it. The adapter keeps ``orderInfo`` and the ids free of ``&`` and ``=``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import ClassVar, TypeVar

import msgspec


class _Message(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    signed_fields: ClassVar[tuple[str, ...]]
    signature: str = ""


class CreatePaymentRequest(_Message, frozen=True, kw_only=True, rename="camel"):
    """``POST /v2/gateway/api/create``."""

    signed_fields: ClassVar[tuple[str, ...]] = (
        "accessKey", "amount", "extraData", "ipnUrl", "orderId", "orderInfo", "partnerCode",
        "redirectUrl", "requestId", "requestType")
    partner_code: str
    request_id: str
    amount: int  # VND
    order_id: str
    order_info: str
    redirect_url: str
    ipn_url: str
    request_type: str = "captureWallet"
    extra_data: str = ""  # base64 JSON, or empty
    lang: str = "vi"
    order_expire_time: int | msgspec.UnsetType = msgspec.UNSET  # minutes; not signed


class PaymentResult(_Message, frozen=True, kw_only=True, rename="camel"):
    """The payment result MoMo posts to ``ipnUrl`` and appends to ``redirectUrl``."""

    signed_fields: ClassVar[tuple[str, ...]] = (
        "accessKey", "amount", "extraData", "message", "orderId", "orderInfo", "orderType",
        "partnerCode", "payType", "requestId", "responseTime", "resultCode", "transId")
    partner_code: str
    order_id: str
    request_id: str
    amount: int
    order_info: str
    order_type: str
    trans_id: int
    result_code: int  # 0 is success
    message: str
    pay_type: str
    response_time: int  # milliseconds since the epoch
    extra_data: str = ""


class QueryRequest(_Message, frozen=True, kw_only=True, rename="camel"):
    """``POST /v2/gateway/api/query``: the status of an order."""

    signed_fields: ClassVar[tuple[str, ...]] = ("accessKey", "orderId", "partnerCode", "requestId")
    partner_code: str
    request_id: str
    order_id: str
    lang: str = "vi"


class RefundRequest(_Message, frozen=True, kw_only=True, rename="camel"):
    """``POST /v2/gateway/api/refund``: ``order_id`` is a new id for the refund, ``trans_id``
    MoMo's id of the payment being refunded."""

    signed_fields: ClassVar[tuple[str, ...]] = (
        "accessKey", "amount", "description", "orderId", "partnerCode", "requestId", "transId")
    partner_code: str
    order_id: str
    request_id: str
    amount: int
    trans_id: int
    description: str = ""
    lang: str = "vi"


MomoMessage = CreatePaymentRequest | PaymentResult | QueryRequest | RefundRequest
M = TypeVar("M", CreatePaymentRequest, PaymentResult, QueryRequest, RefundRequest)


def raw_signature(fields: Mapping[str, str | int], names: tuple[str, ...]) -> str:
    """``key1=value1&key2=value2…`` over ``names``, in alphabetical order."""
    missing = [name for name in names if name not in fields]
    if missing:
        raise KeyError(f"rawSignature needs {', '.join(missing)}")
    return "&".join(f"{name}={_text(name, fields[name])}" for name in sorted(names))


def message_raw_signature(message: MomoMessage, access_key: str) -> str:
    """The ``rawSignature`` of one of our message types."""
    fields: dict[str, str | int] = msgspec.to_builtins(message)
    fields["accessKey"] = access_key
    return raw_signature(fields, message.signed_fields)


def hmac_sha256_hex(raw: str, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def sign_message(message: M, access_key: str, secret_key: str) -> M:
    """A copy of ``message`` with its ``signature`` set."""
    signature = hmac_sha256_hex(message_raw_signature(message, access_key), secret_key)
    return msgspec.structs.replace(message, signature=signature)


def verify_message(message: MomoMessage, access_key: str, secret_key: str) -> bool:
    """Whether ``message.signature`` is MoMo's, compared in constant time; upper- or
    lowercase hex."""
    if not message.signature:
        return False
    expected = hmac_sha256_hex(message_raw_signature(message, access_key), secret_key)
    return hmac.compare_digest(message.signature.lower().encode(), expected.encode())


def _text(name: str, value: str | int) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{name} must be str or int, not {type(value).__name__}")
    return str(value)
