"""Payment attempts in ``gateway.payment_attempts`` and the provider events already applied
(``gateway.provider_events``). Writes take the caller's connection and transaction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import msgspec
from psycopg import AsyncConnection, AsyncCursor
from psycopg._queries import MAX_CACHED_STATEMENT_PARAMS
from psycopg.rows import class_row

from gateway.errors import ResourceMissing
from gateway.events.model import Event
from gateway.payments import store as intent_store
from gateway.payments.model import Attempt, PaymentIntent

COLUMNS = """attempt_ref, agency_code, intent_id, livemode, provider, status, amount_minor, currency,
payment_method, return_url, provider_ref, failure_code, flag, created_at, resolved_at, idempotency_key"""

INSERT = f"""
INSERT INTO gateway.payment_attempts ({COLUMNS})
VALUES (%(attempt_ref)s, %(agency_code)s, %(intent_id)s, %(livemode)s, %(provider)s, %(status)s, %(amount_minor)s,
        %(currency)s, %(payment_method)s, %(return_url)s, %(provider_ref)s, %(failure_code)s, %(flag)s,
        %(created_at)s, %(resolved_at)s, %(idempotency_key)s)
"""

UPDATE = """
UPDATE gateway.payment_attempts
   SET status = %(status)s, provider_ref = %(provider_ref)s, failure_code = %(failure_code)s, flag = %(flag)s,
       resolved_at = %(resolved_at)s
 WHERE attempt_ref = %(attempt_ref)s
"""
UPDATED_FIELDS = ("status", "provider_ref", "failure_code", "flag", "resolved_at", "attempt_ref")

SELECT = f"SELECT {COLUMNS} FROM gateway.payment_attempts WHERE attempt_ref = %(attempt_ref)s"

RECORD_EVENT = """
INSERT INTO gateway.provider_events (provider, event_key, attempt_ref, outcome, answer)
VALUES (%(provider)s, %(event_key)s, %(attempt_ref)s, %(outcome)s, %(answer)s)
ON CONFLICT (provider, event_key) DO NOTHING
"""

# A payment's settling writes the attempt's change with its intent's and the event announcing
# it, and the provider event that brought it if one did: one statement, in which each
# data-modifying WITH query runs, read or not.
_SAVE_ATTEMPT_AND_INTENT = (f"WITH attempt AS ({UPDATE.replace('%(', '%(attempt_')}),"
                            f" intent AS ({intent_store.SETTLE})")
SAVE_WITH_INTENT = f"{_SAVE_ATTEMPT_AND_INTENT} {intent_store.INSERT_EVENT}"
SAVE_WITH_INTENT_AND_RECEIVED = f"{_SAVE_ATTEMPT_AND_INTENT}, announced AS ({intent_store.INSERT_EVENT}) {RECORD_EVENT}"
# psycopg keeps how it parsed a statement only when given at most MAX_CACHED_STATEMENT_PARAMS
# parameters; past that it parses the statement again on every call.
assert len(set(re.findall(r"%\((\w+)\)s", SAVE_WITH_INTENT_AND_RECEIVED))) <= MAX_CACHED_STATEMENT_PARAMS, \
    "the settling write's parameters"

INTENT_FIELDS = [name.strip() for name in intent_store.COLUMNS.split(",")]
ATTEMPT_FIELDS = [name.strip() for name in COLUMNS.split(",")]

# Attempts (each at its provider, and of its mode, where given) and their intents, all rows
# locked, each intent's before its attempt's as every change to a payment does: so they are
# as the last change left them. And whether a Checkout Session owns the intent (so from its
# creation on), so that settling asks for the session's row only then. Locked in the order
# of the intents (then of the attempts), which any other transaction locking several of them
# this way also follows, so that two never wait on each other.
LOCK_WITH_INTENTS = f"""
SELECT {", ".join(f"i.{name}" for name in INTENT_FIELDS)}, {", ".join(f"a.{name}" for name in ATTEMPT_FIELDS)},
       EXISTS (SELECT FROM gateway.checkout_sessions s WHERE (s.agency_code, s.payment_intent_id) = (i.agency_code, i.id))
  FROM unnest(%(attempt_refs)s::text[], %(providers)s::text[], %(livemodes)s::boolean[]) w (attempt_ref, provider, livemode)
  JOIN gateway.payment_attempts a ON a.attempt_ref = w.attempt_ref AND a.provider = coalesce(w.provider, a.provider)
                                 AND a.livemode = coalesce(w.livemode, a.livemode)
  JOIN gateway.payment_intents i ON (i.agency_code, i.id) = (a.agency_code, a.intent_id)
 ORDER BY i.agency_code, i.id, a.attempt_ref
   FOR UPDATE OF i, a
"""

# The attempt a retried confirm (same API key's Idempotency-Key) already started.
SELECT_BY_IDEMPOTENCY_KEY = f"""
SELECT {COLUMNS} FROM gateway.payment_attempts
 WHERE agency_code = %(agency_code)s AND intent_id = %(intent_id)s AND idempotency_key = %(idempotency_key)s
"""

# Attempts no provider has told us about for a while, oldest first; SKIP LOCKED lets every
# server process run the status-query job at once without querying one attempt twice.
CLAIM_QUIET = f"""
UPDATE gateway.payment_attempts SET queried_at = now()
 WHERE attempt_ref IN (SELECT attempt_ref FROM gateway.payment_attempts
                        WHERE status = 'pending' AND created_at < %(quiet_since)s
                          AND (queried_at IS NULL OR queried_at < %(quiet_since)s)
                        ORDER BY created_at
                        LIMIT %(limit)s
                          FOR UPDATE SKIP LOCKED)
