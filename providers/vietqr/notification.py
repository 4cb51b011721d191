"""The receiving bank's credit notification, designed as Vietnamese banks' open-banking
webhooks are: a JSON POST per credit to our account, signed with
``X-Signature: <hex HMAC-SHA256 of the raw body>`` under a secret shared with the bank.
The body's ``transactionId`` is unique per credit, so a replayed or repeated notification
is the same event; the body cannot be altered without breaking the signature."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

import msgspec

from providers.errors import MalformedMessage, SignatureInvalid

SIGNATURE_HEADER = "x-signature"


class CreditNotification(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    transaction_id: str  # the bank's, unique per credit
    account_number: str  # ours: the account credited
    amount: int  # what arrived, whole đồng, whatever the QR asked
    currency: str
    description: str  # as the payer's app sent it
    booking_time: datetime  # aware
    counter_account_number: str = ""
    counter_bank_bin: str = ""
    counter_name: str = ""


_decode = msgspec.json.Decoder(CreditNotification)


def sign_body(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def read_notification(body: bytes, headers: Mapping[str, str], secret: str) -> CreditNotification:
    """Verify the signature over the raw body first, then decode it."""
    provided = headers.get(SIGNATURE_HEADER, "")
    if not provided:
        raise SignatureInvalid(f"no {SIGNATURE_HEADER} header")
    if not hmac.compare_digest(provided.lower().encode(), sign_body(body, secret).encode()):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the body")
    try:
        notification = _decode.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as problem:
        raise MalformedMessage(f"not a credit notification: {problem}") from None
    if notification.booking_time.tzinfo is None or notification.amount <= 0:
        raise MalformedMessage("bookingTime must carry its offset and amount be positive")
    return notification
