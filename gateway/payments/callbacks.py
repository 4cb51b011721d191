"""A provider's message about a payment, from its arrival to our answer.

Hostile input: the adapter verifies the signature (in constant time, before reading
anything) and the merchant; an unverifiable message moves no money and is logged with its
reason. A verified one is applied once per provider event (``event_key``): its first copy
settles the attempt and records the event in one transaction; later copies, concurrent or
not, get the answer the first one got.

A live gateway's sandboxes, serving its test mode, call back on a route of their own
(``test_mode_apart``): their secrets are no secret (the defaults are in this code), so what
they sign may settle a test-mode attempt and nothing else. A message naming a live attempt,
or none of ours, is refused as the provider's "order not found", logged and counted, and
leaves nothing behind: no money booked to suspense (none moved), no provider event recorded.
Their events are kept under keys of their own (``test:…``), so that a test message can never
take the key of a live event to come.
"""

from __future__ import annotations

import logging

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from gateway.errors import ResourceMissing
from gateway.events.store import Origin
from gateway.observability.metrics import CALLBACK_REFUSALS
from gateway.payments import attempt_store
from gateway.payments.booking import SUSPENSE, clearing_account
from gateway.payments.group_commit import AnsweredBefore, callback_settling
from gateway.payments.outcomes import Answer, Result, Verdict
from gateway.payments.settling import Word
from ledger.model import Transfer
from ledger.store import post_transfer
from providers.errors import MalformedMessage, SignatureInvalid, UnknownMerchant
from providers.model import PaymentState
from providers.protocol import CallbackAnswer, CallbackEvent, InboundMessage, ProviderAdapter

log = logging.getLogger(__name__)

# Providers whose payer pushes the money to our account (a bank transfer): it has arrived
# whatever we answer, so money we cannot attribute is booked to suspense for finance staff.
PUSHED_MONEY_PROVIDERS = frozenset({"vietqr"})

TEST_EVENT_PREFIX = "test:"


async def receive_callback(pool: AsyncConnectionPool, adapter: ProviderAdapter, message: InboundMessage,
                           origin: Origin = Origin(), *, test_mode_apart: bool = False) -> CallbackAnswer:
    try:
        event = adapter.parse_callback(message)
    except (SignatureInvalid, UnknownMerchant) as refused:
        log.warning("%s callback refused (%s): %s", adapter.code, type(refused).__name__, refused.reason)
        CALLBACK_REFUSALS.labels(adapter.code, type(refused).__name__).inc()
        return CallbackAnswer.INVALID_SIGNATURE
    except MalformedMessage as problem:
        log.warning("%s callback malformed: %s", adapter.code, problem.reason)
        CALLBACK_REFUSALS.labels(adapter.code, "MalformedMessage").inc()
        return CallbackAnswer.UNKNOWN_ERROR
    return await apply_provider_event(pool, adapter.code, event, origin, test_mode_apart=test_mode_apart)