RETURNING {COLUMNS}
"""

EVENT_ANSWERS = """
SELECT e.provider, e.event_key, e.answer
  FROM unnest(%(providers)s::text[], %(event_keys)s::text[]) w (provider, event_key)
  JOIN gateway.provider_events e ON (e.provider, e.event_key) = (w.provider, w.event_key)
"""


async def insert_attempt(conn: AsyncConnection, attempt: Attempt) -> None:
    await conn.execute(INSERT, msgspec.structs.asdict(attempt))


async def save_attempt(conn: AsyncConnection, attempt: Attempt) -> None:
    await conn.execute(UPDATE, msgspec.structs.asdict(attempt))


class Received:
    """A provider's event, recorded (with the answer it got) in the transaction of the change
    it brought; ``first_copy``, read once that transaction is over, says whether this copy
    wrote it. A concurrent copy waits for the first one's transaction, then finds its row:
    so each event is applied once."""

    def __init__(self, provider: str, event_key: str, outcome: str) -> None:
        self.provider, self.event_key, self.outcome = provider, event_key, outcome
        self._written: AsyncCursor | None = None

    def params(self, attempt_ref: str | None, answer: str) -> dict[str, str | None]:
        return {"provider": self.provider, "event_key": self.event_key, "attempt_ref": attempt_ref,
                "outcome": self.outcome, "answer": answer}

    def written_by(self, cursor: AsyncCursor) -> None:
        self._written = cursor

    @property
    def first_copy(self) -> bool:
        assert self._written is not None, "recorded in the transaction of its change"
        return self._written.rowcount == 1


async def save_attempt_with_intent(conn: AsyncConnection, attempt: Attempt, intent: PaymentIntent,
                                   announced_by: Event, *, received: Received | None = None,
                                   answer: str = "") -> None:
    """With ``received``, the provider event that brought the change, and its ``answer``.
    Only the attempt's fields the statement takes are passed (MAX_CACHED_STATEMENT_PARAMS)."""
    params = intent_store.announced_settle_params(intent, announced_by) | {
        f"attempt_{name}": getattr(attempt, name) for name in UPDATED_FIELDS}
    if received is None:
        await conn.execute(SAVE_WITH_INTENT, params)
    else:
        received.written_by(await conn.execute(SAVE_WITH_INTENT_AND_RECEIVED,
                                               params | received.params(attempt.attempt_ref, answer)))


async def get_attempt(conn: AsyncConnection, attempt_ref: str) -> Attempt:
    attempt = await _one(conn, SELECT, {"attempt_ref": attempt_ref})
    if attempt is None:
        raise ResourceMissing(f"No such payment attempt: '{attempt_ref}'")
    return attempt


async def find_attempt(conn: AsyncConnection, attempt_ref: str) -> Attempt | None:
    return await _one(conn, SELECT, {"attempt_ref": attempt_ref})


# An intent, its attempt and whether a Checkout Session owns the intent.
Locked = tuple[PaymentIntent, Attempt, bool]


async def lock_with_intents(conn: AsyncConnection, wanted: Sequence[tuple[str, str | None, bool | None]]
                            ) -> dict[str, Locked]:
    """By attempt_ref, each of the ``wanted`` (attempt_ref, provider, livemode) there is. In
    the caller's transaction, which holds their rows until it ends."""
    refs, providers, livemodes = zip(*wanted, strict=True)
    rows = await (await conn.execute(LOCK_WITH_INTENTS, {"attempt_refs": list(refs), "providers": list(providers),
                                                        "livemodes": list(livemodes)})).fetchall()
    split = len(INTENT_FIELDS)
    locked = [(PaymentIntent(**dict(zip(INTENT_FIELDS, row[:split]))),
               Attempt(**dict(zip(ATTEMPT_FIELDS, row[split:-1]))), row[-1]) for row in rows]
    return {attempt.attempt_ref: (intent, attempt, in_session) for intent, attempt, in_session in locked}


async def attempt_for_idempotency_key(conn: AsyncConnection, agency_code: str, intent_id: str,
                                      idempotency_key: str) -> Attempt | None:
    return await _one(conn, SELECT_BY_IDEMPOTENCY_KEY,
                      {"agency_code": agency_code, "intent_id": intent_id, "idempotency_key": idempotency_key})


async def claim_quiet_attempts(conn: AsyncConnection, quiet_since: datetime, limit: int) -> list[Attempt]:
    """Pending attempts created, and last queried, before ``quiet_since``, marked as queried
    now: so that every process may run the job, each attempt is queried once a period."""
    async with conn.cursor(row_factory=class_row(Attempt)) as cur:
        await cur.execute(CLAIM_QUIET, {"quiet_since": quiet_since, "limit": limit})
        return await cur.fetchall()


async def record_provider_event(conn: AsyncConnection, received: Received, attempt_ref: str | None,
                                answer: str) -> None:
    received.written_by(await conn.execute(RECORD_EVENT, received.params(attempt_ref, answer)))


async def provider_event_answers(conn: AsyncConnection, events: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The answer each of the (provider, event_key) ``events`` recorded already got."""
    if not events:
        return {}
    providers, event_keys = zip(*events, strict=True)
    rows = await (await conn.execute(EVENT_ANSWERS, {"providers": list(providers),
                                                     "event_keys": list(event_keys)})).fetchall()
    return {(provider, event_key): answer for provider, event_key, answer in rows}


async def _one(conn: AsyncConnection, query: str, params: dict) -> Attempt | None:
    async with conn.cursor(row_factory=class_row(Attempt)) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()
