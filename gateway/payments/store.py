"""PaymentIntents in ``gateway.payment_intents``. Writes take the caller's connection, so that
the change, its event and the idempotent response commit together."""

from __future__ import annotations

import msgspec
from psycopg import AsyncConnection, errors
from psycopg.rows import class_row

from gateway.errors import InvalidParameter, ResourceMissing
from gateway.events.model import Event
from gateway.events.store import insert_params, insert_statement
from gateway.keys.model import Scope
from gateway.listing import ListParams, Page, fetch_page
from gateway.payments.model import PaymentIntent
from gateway.payments.outcomes import SETTLED_INTENT_FIELDS

JSON_COLUMNS = ("metadata", "service_inputs", "quote", "next_action", "last_payment_error")

COLUMNS = """agency_code, id, livemode, status, amount_minor, currency, client_secret, description,
receipt_email, payment_method_types, metadata, service, reference, payer, cancellation_reason,
canceled_at, created_at, service_inputs, quote, payment_method, next_action, last_payment_error,
latest_attempt_ref"""

INSERT = f"""
INSERT INTO gateway.payment_intents ({COLUMNS})
VALUES (%(agency_code)s, %(id)s, %(livemode)s, %(status)s, %(amount_minor)s, %(currency)s,
        %(client_secret)s, %(description)s, %(receipt_email)s, %(payment_method_types)s,
        %(metadata)s::jsonb, %(service)s, %(reference)s, %(payer)s, %(cancellation_reason)s,
        %(canceled_at)s, %(created_at)s, %(service_inputs)s::jsonb, %(quote)s::jsonb, %(payment_method)s,
        %(next_action)s::jsonb, %(last_payment_error)s::jsonb, %(latest_attempt_ref)s)
"""

UPDATE = """
UPDATE gateway.payment_intents
   SET status = %(status)s, amount_minor = %(amount_minor)s, currency = %(currency)s,
       description = %(description)s, receipt_email = %(receipt_email)s,
       payment_method_types = %(payment_method_types)s, metadata = %(metadata)s::jsonb,
       service = %(service)s, reference = %(reference)s, payer = %(payer)s,
       cancellation_reason = %(cancellation_reason)s, canceled_at = %(canceled_at)s,
       service_inputs = %(service_inputs)s::jsonb, quote = %(quote)s::jsonb,
       payment_method = %(payment_method)s, next_action = %(next_action)s::jsonb,
       last_payment_error = %(last_payment_error)s::jsonb, latest_attempt_ref = %(latest_attempt_ref)s
 WHERE agency_code = %(agency_code)s AND id = %(id)s
"""

# The create path, which every payment takes, writes the intent and the event announcing it
# in one statement: one round trip instead of two. A payment's settling writes SETTLE and
# INSERT_EVENT in one statement too, with the attempt's change (gateway.payments.attempt_store).
# It changes only some of the intent's fields (SETTLED_INTENT_FIELDS): sending the others
# back, their JSON parsed again, would cost both sides for nothing.
_SETTLED_JSON = tuple(name for name in SETTLED_INTENT_FIELDS if name in JSON_COLUMNS)
SETTLE = f"""
UPDATE gateway.payment_intents
   SET {", ".join(f"{name} = %({name})s" + ("::jsonb" if name in _SETTLED_JSON else "") for name in SETTLED_INTENT_FIELDS)}
 WHERE agency_code = %(agency_code)s AND id = %(id)s
"""

INSERT_EVENT = insert_statement(prefix="event_")
INSERT_ANNOUNCED = f"WITH intent AS ({INSERT}) {INSERT_EVENT}"

SELECT = f"""
SELECT {COLUMNS} FROM gateway.payment_intents
 WHERE agency_code = %(agency_code)s AND livemode = %(livemode)s AND id = %(id)s
"""

# Several at once: the PaymentIntents of a page of sessions (expand[]=data.payment_intent).
SELECT_MANY = f"""
SELECT {COLUMNS} FROM gateway.payment_intents
 WHERE agency_code = %(agency_code)s AND livemode = %(livemode)s AND id = ANY(%(ids)s)
"""

