"""Checkout Sessions in ``gateway.checkout_sessions``. Writes take the caller's connection, so
that a session, its intent and their events commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import kwargs_row

from gateway.errors import ResourceMissing
from gateway.keys.model import Scope
from gateway.listing import Page, fetch_page
from gateway.sessions.model import CheckoutSession, CheckoutSessionList

COLUMNS = """agency_code, id, livemode, status, payment_status, payment_intent_id, amount_total_minor, currency,
line_items, url, success_url, cancel_url, expires_at, metadata, client_reference_id, customer_email,
payment_method_types, service, service_inputs, reference, payer, created_at, completed_at, expired_at"""

INSERT = f"""
INSERT INTO gateway.checkout_sessions ({COLUMNS})
VALUES (%(agency_code)s, %(id)s, %(livemode)s, %(status)s, %(payment_status)s, %(payment_intent_id)s,
        %(amount_total_minor)s, %(currency)s, %(line_items)s::jsonb, %(url)s, %(success_url)s, %(cancel_url)s,
        %(expires_at)s, %(metadata)s::jsonb, %(client_reference_id)s, %(customer_email)s,
        %(payment_method_types)s, %(service)s, %(service_inputs)s::jsonb, %(reference)s, %(payer)s,
        %(created_at)s, %(completed_at)s, %(expired_at)s)
"""

# Only the status changes after creation.
UPDATE_STATUS = """
UPDATE gateway.checkout_sessions
   SET status = %(status)s, payment_status = %(payment_status)s, completed_at = %(completed_at)s,
       expired_at = %(expired_at)s
 WHERE agency_code = %(agency_code)s AND id = %(id)s
"""

SELECT = f"""
SELECT {COLUMNS} FROM gateway.checkout_sessions
 WHERE agency_code = %(agency_code)s AND livemode = %(livemode)s AND id = %(id)s
"""

SELECT_BY_ID = f"SELECT {COLUMNS} FROM gateway.checkout_sessions WHERE id = %(id)s AND livemode = %(livemode)s"

SELECT_OF_INTENT = f"""
SELECT {COLUMNS} FROM gateway.checkout_sessions
 WHERE agency_code = %(agency_code)s AND payment_intent_id = %(intent_id)s
"""

# One open session past its time whose intent can be canceled (or already is), with the
# intent's row and its own locked in one statement. SKIP LOCKED: a session another process
# is expiring, or whose intent a provider's message is settling, waits for a later round,
# and this statement never waits on anyone, so it cannot deadlock with them.
CLAIM_DUE = """
SELECT s.agency_code, s.livemode, s.id
  FROM gateway.checkout_sessions s
  JOIN gateway.payment_intents p ON p.agency_code = s.agency_code AND p.id = s.payment_intent_id
 WHERE s.status = 'open' AND s.expires_at <= %(now)s AND p.status = ANY(%(expirable)s)
 ORDER BY s.expires_at
 LIMIT 1
   FOR UPDATE OF p, s SKIP LOCKED
"""


def _session(**row: Any) -> CheckoutSession:
    return msgspec.convert(row, CheckoutSession)


ROW = kwargs_row(_session)


async def insert_session(conn: AsyncConnection, session: CheckoutSession) -> None:
    await conn.execute(INSERT, _row(session))


async def save_status(conn: AsyncConnection, session: CheckoutSession) -> None:
    await conn.execute(UPDATE_STATUS, _row(session))


async def get_session(conn: AsyncConnection, scope: Scope, session_id: str, *,
                      for_update: bool = False) -> CheckoutSession:
    found = await _one(conn, SELECT + (" FOR UPDATE" if for_update else ""),
                       {"agency_code": scope.agency_code, "livemode": scope.livemode, "id": session_id})
    if found is None:
        raise ResourceMissing(f"No such checkout.session: '{session_id}'", param="session")
    return found


async def find_session(conn: AsyncConnection, session_id: str, *, livemode: bool) -> CheckoutSession | None:
    """By its id alone: the hosted page's address names no agency."""
    return await _one(conn, SELECT_BY_ID, {"id": session_id, "livemode": livemode})


async def session_of_intent(conn: AsyncConnection, agency_code: str, intent_id: str, *,
                            for_update: bool = False) -> CheckoutSession | None:
    return await _one(conn, SELECT_OF_INTENT + (" FOR UPDATE" if for_update else ""),
                      {"agency_code": agency_code, "intent_id": intent_id})


async def claim_due_session(conn: AsyncConnection, now: datetime,
                            expirable: list[str]) -> tuple[Scope, str] | None:
    """In the caller's transaction: one due session (its scope and id), locked with its intent."""
    row = await (await conn.execute(CLAIM_DUE, {"now": now, "expirable": expirable})).fetchone()
    return None if row is None else (Scope(agency_code=row[0], livemode=row[1]), row[2])


async def list_sessions(conn: AsyncConnection, scope: Scope, params: CheckoutSessionList) -> Page:
    filters = {name: value for name, value in (("payment_intent_id", params.payment_intent),
                                                ("status", params.status)) if value is not None}
    return await fetch_page(conn, table="checkout_sessions", columns=COLUMNS, row_factory=ROW, scope=scope,
                            params=params, filters=filters, created=params.created)


async def _one(conn: AsyncConnection, query: str, params: dict[str, Any]) -> CheckoutSession | None:
    async with conn.cursor(row_factory=ROW) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


def _row(session: CheckoutSession) -> dict[str, Any]:
    as_json = {name: msgspec.json.encode(getattr(session, name)).decode()
               for name in ("line_items", "metadata", "service_inputs")}
    return msgspec.structs.asdict(session) | as_json
