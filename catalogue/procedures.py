"""Dossiers: a citizen submits one for a service and follows it with its code and tracking
secret; the agency advances it and requests payment; a succeeded payment marks it paid in
the payment's own transaction (``mark_dossier_paid``). Every move is checked by
``transitions.check_transition`` and recorded with its time, actor and note.

A dossier has a mode, as the gateway's objects do: each function finds only the dossiers of
the ``livemode`` it is given (a test-mode payment, an agency's test key, a sandbox gateway's
pages) and answers any other as unknown, so that nothing done in test mode reaches a
citizen's real dossier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any

import msgspec
from psycopg import AsyncConnection, sql

from catalogue import store
from catalogue.billers import Billers
from catalogue.definitions import Service
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.model import (
    DOSSIER_NUMBER_FIELD,
    ActorKind,
    Dossier,
    DossierStatus,
    DossierTracking,
    SubmittedDossier,
    TimelineEntry,
)
from catalogue.quoting import quote_service
from catalogue.transitions import check_transition
from catalogue.validation import validate_inputs

DOSSIER_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,15}-[0-9]{6}-[0-9]{4,}$")
PHONE = re.compile(r"^(\+84|0)[1-9][0-9]{8,9}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_NAME_LENGTH, MAX_NOTE_LENGTH = 200, 2000


async def submit_dossier(
    conn: AsyncConnection, service_code: str, *, applicant_name: str, contact: str, fields: Mapping[str, str | int],
    livemode: bool,
) -> SubmittedDossier:
    """A new dossier, ``submitted``, with its code (``BTP-250314-0007``: the agency, the day
    in Vietnam, the day's number) and a tracking secret shown here only."""
    service = await store.get_service(conn, service_code)
    if not service.active:
        raise Conflict("service_code", "service_withdrawn", f"service {service.code} is withdrawn")
    name = _text("applicant_name", applicant_name, MAX_NAME_LENGTH)
    contact = _contact(contact)
    values = validate_inputs(service, fields, supplied={DOSSIER_NUMBER_FIELD})
    secret = base64.b32encode(secrets.token_bytes(10)).decode()  # 80 bits, 16 characters easy to type
    async with conn.transaction():
        code = await _next_code(conn, service.agency_code)
        await conn.execute(
            "INSERT INTO catalogue.dossiers (code, agency_code, service_code, applicant_name, applicant_contact,"
            " fields, status, tracking_secret_sha256, livemode)"
            " VALUES (%s, %s, %s, %s, %s, %s::jsonb, 'submitted', %s, %s)",
            (code, service.agency_code, service.code, name, contact, msgspec.json.encode(values).decode(),
             _digest(secret), livemode))
        await _record(conn, code, DossierStatus.SUBMITTED, ActorKind.APPLICANT, "applicant", None)
    return SubmittedDossier(dossier=await get_dossier(conn, code, livemode=livemode), tracking_secret=secret)


async def advance_dossier(
    conn: AsyncConnection, code: str, target: DossierStatus, *, livemode: bool, actor: str, note: str | None = None
) -> Dossier:
    """The agency moves a dossier on: received, in progress, completed, rejected, or
    returned for a supplement. Payment has its own two functions below."""
    if target in (DossierStatus.AWAITING_PAYMENT, DossierStatus.PAID):
        raise InvalidInput("status", "use_payment_functions", f"{target} is set by request_payment or mark_dossier_paid")
    async with conn.transaction():
        dossier, service = await _locked(conn, code, livemode)
        return await _move(conn, dossier, service, target, ActorKind.AGENCY, actor, note)


async def request_payment(
    conn: AsyncConnection, code: str, *, livemode: bool, actor: str, note: str | None = None,
    billers: Billers | None = None,
) -> Dossier:
    """The agency asks the applicant to pay: the dossier is priced from its fields (with
    its own code as the dossier number) and awaits that amount."""
    async with conn.transaction():
        dossier, service = await _locked(conn, code, livemode)
        # Checked before pricing too, which may ask a biller: a refused move asks nothing.
        check_transition(dossier.status, DossierStatus.AWAITING_PAYMENT, ActorKind.AGENCY, service_is_free=service.is_free)
        inputs = dict(dossier.fields)
        if any(field.name == DOSSIER_NUMBER_FIELD for field in service.fields):
            inputs[DOSSIER_NUMBER_FIELD] = code
        quote = await quote_service(conn, service, validate_inputs(service, inputs), billers=billers)
        if quote.total_minor == 0:
            raise Conflict("status", "nothing_to_pay", f"dossier {code} costs nothing: complete it instead")
        return await _move(conn, dossier, service, DossierStatus.AWAITING_PAYMENT, ActorKind.AGENCY, actor, note,
                           amount_minor=quote.total_minor, currency=quote.currency)


async def mark_dossier_paid(
    conn: AsyncConnection, dossier_code: str, payment_ref: str, *, livemode: bool, amount_minor: int | None = None
) -> Dossier:
    """Called by the payments code inside its own transaction when a payment for the
    dossier succeeds, with the payment's mode. Repeating it with the same ``payment_ref``
    returns the dossier as it is; ``amount_minor``, if given, must be the amount requested."""
    async with conn.transaction():
        dossier, service = await _locked(conn, dossier_code, livemode)
        if dossier.payment_ref == payment_ref:
            return dossier
        if dossier.payment_ref is not None:
            raise Conflict("dossier_code", "already_paid", f"dossier {dossier_code} was paid by {dossier.payment_ref}")
        awaiting = dossier.status is DossierStatus.AWAITING_PAYMENT
        if awaiting and amount_minor is not None and amount_minor != dossier.amount_minor:
            raise InvalidInput("amount_minor", "wrong_amount", f"dossier {dossier_code} awaits "
                               f"{dossier.amount_minor:,} {dossier.currency}, not {amount_minor:,}")
        return await _move(conn, dossier, service, DossierStatus.PAID, ActorKind.PAYMENTS, payment_ref, None,
                           payment_ref=payment_ref)


async def supplement_dossier(
    conn: AsyncConnection, code: str, tracking_secret: str, fields: Mapping[str, str | int], *, livemode: bool,
    note: str | None = None,
) -> Dossier:
    """The applicant answers a return for supplement with new fields; the dossier is
    submitted again."""
    await _check_secret(conn, code, tracking_secret, livemode)
    async with conn.transaction():
        dossier, service = await _locked(conn, code, livemode)
        values = validate_inputs(service, fields, supplied={DOSSIER_NUMBER_FIELD})
        return await _move(conn, dossier, service, DossierStatus.SUBMITTED, ActorKind.APPLICANT, "applicant", note,
                           fields=msgspec.json.encode(values).decode())


async def get_dossier(conn: AsyncConnection, code: str, *, livemode: bool) -> Dossier:
    """The whole dossier, for its agency; the HTTP layer decides who that is."""
    _check_code(code)
    row = await (await conn.execute(SELECT_DOSSIER, (code, livemode))).fetchone()
    if row is None:
        raise NotFound("dossier_code", "unknown_dossier", f"no dossier {code}")
    return msgspec.json.decode(row[0], type=Dossier)


async def track_dossier(conn: AsyncConnection, code: str, tracking_secret: str, *, livemode: bool) -> DossierTracking:
    """The public view: the service and the timeline, for whoever holds the secret.
    An unknown code and a wrong secret get the same answer, so codes cannot be probed."""
    await _check_secret(conn, code, tracking_secret, livemode)
    dossier = await get_dossier(conn, code, livemode=livemode)
    service = await store.get_service(conn, dossier.service_code)
    return DossierTracking(
        code=dossier.code, service_code=service.code, service_name_vi=service.name_vi, service_name_en=service.name_en,
        status=dossier.status, amount_minor=dossier.amount_minor, currency=dossier.currency,
        timeline=[TimelineEntry(status=e.status, at=e.at, actor_kind=e.actor_kind, note=e.note) for e in dossier.history])


# ---------------------------------------------------------------- moves

SELECT_DOSSIER = """
SELECT jsonb_build_object(
         'code', d.code, 'service_code', d.service_code, 'agency_code', d.agency_code,
         'applicant_name', d.applicant_name, 'applicant_contact', d.applicant_contact, 'fields', d.fields,
         'livemode', d.livemode, 'status', d.status, 'amount_minor', d.amount_minor, 'currency', d.currency,
         'payment_ref', d.payment_ref,
         'created_at', d.created_at, 'updated_at', d.updated_at,
         'history', (SELECT jsonb_agg(jsonb_build_object('seq', e.seq, 'status', e.status, 'actor_kind', e.actor_kind,
                                                         'actor', e.actor, 'note', e.note, 'at', e.at) ORDER BY e.seq)
                       FROM catalogue.dossier_events e WHERE e.dossier_code = d.code))::text
  FROM catalogue.dossiers d WHERE d.code = %s AND d.livemode = %s
"""


async def _locked(conn: AsyncConnection, code: str, livemode: bool) -> tuple[Dossier, Service]:
    """The dossier, its row locked until the caller's transaction ends, and its service."""
    _check_code(code)
    found = await conn.execute("SELECT 1 FROM catalogue.dossiers WHERE code = %s AND livemode = %s FOR UPDATE",
                               (code, livemode))
    if await found.fetchone() is None:
        raise NotFound("dossier_code", "unknown_dossier", f"no dossier {code}")
    dossier = await get_dossier(conn, code, livemode=livemode)
    return dossier, await store.get_service(conn, dossier.service_code)


async def _move(conn: AsyncConnection, dossier: Dossier, service: Service, target: DossierStatus,
                actor_kind: ActorKind, actor: str, note: str | None, **changes: Any) -> Dossier:
    """Move a dossier locked by the caller to ``target``, with ``changes`` to its columns."""
    actor = _text("actor", actor, MAX_NAME_LENGTH)
    note = None if note is None else _text("note", note, MAX_NOTE_LENGTH)
    check_transition(dossier.status, target, actor_kind, service_is_free=service.is_free)
    assignments = [sql.SQL("{} = %s").format(sql.Identifier(column)) for column in changes]
    await conn.execute(
        sql.SQL("UPDATE catalogue.dossiers SET {} WHERE code = %s").format(
            sql.SQL(", ").join([sql.SQL("status = %s"), sql.SQL("updated_at = now()"), *assignments])),
        (target, *changes.values(), dossier.code))
    await _record(conn, dossier.code, target, actor_kind, actor, note)
    return await get_dossier(conn, dossier.code, livemode=dossier.livemode)


async def _record(conn: AsyncConnection, code: str, status: DossierStatus, actor_kind: ActorKind, actor: str,
                  note: str | None) -> None:
    # The dossier's row is locked (or new) in this transaction, so max(seq) + 1 is free.
    await conn.execute(
        "INSERT INTO catalogue.dossier_events (dossier_code, seq, status, actor_kind, actor, note)"
        " SELECT %s, coalesce(max(seq), 0) + 1, %s, %s, %s, %s FROM catalogue.dossier_events WHERE dossier_code = %s",
        (code, status, actor_kind, actor, note, code))


async def _next_code(conn: AsyncConnection, agency_code: str) -> str:
    # One counter row per agency and day: concurrent submissions to one agency take turns
    # on it until they commit, and never get the same number.
    day, number = await (await conn.execute(
        "INSERT INTO catalogue.dossier_counters AS c (agency_code, day, last_number)"
        " VALUES (%s, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, 1)"
        " ON CONFLICT (agency_code, day) DO UPDATE SET last_number = c.last_number + 1"
        " RETURNING day, last_number", (agency_code,))).fetchone()
    return f"{agency_code}-{day:%y%m%d}-{number:04d}"


async def _check_secret(conn: AsyncConnection, code: str, secret: str, livemode: bool) -> None:
    _check_code(code)
    row = await (await conn.execute(
        "SELECT tracking_secret_sha256 FROM catalogue.dossiers WHERE code = %s AND livemode = %s",
        (code, livemode))).fetchone()
    if row is None or not hmac.compare_digest(row[0], _digest(secret)):
        raise NotFound("dossier_code", "unknown_dossier", "no dossier with this code and tracking secret")


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.strip().upper().encode()).digest()


def _check_code(code: str) -> None:
    if not DOSSIER_CODE.match(code):
        raise InvalidInput("dossier_code", "malformed", f"{code!r} is not a dossier code (like BTP-250314-0007)")


def _contact(value: str) -> str:
    phone = re.sub(r"[\s.\-]", "", value)
    if PHONE.match(phone):
        return phone
    if EMAIL.match(value.strip()):
        return value.strip().lower()
    raise InvalidInput("contact", "malformed", f"{value!r} is neither a Vietnamese phone number nor an e-mail address")


def _text(field: str, value: str, max_length: int) -> str:
    value = value.strip()
    if not value or len(value) > max_length or not value.isprintable():
        raise InvalidInput(field, "malformed", f"must be 1 to {max_length} printable characters")
    return value