SELECT_SCOPE = "SELECT agency_code, livemode FROM gateway.payment_intents WHERE id = %(id)s"


async def insert_intent(conn: AsyncConnection, intent: PaymentIntent, *, announced_by: Event | None = None) -> None:
    """Insert ``intent`` and, with ``announced_by``, its event (in the same statement)."""
    if announced_by is None:
        await _write(conn, INSERT, intent, _row(intent))
    else:
        await _write(conn, INSERT_ANNOUNCED, intent, _row(intent) | insert_params(announced_by, prefix="event_"))


def announced_insert(intent: PaymentIntent, event: Event) -> tuple[tuple[str, str], dict]:
    """The INSERTs of ``intent`` and of its event, and their parameters, for a caller that
    sends them with others (an idempotent create's first try)."""
    return (INSERT, INSERT_EVENT), _row(intent) | insert_params(event, prefix="event_")


async def save_intent(conn: AsyncConnection, intent: PaymentIntent) -> None:
    await _write(conn, UPDATE, intent, _row(intent))


def announced_settle_params(intent: PaymentIntent, event: Event) -> dict:
    """The parameters of SETTLE and INSERT_EVENT, which settle ``intent`` and insert its
    event, for a caller that writes both in one statement with more (a payment's settling)."""
    return ({name: getattr(intent, name) for name in ("agency_code", "id", *SETTLED_INTENT_FIELDS)}
            | _as_json(intent, _SETTLED_JSON) | insert_params(event, prefix="event_"))


async def get_intent(conn: AsyncConnection, scope: Scope, intent_id: str, *, for_update: bool = False) -> PaymentIntent:
    """``for_update`` holds the row until the caller's transaction ends, so that two concurrent
    changes to one intent apply one after the other, each to the other's result."""
    query = SELECT + (" FOR UPDATE" if for_update else "")
    async with conn.cursor(row_factory=class_row(PaymentIntent)) as cur:
        await cur.execute(query, {"agency_code": scope.agency_code, "livemode": scope.livemode, "id": intent_id})
        intent = await cur.fetchone()
    if intent is None:
        raise ResourceMissing(f"No such payment_intent: '{intent_id}'", param="intent")
    return intent


async def get_intents(conn: AsyncConnection, scope: Scope, ids: list[str]) -> dict[str, PaymentIntent]:
    """Those of ``ids`` that name an intent in ``scope``, by id, read in one statement."""
    async with conn.cursor(row_factory=class_row(PaymentIntent)) as cur:
        await cur.execute(SELECT_MANY, {"agency_code": scope.agency_code, "livemode": scope.livemode, "ids": ids})
        return {intent.id: intent for intent in await cur.fetchall()}


async def scope_of_intent(conn: AsyncConnection, intent_id: str) -> Scope | None:
    """Whose payment an id is, for a caller with no API key or cookie to go by (the public
    receipt check); None for an id nobody issued."""
    row = await (await conn.execute(SELECT_SCOPE, {"id": intent_id})).fetchone()
    return None if row is None else Scope(agency_code=row[0], livemode=row[1])


async def list_intents(conn: AsyncConnection, scope: Scope, params: ListParams) -> Page:
    return await fetch_page(conn, table="payment_intents", columns=COLUMNS, row_factory=class_row(PaymentIntent),
                            scope=scope, params=params)


async def _write(conn: AsyncConnection, query: str, intent: PaymentIntent, params: dict) -> None:
    try:
        await conn.execute(query, params)
    except errors.ForeignKeyViolation:  # ledger.currencies is the list of currencies we know
        raise InvalidParameter(f"Invalid currency: {intent.currency.lower()}.", param="currency") from None


def _row(intent: PaymentIntent) -> dict:
    return msgspec.structs.asdict(intent) | _as_json(intent, JSON_COLUMNS)


def _as_json(intent: PaymentIntent, names: tuple[str, ...]) -> dict:
    # SQL NULL, not JSON null, for an absent quote: the table's CHECK looks for NULL.
    return {name: None if (value := getattr(intent, name)) is None else msgspec.json.encode(value).decode()
            for name in names}
