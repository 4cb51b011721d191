"""The ledger's reads and writes. Every function takes the caller's connection, so that a
caller can post transfers in the same transaction as its own rows."""

from __future__ import annotations

import contextlib

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import resources

import msgspec
import psycopg
from psycopg import AsyncConnection, AsyncCursor, errors, pq
from psycopg.rows import class_row

from ledger.errors import AccountError, LinkedBatchRejected, TransferRejected
from ledger.model import (
    Account,
    AccountBalance,
    AccountSpec,
    Balance,
    PostPending,
    StatementLine,
    StatementPage,
    StoredTransfer,
    Transfer,
    TransferRequest,
    TransferResult,
    VoidPending,
)
from ledger.validation import differing_field, first_broken_rule


@cache
def query(name: str) -> str:
    return (resources.files("ledger") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


# ---------------------------------------------------------------- accounts

INSERT_ACCOUNT = """
INSERT INTO ledger.accounts (code, currency, normal_side, debits_must_not_exceed_credits,
                             credits_must_not_exceed_debits, slot_count, metadata)
VALUES (%(code)s, %(currency)s, %(normal_side)s, %(debits_must_not_exceed_credits)s,
        %(credits_must_not_exceed_debits)s, %(slot_count)s, %(metadata)s::jsonb)
ON CONFLICT (code) DO NOTHING
"""

SELECT_ACCOUNT = """
SELECT id, code, currency, normal_side, debits_must_not_exceed_credits,
       credits_must_not_exceed_debits, metadata, closed, created_at
  FROM ledger.accounts WHERE code = %s
"""


async def create_account(conn: AsyncConnection, spec: AccountSpec) -> Account:
    """Create an account, or return it if one with the same code and definition exists."""
    # A limited account keeps its limited side in slot 0 and spreads the other over all its
    # slots: an agency's payable account takes every payment to the agency on its credit
    # side, and with one slot each payment would wait for the one before it to commit.
    params = msgspec.structs.asdict(spec) | {"metadata": msgspec.json.encode(spec.metadata).decode()}
    try:
        await conn.execute(INSERT_ACCOUNT, params)
    except errors.ForeignKeyViolation:
        raise AccountError("unknown_currency", f"{spec.currency!r} is not a known ISO 4217 currency") from None
    except errors.CheckViolation as exc:
        raise AccountError("invalid_account", f"account {spec.code!r}: {exc.diag.message_primary}") from None
    account = await get_account(conn, spec.code)
    differing = [
        name for name in ("currency", "normal_side", "debits_must_not_exceed_credits", "credits_must_not_exceed_debits")
        if getattr(account, name) != getattr(spec, name)
    ]
    if differing:
        raise AccountError(f"exists_with_different_{differing[0]}", f"account {spec.code!r} exists with a different {differing[0]}")
    return account


async def get_account(conn: AsyncConnection, code: str) -> Account:
    async with conn.cursor(row_factory=class_row(Account)) as cur:
        account = await (await cur.execute(SELECT_ACCOUNT, (code,))).fetchone()
    if account is None:
        raise AccountError("account_not_found", f"no account {code!r}")
    return account


async def set_account_closed(conn: AsyncConnection, code: str, closed: bool = True) -> Account:
    """Close (or reopen) an account: a closed account takes part in no new transfer.

    The balance slots are updated too, which waits for transfers in flight on the account
    and makes the trigger refuse later ones.
    """
    async with conn.transaction():
        account = await get_account(conn, code)
        await conn.execute("UPDATE ledger.accounts SET closed = %s WHERE id = %s", (closed, account.id))
        await conn.execute("UPDATE ledger.balance_slots SET closed = %s WHERE account_id = %s", (closed, account.id))
    return await get_account(conn, code)


# ---------------------------------------------------------------- transfers

# What the database raises for a transfer it refuses (a rule of the trigger's, an unknown
# account, an existing id where the insert does not skip it, a balance's overflow).
REFUSALS = (errors.IntegrityError, errors.NumericValueOutOfRange)


def refused_by_ledger(exc: psycopg.Error) -> bool:
    """Whether ``exc``, one of REFUSALS, is the ledger's refusal of a transfer rather than
    another statement's error in the same transaction: raised on a ledger table (a NOT NULL
    or unique constraint), or by the ledger's trigger (the outermost function of the error's
    context; its rules and overflows carry no table)."""
    outermost = (exc.diag.context or "").rpartition("\n")[2]
    return exc.diag.schema_name == "ledger" or outermost.startswith("PL/pgSQL function ledger.")


async def post_transfer(conn: AsyncConnection, request: TransferRequest) -> TransferResult:
    """Post one transfer; raise TransferRejected if it is refused.

    Idempotent: the same id with the same body answers ``exists`` with the original's seq.
    """
    [result] = await post_transfers(conn, [request])
    if not result.ok:
        raise TransferRejected(result)
    return result


async def post_transfers(
    conn: AsyncConnection, requests: Sequence[TransferRequest], *, linked: bool = False
) -> list[TransferResult]:
    """Post many transfers in one statement, with one result each, in order.

    ``linked``: all or nothing; if one is refused, none is posted and LinkedBatchRejected
    names the first refused transfer. Otherwise each transfer stands or falls on its own.
    """
    broken = _broken_rules(requests, linked=linked)
    valid = [request for i, request in enumerate(requests) if i not in broken]
    try:
        # Inside the caller's transaction, a savepoint: a refused batch must leave it usable
        # for the explanation below (and for the caller). Outside one, the statement is atomic.
        in_transaction = conn.info.transaction_status != pq.TransactionStatus.IDLE
        async with conn.transaction() if in_transaction else contextlib.nullcontext():
            outcome = await _insert_and_compare(conn, valid, linked=linked)
    except (*REFUSALS, _LinkedConflict):
        # Something in the batch was refused by the database: find out which, one by one.
        outcome = await _explain_one_by_one(conn, valid, linked=linked)
    results = [TransferResult(id=r.id, code=broken[i]) if i in broken else outcome[r.id] for i, r in enumerate(requests)]
    if linked:
        for index, result in enumerate(results):
            if not result.ok:
                raise LinkedBatchRejected(index, result)
    return results


async def send_linked_transfers(conn: AsyncConnection, requests: Sequence[TransferRequest]) -> None:
    """Post ``requests`` all or nothing in a transaction that is one unit, sent as a pipeline:
    the statement is sent and its answer not awaited, so that it travels with the caller's
    COMMIT. Without a savepoint and without comparing replays: a transfer whose id exists is
    refused like any other, and any refusal is one of REFUSALS, raised where the caller's
    pipeline syncs, which aborts the whole transaction. Posting them again with
    post_transfers(linked=True) in a fresh transaction then names the refused one and why
    (or answers ``exists`` for a replay)."""
    _broken_rules(requests, linked=True)
    await _send_insert(conn, requests, skip_existing=False)


def _broken_rules(requests: Sequence[TransferRequest], *, linked: bool) -> dict[int, str]:
    """The rule each request breaks by itself, by index; for a ``linked`` batch,
    LinkedBatchRejected names the first such request instead."""
    broken = {i: rule for i, request in enumerate(requests) if (rule := first_broken_rule(request))}
    if linked and broken:
        index = min(broken)
        raise LinkedBatchRejected(index, TransferResult(id=requests[index].id, code=broken[index]))
    return broken


class _LinkedConflict(Exception):
    """A linked batch met an existing id; undo the rest of it."""


async def _insert_and_compare(
    conn: AsyncConnection, requests: Sequence[TransferRequest], *, linked: bool
) -> dict[str, TransferResult]:
    if not requests:
        return {}
    if len(requests) == 1:  # one statement is atomic by itself: no transaction needed
        return await _insert_batch(conn, requests)
    async with conn.transaction():
        results = await _insert_batch(conn, requests)
        codes = {r.code for r in results.values()}
        # A linked batch replayed whole answers "exists"; anything else but "created" undoes it.
        if linked and codes != {"created"} and codes != {"exists"}:
            raise _LinkedConflict
        return results


COLUMNS = ("id", "phase", "debit", "credit", "amount", "currency", "kind", "pending_id", "timeout_s",
           "external_ref", "metadata")
COLUMN_TYPES = ("text", "text", "text", "text", "bigint", "text", "text", "text", "integer", "text", "text")
ONE_ROW = "(VALUES ({}, 1))".format(", ".join(f"%({name})s::{type_}" for name, type_ in zip(COLUMNS, COLUMN_TYPES)))
MANY_ROWS = "unnest({}) WITH ORDINALITY".format(
    ", ".join(f"%({name})s::{type_}[]" for name, type_ in zip(COLUMNS, COLUMN_TYPES)))
SKIP_EXISTING = "    ON CONFLICT (id) DO NOTHING"
# The insert by (one row?, skip an existing id?).
INSERT_TRANSFERS = {
    (one, skip_existing): query("insert_transfers").format(rows=ONE_ROW if one else MANY_ROWS,
                                                          on_conflict=SKIP_EXISTING if skip_existing else "")
    for one in (True, False) for skip_existing in (True, False)
}


async def _send_insert(
    conn: AsyncConnection, requests: Sequence[TransferRequest], *, skip_existing: bool
) -> AsyncCursor:
    """Send the insert of ``requests``; its cursor returns the inserted (id, seq, created_at)."""
    if len(requests) == 1:
        return await conn.execute(INSERT_TRANSFERS[True, skip_existing], dict(zip(COLUMNS, _row(requests[0]))))
    # Not prepared: a cached generic plan guesses the array's length, and for a large
    # batch it then joins pending transfers by scanning the whole table.
    return await conn.execute(INSERT_TRANSFERS[False, skip_existing], _columns(requests), prepare=False)


async def _insert_batch(conn: AsyncConnection, requests: Sequence[TransferRequest]) -> dict[str, TransferResult]:
    rows = await (await _send_insert(conn, requests, skip_existing=True)).fetchall()
    results = {id_: TransferResult(id=id_, code="created", seq=seq, created_at=at) for id_, seq, at in rows}
    if len(results) < len(requests):
        replays = [r for r in requests if r.id not in results]
        # A post without an amount means "all of it": comparing it needs the pending amount.
        existing = await get_transfers(conn, [r.id for r in replays] + [
            r.pending_id for r in replays if isinstance(r, PostPending) and r.amount_minor is None])
        for request in replays:
            stored = existing[request.id]
            if isinstance(request, PostPending) and request.amount_minor is None and request.pending_id in existing:
                request = msgspec.structs.replace(request, amount_minor=existing[request.pending_id].amount_minor)
            field = differing_field(request, stored)
            results[request.id] = TransferResult(
                id=request.id,
                code=f"exists_with_different_{field}" if field else "exists",
                seq=stored.seq,
                created_at=stored.created_at,
            )
    return results


async def _explain_one_by_one(
    conn: AsyncConnection, requests: Sequence[TransferRequest], *, linked: bool
) -> dict[str, TransferResult]:
    results: dict[str, TransferResult] = {}
    async with conn.transaction():  # a LinkedBatchRejected raised inside rolls back the batch
        for index, request in enumerate(requests):
            try:
                async with conn.transaction():
                    results |= await _insert_batch(conn, [request])
            except REFUSALS as exc:
                results[request.id] = TransferResult(
                    id=request.id, code=await rejection_code(conn, request, exc), message=exc.diag.message_primary
                )
            if linked and results[request.id].code != "created":
                raise LinkedBatchRejected(index, results[request.id])
    return results


async def rejection_code(conn: AsyncConnection, request: TransferRequest, exc: psycopg.Error) -> str:
    """The rule a refused insert broke, named the way TigerBeetle names its results."""
    resolving = isinstance(request, PostPending | VoidPending)
    match exc:
        case errors.NotNullViolation() if resolving:
            return "pending_transfer_not_found"
        case errors.NotNullViolation():
            return "debit_account_not_found" if exc.diag.column_name == "debit_account_id" else "credit_account_not_found"
        case errors.UniqueViolation() if exc.diag.constraint_name == "transfers_resolve_pending_once":
            row = await (await conn.execute(
                "SELECT phase FROM ledger.transfers WHERE pending_id = %s", (request.pending_id,))).fetchone()
            return {"post_pending": "pending_transfer_already_posted", "void_pending": "pending_transfer_already_voided",
                    "expire_pending": "pending_transfer_expired"}[row[0]] if row else "pending_transfer_already_resolved"
        case errors.NumericValueOutOfRange():
            return "overflows_balance"
        case _ if exc.diag.constraint_name:
            return exc.diag.constraint_name
    return "refused"


def _columns(requests: Sequence[TransferRequest]) -> dict[str, list]:
    """The requests as the arrays, one per column, that the insert of many rows takes."""
    return dict(zip(COLUMNS, map(list, zip(*map(_row, requests)))))


def _row(request: TransferRequest) -> tuple:
    """The request as a row of the COLUMNS the insert statement takes."""
    metadata = msgspec.json.encode(request.metadata).decode()
    match request:
        case Transfer():
            phase = "pending" if request.pending else "posted"
            return (request.id, phase, request.debit_account, request.credit_account, request.amount_minor,
                    request.currency, request.kind, None, request.timeout_s, request.external_ref, metadata)
        case PostPending():
            return (request.id, "post_pending", None, None, request.amount_minor, None, None, request.pending_id,
                    None, request.external_ref, metadata)
        case VoidPending():
            return (request.id, "void_pending", None, None, None, None, None, request.pending_id,
                    None, request.external_ref, metadata)


async def get_transfers(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, StoredTransfer]:
    async with conn.cursor(row_factory=class_row(StoredTransfer)) as cur:
        await cur.execute(query("select_transfers") + " WHERE t.id = ANY(%s)", (list(ids),))
        return {t.id: t for t in await cur.fetchall()}


async def get_transfer(conn: AsyncConnection, id_: str) -> StoredTransfer | None:
    return (await get_transfers(conn, [id_])).get(id_)


async def expire_pending_transfers(conn: AsyncConnection, now: datetime | None = None) -> list[str]:
    """Void every pending transfer whose timeout has passed; return the expired ids.

    Safe to run concurrently with posts and voids and with itself: a pending transfer is
    resolved at most once, so whoever comes second is skipped.
    """
    rows = await (await conn.execute(EXPIRE_PENDING, {"now": now})).fetchall()
    return [pending_id for (pending_id,) in rows]


EXPIRE_PENDING = """
INSERT INTO ledger.transfers (id, phase, debit_account_id, credit_account_id, amount, currency, kind, pending_id)
SELECT p.id || '/expired', 'expire_pending', p.debit_account_id, p.credit_account_id, p.amount, p.currency, p.kind, p.id
  FROM ledger.transfers p
 WHERE p.timeout_at <= coalesce(%(now)s, clock_timestamp())
   AND NOT EXISTS (SELECT 1 FROM ledger.transfers r WHERE r.pending_id = p.id)
 ORDER BY p.timeout_at
    ON CONFLICT DO NOTHING
RETURNING pending_id
"""


# ---------------------------------------------------------------- balances

SUM_SLOTS = """
SELECT a.code, a.currency, a.normal_side,
       sum(b.debits_posted)::bigint, sum(b.credits_posted)::bigint,
       sum(b.debits_pending)::bigint, sum(b.credits_pending)::bigint{more}
  FROM ledger.accounts a JOIN ledger.balance_slots b ON b.account_id = a.id
 WHERE {accounts}
 GROUP BY a.id
"""
SELECT_BALANCE = SUM_SLOTS.format(more="", accounts="a.code = %s")
SELECT_BALANCES = SUM_SLOTS.format(more="", accounts="a.code = ANY(%s)")
# Grouped by the kind of account (the code's first part), then by code.
SELECT_ALL_BALANCES = SUM_SLOTS.format(more=", a.closed", accounts="true") + " ORDER BY split_part(a.code, ':', 1), a.code"
BALANCE_COLUMNS = ("account", "currency", "normal_side", "debits_posted", "credits_posted", "debits_pending",
                   "credits_pending")


async def get_balance(conn: AsyncConnection, code: str) -> Balance:
    """The account's balance now: the sum of its slots, independent of its history's length."""
    return await _balance(conn, SELECT_BALANCE, (code,), code)


async def list_balances(conn: AsyncConnection, codes: Sequence[str]) -> dict[str, Balance]:
    """The balances now of those of ``codes`` that name an account (one statement, however
    many), by code; an unknown code is left out rather than refused."""
    rows = await (await conn.execute(SELECT_BALANCES, (list(codes),))).fetchall()
    return {row[0]: msgspec.convert(dict(zip(BALANCE_COLUMNS, row)), Balance) for row in rows}


async def list_account_balances(conn: AsyncConnection) -> list[AccountBalance]:
    """Every account's balance now, with whether it is closed, ordered by the kind of
    account (the code's first part) and code: one statement, however many accounts."""
    rows = await (await conn.execute(SELECT_ALL_BALANCES)).fetchall()
    return [msgspec.convert(dict(zip((*BALANCE_COLUMNS, "closed"), row)), AccountBalance) for row in rows]


async def get_balance_at(conn: AsyncConnection, code: str, at: datetime) -> Balance:
    """The account's balance as it stood at ``at``, recomputed from its history."""
    return await _balance(conn, query("balance_at"), {"code": code, "at": at}, code)


async def _balance(conn: AsyncConnection, sql: str, params, code: str) -> Balance:
    row = await (await conn.execute(sql, params)).fetchone()
    if row is None:
        raise AccountError("account_not_found", f"no account {code!r}")
    return msgspec.convert(dict(zip(BALANCE_COLUMNS, row)), Balance)


async def get_statement(
    conn: AsyncConnection, code: str, *, after_seq: int = 0, limit: int = 100
) -> StatementPage:
    """One page of the account's posted lines, oldest first, with a running balance."""
    account = await get_account(conn, code)
    params = {"account_id": account.id, "after_seq": after_seq, "limit": limit}
    opening = (await (await conn.execute(query("opening_balance"), params)).fetchone())[0]
    rows = await (await conn.execute(query("statement"), params)).fetchall()
    lines = [
        StatementLine(seq=seq, transfer_id=id_, kind=kind, debit_minor=debit, credit_minor=credit,
                      balance_minor=opening + running, counterparty=counterparty,
                      external_ref=external_ref, created_at=created_at)
        for seq, id_, kind, debit, credit, running, counterparty, external_ref, created_at in rows
    ]
    return StatementPage(
        account=code, currency=account.currency, opening_balance_minor=opening, lines=lines,
        next_after_seq=lines[-1].seq if len(lines) == limit else None,
    )


async def verify_ledger(conn: AsyncConnection) -> list[str]:
    """Every invariant checked from scratch; the list of what is wrong (empty when sound)."""
    rows = await (await conn.execute(query("verify_ledger"))).fetchall()
    return [problem for (problem,) in rows]

