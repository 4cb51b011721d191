"""VNPAY's payment result — the IPN (server to server, GET) and the return URL carry the
same signed ``vnp_*`` parameters — and the answers VNPAY expects to an IPN."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from providers.errors import MalformedMessage, SignatureInvalid, UnknownMerchant
from providers.model import PaymentState
from providers.protocol import CallbackAnswer, CallbackEvent, CallbackReply
from providers.vnpay.api import PAID, from_vnp_amount, parse_time
from providers.vnpay.config import VnpayConfig
from providers.vnpay.signing import SECURE_HASH, verify_secure_hash

REQUIRED = ("vnp_TmnCode", "vnp_TxnRef", "vnp_Amount", "vnp_ResponseCode", "vnp_TransactionStatus",
            "vnp_TransactionNo")

# VNPAY stops retrying an IPN once it reads RspCode 00 or 02; any other answer (or none)
# is retried. So a merchant-side failure must say 99, never 00.
IPN_REPLIES: dict[CallbackAnswer, tuple[str, str]] = {
    CallbackAnswer.ACCEPTED: ("00", "Confirm Success"),
    CallbackAnswer.ORDER_NOT_FOUND: ("01", "Order not found"),
    CallbackAnswer.ALREADY_CONFIRMED: ("02", "Order already confirmed"),
    CallbackAnswer.INVALID_AMOUNT: ("04", "invalid amount"),
    CallbackAnswer.INVALID_SIGNATURE: ("97", "Invalid signature"),
    CallbackAnswer.UNKNOWN_ERROR: ("99", "Unknown error"),
}
ACKNOWLEDGING_CODES = frozenset({"00", "02"})


def ipn_reply(answer: CallbackAnswer) -> CallbackReply:
    code, message = IPN_REPLIES[answer]
    return CallbackReply(status_code=200, body=msgspec.json.encode({"RspCode": code, "Message": message}))


def parse_payment_result(params: Mapping[str, str], config: VnpayConfig) -> CallbackEvent:
    """Verify the secure hash first, then the terminal, then read the fields."""
    if not params.get(SECURE_HASH):
        raise SignatureInvalid("no vnp_SecureHash")
    if not verify_secure_hash(params, config.hash_secret):
        raise SignatureInvalid("vnp_SecureHash does not match the parameters")
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        raise MalformedMessage(f"missing {', '.join(missing)}")
    if params["vnp_TmnCode"] != config.tmn_code:
        raise UnknownMerchant(f"vnp_TmnCode {params['vnp_TmnCode']!r} is not our terminal")
    paid = params["vnp_ResponseCode"] == "00" and params["vnp_TransactionStatus"] == PAID
    pay_date = params.get("vnp_PayDate")
    return CallbackEvent(
        provider="vnpay",
        # One payment result per transaction number and outcome: its copies share the key.
        event_key=f"vnpay:{params['vnp_TxnRef']}:{params['vnp_TransactionNo']}:{params['vnp_ResponseCode']}",
        attempt_ref=params["vnp_TxnRef"], provider_ref=params["vnp_TransactionNo"],
        amount_minor=from_vnp_amount(params["vnp_Amount"]), currency="VND",
        outcome=PaymentState.SUCCEEDED if paid else PaymentState.FAILED,
        occurred_at=parse_time(pay_date, "vnp_PayDate") if pay_date else None,
        failure_code=None if paid else params["vnp_ResponseCode"],
        raw=dict(params))