async def apply_provider_event(pool: AsyncConnectionPool, provider: str, event: CallbackEvent,
                               origin: Origin = Origin(), *, test_mode_apart: bool = False) -> CallbackAnswer:
    """Answered or settled together with the other callbacks of the moment
    (gateway.payments.group_commit), on a connection of their own: none is held here while
    it waits."""
    if test_mode_apart:
        event = msgspec.structs.replace(event, event_key=TEST_EVENT_PREFIX + event.event_key)
    settling = callback_settling(pool)
    if (earlier := settling.answer_given(provider, event.event_key)) is not None:
        return _answer_again(earlier)  # the fast path for the copies providers resend
    attempt_ref = event.attempt_ref
    if not attempt_ref:  # a bank transfer's credit: its attempt is searched for in its description
        async with pool.connection() as conn:
            earlier = await attempt_store.provider_event_answers(conn, [(provider, event.event_key)])
            if earlier:  # a copy: no search again, nothing booked again
                return _answer_again(earlier[provider, event.event_key])
            attempt_ref = await _attempt_among_candidates(conn, provider, event)
    received = attempt_store.Received(provider, event.event_key, event.outcome)
    books_unattributed = provider in PUSHED_MONEY_PROVIDERS and not test_mode_apart

    async def book_unattributed(conn: AsyncConnection, verdict: Verdict) -> None:
        """In the settling transaction, before it books the payment."""
        if why := _left_unbooked(verdict, event):
            await _book_to_suspense(conn, provider, event, why)

    if attempt_ref is not None:
        try:
            verdict = await settling.settle(Word(
                attempt_ref, _result(event), origin, provider=provider, livemode=False if test_mode_apart else None,
                received=received, record=book_unattributed if books_unattributed else None))
        except ResourceMissing:
            log.warning("%s event %s names no attempt of ours: %s", provider, event.event_key, attempt_ref)
        else:
            if isinstance(verdict, AnsweredBefore):
                return _answer_again(verdict.answer)
            if verdict.answer == Answer.INVALID_AMOUNT:  # here, not in settling's transaction: that may run twice
                attempt = verdict.attempt
                log.warning("%s reported %s %s for attempt %s, which asked %s %s", provider, event.amount_minor,
                            event.currency, attempt.attempt_ref, attempt.amount_minor, attempt.currency)
            answer = CallbackAnswer(verdict.answer.value)
            return answer if received.first_copy else _answer_again(answer)
    if test_mode_apart:
        log.warning("%s test-mode callback %s refused: it names no test-mode attempt of ours (%s)", provider,
                    event.event_key, attempt_ref or ", ".join(event.reference_candidates) or "none")
        CALLBACK_REFUSALS.labels(provider, "NotTestMode").inc()
        return CallbackAnswer.ORDER_NOT_FOUND
    async with pool.connection() as conn, conn.transaction():
        if books_unattributed:
            await _book_to_suspense(conn, provider, event, "no payment of ours is named")
        await attempt_store.record_provider_event(conn, received, None, CallbackAnswer.ORDER_NOT_FOUND)
    return CallbackAnswer.ORDER_NOT_FOUND if received.first_copy else _answer_again(CallbackAnswer.ORDER_NOT_FOUND)


async def _attempt_among_candidates(conn: AsyncConnection, provider: str, event: CallbackEvent) -> str | None:
    """The one reference among several found in a transfer's description that names an
    attempt of ours at this provider."""
    known = [attempt.attempt_ref for ref in event.reference_candidates
             if (attempt := await attempt_store.find_attempt(conn, ref)) is not None and attempt.provider == provider]
    if len(known) != 1:
        if event.reference_candidates:
            log.warning("%s event %s names %d known attempt(s) among %s", provider, event.event_key, len(known),
                        event.reference_candidates)
        return None
    return known[0]


def _left_unbooked(verdict: Verdict, event: CallbackEvent) -> str | None:
    """Why a credit that has arrived was not booked as its attempt's payment, if it was not:
    an amount other than asked, or a second credit for an attempt another one already paid
    (the payer sent the transfer twice). A copy of the credit that paid it is no second one."""
    ref = verdict.attempt.attempt_ref
    if verdict.answer == Answer.INVALID_AMOUNT:
        return f"amount differs from attempt {ref}"
    if (verdict.answer == Answer.ALREADY_CONFIRMED and event.outcome == PaymentState.SUCCEEDED
            and event.provider_ref != verdict.attempt.provider_ref):
        return f"attempt {ref} was already paid by {verdict.attempt.provider_ref}"
    return None


def _result(event: CallbackEvent) -> Result:
    return Result(state=event.outcome, provider_ref=event.provider_ref, amount_minor=event.amount_minor,
                  currency=event.currency, failure_code=event.failure_code)


def _answer_again(answer: str) -> CallbackAnswer:
    return CallbackAnswer.ALREADY_CONFIRMED if answer == Answer.ACCEPTED else CallbackAnswer(answer)


async def _book_to_suspense(conn: AsyncConnection, provider: str, event: CallbackEvent, why: str) -> None:
    log.warning("%s credit %s of %s %s booked to suspense: %s", provider, event.provider_ref, event.amount_minor,
                event.currency, why)
    await post_transfer(conn, Transfer(
        id=f"unattributed:{provider}:{event.event_key}", debit_account=clearing_account(provider),
        credit_account=SUSPENSE, amount_minor=event.amount_minor, currency=event.currency, kind="unattributed",
        external_ref=event.provider_ref, metadata={"why": why, "references": list(event.reference_candidates)}))
