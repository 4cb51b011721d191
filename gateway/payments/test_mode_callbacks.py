"""A sandbox's message to a live gateway about a test-mode payment.

In live mode, test-mode payments go to the sandboxes (``Providers.for_mode``), which call
back on ``/callbacks/test/<provider>``: the live route verifies with the real providers'
adapters, which a sandbox cannot sign for. The sandboxes' secrets are no secret (their
defaults are in the code), so a message verified here may settle a test-mode attempt and
nothing else. One that names a live attempt, or no attempt of ours, is refused as the
provider's "order not found", logged, and changes nothing: no payment settled, no money
booked to suspense, no event recorded. The events applied are recorded under keys of their
own (``test:…``), so that a test message can never take the key of a live event to come."""

from __future__ import annotations

import logging

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from gateway.events.store import Origin
from gateway.observability.metrics import CALLBACK_REFUSALS
from gateway.payments import attempt_store
from gateway.payments.callbacks import apply_provider_event, receive_callback
from providers.errors import MalformedMessage, SignatureInvalid, UnknownMerchant
from providers.protocol import CallbackAnswer, CallbackEvent, InboundMessage, ProviderAdapter

log = logging.getLogger(__name__)

TEST_EVENT_PREFIX = "test:"


async def receive_test_mode_callback(pool: AsyncConnectionPool, adapter: ProviderAdapter, message: InboundMessage,
                                     origin: Origin = Origin()) -> CallbackAnswer:
    """``adapter`` is the provider's sandbox's."""
    try:
        event = adapter.parse_callback(message)
    except (SignatureInvalid, UnknownMerchant, MalformedMessage):
        # Refused as on the live route, which logs and counts the reason.
        return await receive_callback(pool, adapter, message, origin)
    async with pool.connection() as conn:
        attempt_ref = await _test_mode_attempt(conn, adapter.code, event)
        if attempt_ref is None:
            log.warning("%s test-mode callback %s refused: it names no test-mode attempt of ours (%s)", adapter.code,
                        event.event_key, event.attempt_ref or ", ".join(event.reference_candidates) or "none")
            CALLBACK_REFUSALS.labels(adapter.code, "NotTestMode").inc()
            return CallbackAnswer.ORDER_NOT_FOUND
        return await apply_provider_event(conn, adapter.code, msgspec.structs.replace(
            event, attempt_ref=attempt_ref, event_key=TEST_EVENT_PREFIX + event.event_key), origin)


async def _test_mode_attempt(conn: AsyncConnection, provider: str, event: CallbackEvent) -> str | None:
    """The test-mode attempt at ``provider`` the event is about: the one it names or, in a
    bank transfer's description, the one attempt of ours among the references found. None
    when that is a live attempt, or there is none, or several (a live one among them)."""
    references = (event.attempt_ref,) if event.attempt_ref else event.reference_candidates
    known = [attempt for reference in references
             if (attempt := await attempt_store.find_attempt(conn, reference)) is not None
             and attempt.provider == provider]
    if len(known) != 1 or known[0].livemode:
        return None
    return known[0].attempt_ref
