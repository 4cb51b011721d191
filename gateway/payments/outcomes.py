"""What a provider's verified word about an attempt does to it and to its PaymentIntent, as a
pure function: the shell (gateway.payments.settling) applies the verdict in one transaction.

Money is the truth: a verified success means the provider took the citizen's money, so it
is booked whatever state the intent is in; when the intent was already paid by another
attempt, or canceled, that money goes back automatically and the attempt is flagged.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from gateway.payments.model import Attempt, AttemptFlag, AttemptStatus, PaymentIntent, Status
from providers.model import PaymentState

# Where a payment can still be completed by its current attempt.
OPEN = frozenset({Status.REQUIRES_PAYMENT_METHOD, Status.REQUIRES_CONFIRMATION, Status.REQUIRES_ACTION,
                  Status.PROCESSING})


# The intent's fields a verdict may change: settling writes these, and no other.
SETTLED_INTENT_FIELDS = ("status", "latest_attempt_ref", "payment_method", "next_action", "last_payment_error")


class Answer(enum.StrEnum):
    """What we tell the provider; the same names as providers.protocol.CallbackAnswer."""

    ACCEPTED = "accepted"
    ALREADY_CONFIRMED = "already_confirmed"
    INVALID_AMOUNT = "invalid_amount"


class Result(msgspec.Struct, frozen=True, kw_only=True):
    """A provider's verified statement about one attempt (a callback, a return URL, a status
    query, a card acquirer's answer)."""

    state: PaymentState
    provider_ref: str | None = None
    amount_minor: int | None = None  # None: the message does not state it (a card answer)
    currency: str | None = None
    failure_code: str | None = None
    decline_code: str | None = None


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    answer: Answer
    intent: PaymentIntent
    attempt: Attempt
    book_payment: bool = False  # post the payment to the ledger (attempt_ref as external_ref)
    refund_automatically: bool = False  # the intent did not need this money: give it back
    event_type: str | None = None  # the intent's event, when the intent changed


def decide(intent: PaymentIntent, attempt: Attempt, result: Result, *, now: datetime) -> Verdict:
    assert attempt.intent_id == intent.id, "an attempt is judged with its own intent"
    unchanged = Verdict(answer=Answer.ALREADY_CONFIRMED, intent=intent, attempt=attempt)
    if not _amount_fits(attempt, result):
        flagged = msgspec.structs.replace(attempt, flag=AttemptFlag.AMOUNT_MISMATCH)
        return Verdict(answer=Answer.INVALID_AMOUNT, intent=intent, attempt=flagged)
    if attempt.status == AttemptStatus.SUCCEEDED:
        return unchanged
    match result.state:
        case PaymentState.SUCCEEDED:
            return _succeeded(intent, attempt, result, now)
        case PaymentState.FAILED if attempt.status == AttemptStatus.PENDING:
            return _failed(intent, attempt, result, now)
        case PaymentState.FAILED if _explains_current_failure(intent, attempt, result):
            # The card acquirer's own answer, with its decline code, after its terser webhook.
            return Verdict(answer=Answer.ALREADY_CONFIRMED, attempt=attempt, intent=msgspec.structs.replace(
                intent, last_payment_error=payment_error(attempt, result)))
        case _:  # still pending, unknown to the provider, or a failure repeated
            return unchanged


def _succeeded(intent: PaymentIntent, attempt: Attempt, result: Result, now: datetime) -> Verdict:
    paid = msgspec.structs.replace(attempt, status=AttemptStatus.SUCCEEDED, resolved_at=attempt.resolved_at or now,
                                   provider_ref=result.provider_ref or attempt.provider_ref, failure_code=None)
    if intent.status in OPEN:
        succeeded = msgspec.structs.replace(intent, status=Status.SUCCEEDED, latest_attempt_ref=attempt.attempt_ref,
                                            payment_method=attempt.payment_method, next_action=None,
                                            last_payment_error=None)
        return Verdict(answer=Answer.ACCEPTED, intent=succeeded, attempt=paid, book_payment=True,
                       event_type="payment_intent.succeeded")
    flag = AttemptFlag.SECOND_SUCCESS if intent.status == Status.SUCCEEDED else AttemptFlag.SUCCEEDED_AFTER_CANCEL
    return Verdict(answer=Answer.ACCEPTED, intent=intent, attempt=msgspec.structs.replace(paid, flag=flag),
                   book_payment=True, refund_automatically=True)


def _failed(intent: PaymentIntent, attempt: Attempt, result: Result, now: datetime) -> Verdict:
    code = result.failure_code or "payment_failed"
    failed = msgspec.structs.replace(attempt, status=AttemptStatus.FAILED, resolved_at=now, failure_code=code,
                                     provider_ref=result.provider_ref or attempt.provider_ref)
    is_current = intent.latest_attempt_ref == attempt.attempt_ref and intent.status in OPEN
    if not is_current:  # the payer has moved on to another attempt, or the intent is closed
        return Verdict(answer=Answer.ACCEPTED, intent=intent, attempt=failed)
    returned = msgspec.structs.replace(intent, status=Status.REQUIRES_PAYMENT_METHOD, next_action=None,
                                       last_payment_error=payment_error(attempt, result))
    return Verdict(answer=Answer.ACCEPTED, intent=returned, attempt=failed, event_type="payment_intent.payment_failed")


def payment_error(attempt: Attempt, result: Result) -> dict[str, Any]:
    """Stripe's last_payment_error for a refused attempt."""
    code = result.failure_code or "payment_failed"
    decline = f" ({result.decline_code})" if result.decline_code else ""
    return {
        "type": "card_error",
        "code": code,
        "decline_code": result.decline_code,
        "message": f"The payment was declined by {attempt.provider}: {code}{decline}.",
        "payment_method": {"id": attempt.payment_method, "type": attempt.provider} if attempt.payment_method else None,
        "param": None,
    }


def _explains_current_failure(intent: PaymentIntent, attempt: Attempt, result: Result) -> bool:
    return (result.decline_code is not None and intent.latest_attempt_ref == attempt.attempt_ref
            and intent.status == Status.REQUIRES_PAYMENT_METHOD
            and (intent.last_payment_error or {}).get("decline_code") != result.decline_code)


def _amount_fits(attempt: Attempt, result: Result) -> bool:
    if result.amount_minor is None:
        return True
    return result.amount_minor == attempt.amount_minor and (result.currency or "").upper() == attempt.currency
