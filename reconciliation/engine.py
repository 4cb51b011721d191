"""The nightly run for one provider and business day: load, classify, recover, queue
exceptions, settle, confirm against the bank, remit, total.

Each step commits its effects and its marker in one transaction, so a crash at any point
loses at most the step in flight, and the next run of the day starts after the last step
that finished. Every posting has a deterministic id, so even a step replayed after its
postings committed but before its marker did (the recovery loop) posts nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Protocol

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from ledger import store as ledger
from providers.errors import ProviderError
from providers.model import PaymentStatus, SettlementLine
from reconciliation import store
from reconciliation.digests import file_sha256
from reconciliation.errors import RunRefused, SettlementFormatError
from reconciliation.exceptions import resolve_late_booking
from reconciliation.postings import clearing_account, provider_account_specs
from reconciliation.recovery import Recovery, proves_paid
from reconciliation.runs import ProviderSetup, Run, RunStep
from reconciliation.settlement_csv import read_settlement_csv
from reconciliation.settling import SETTLING_STEPS

log = logging.getLogger(__name__)

SettlementParser = Callable[[BinaryIO], Iterable[SettlementLine]]
STATUS_QUERIES_AT_ONCE = 16  # enough to hide a provider's latency without flooding it


class RunProgress(Protocol):
    def step(self, step: RunStep) -> None: ...
    def lines(self, loaded: int) -> None: ...


class SilentProgress:
    def step(self, step: RunStep) -> None:
        pass

    def lines(self, loaded: int) -> None:
        pass


@dataclass(frozen=True)
class RunContext:
    """What every step of one run needs."""

    conn: AsyncConnection
    setup: ProviderSetup
    day: date
    run: Run
    clearing_id: int
    settlement: Path
    statement: Path | None
    parse: SettlementParser
    recovery: Recovery
    progress: RunProgress


async def run_reconciliation(
    conn: AsyncConnection, setup: ProviderSetup, day: date, settlement: Path, *, recovery: Recovery,
    statement: Path | None = None, parse: SettlementParser = read_settlement_csv,
    progress: RunProgress = SilentProgress(),
) -> Run:
    """Reconcile ``setup.provider`` for ``day`` from its settlement file (and the bank's
    camt.053, when it has come); run it again to resume, or once the statement arrives.

    ``conn`` must be in autocommit mode: the run makes its own transactions. Raises
    RunLocked when another session is running the same day, DayClosed when the day is
    closed, RunInputsChanged when the day was reconciled from a different file,
    SettlementFormatError when the file cannot be read (no run is left behind then, so
    that a corrected file can be loaded).
    """
    digest = file_sha256(settlement)
    async with store.run_lock(conn, setup.provider, day):
        async with conn.transaction():
            await store.refuse_if_closed(conn, day)
        for spec in provider_account_specs(setup):
            await ledger.create_account(conn, spec)
        clearing = await ledger.get_account(conn, clearing_account(setup.provider))
        run = await store.start_run(conn, setup, day, digest)
        for step, perform in STEPS.items():
            if run.done(step):
                continue
            progress.step(step)
            context = RunContext(conn=conn, setup=setup, day=day, run=run, clearing_id=clearing.id,
                                 settlement=settlement, statement=statement, parse=parse,
                                 recovery=recovery, progress=progress)
            finished = await perform(context)
            run = await store.get_run(conn, run.id)
            if not finished:
                break
        return run


async def load(ctx: RunContext) -> bool:
    try:
        async with ctx.conn.transaction():
            with ctx.settlement.open("rb") as stream:
                await store.copy_settlement_lines(ctx.conn, ctx.run.id, ctx.parse(stream), ctx.progress.lines)
            await store.mark_step_done(ctx.conn, ctx.run.id, RunStep.LOAD)
    except SettlementFormatError:
        await store.forget_unloaded_run(ctx.conn, ctx.run.id)
        raise
    return True


async def classify(ctx: RunContext) -> bool:
    async with ctx.conn.transaction():
        await store.classify(ctx.conn, ctx.run.id, ctx.setup.provider, ctx.clearing_id, ctx.day,
                             ctx.setup.carry_window)
        await store.mark_step_done(ctx.conn, ctx.run.id, RunStep.CLASSIFY)
    return True


async def recover(ctx: RunContext) -> bool:
    """Book, through the gateway, each payment the ledger lacks that the provider's status
    query proves paid for the line's amount and currency (a lost callback, recovered); class
    those left whose payment the gateway refused."""
    missing = [row for row in await store.lines_missing_in_ledger(ctx.conn, ctx.run.id) if row[2] == "payment"]
    recovered = await recover_lost_payments(ctx, [row for row in missing if row[4] == ctx.setup.currency])
    await class_refused_payments(ctx, [(line_no, ref) for line_no, ref, *_ in missing if line_no not in recovered])
    await match_late_bookings(ctx)
    async with ctx.conn.transaction():
        await store.mark_step_done(ctx.conn, ctx.run.id, RunStep.RECOVER)
    return True


async def recover_lost_payments(ctx: RunContext, missing: list[tuple[int, str, str, int, str]]) -> set[int]:
    """The numbers of the lines (of ``missing``, payments in the run's currency) that the
    gateway now books."""
    gate = asyncio.Semaphore(STATUS_QUERIES_AT_ONCE)

    async def ask(attempt_ref: str) -> PaymentStatus | None:
        async with gate:
            try:
                return await ctx.recovery.query_status(ctx.setup.provider, attempt_ref)
            except ProviderError as problem:  # unproved for now: it becomes an exception
                log.warning("status query for %s %s failed: %s", ctx.setup.provider, attempt_ref, problem)
                return None

    answers = await asyncio.gather(*(ask(ref) for _, ref, _, _, _ in missing))
    recovered = set()
    for (line_no, ref, _, amount_minor, currency), status in zip(missing, answers):
        if proves_paid(status, amount_minor, currency) and await book_recovered(ctx, line_no, ref, status):
            recovered.add(line_no)
    return recovered


async def class_refused_payments(ctx: RunContext, missing: list[tuple[int, str]]) -> None:
    """A payment line (line_no, attempt_ref) still missing in the ledger whose attempt the
    gateway refused for its amount is that, an amount mismatch against the refused attempt,
    which is kept as evidence."""
    refused = await ctx.recovery.refused_attempts(ctx.conn, ctx.setup.provider, [ref for _, ref in missing])
    async with ctx.conn.transaction():
        for line_no, ref in missing:
            if ref in refused:
                attempt = refused[ref]
                log.warning("%s settled %s, whose payment the gateway refused: the attempt asked %s %s",
                            ctx.setup.provider, ref, attempt.amount_minor, attempt.currency)
                await store.record_refused_attempt(ctx.conn, ctx.run.id, line_no, ref,
                                                   msgspec.json.encode(attempt).decode())


async def match_late_bookings(ctx: RunContext) -> None:
    """Lines of the provider's earlier files that the ledger lacked then and has now (a
    callback after their run): their exceptions resolve as late bookings, once each."""
    for exception_id in await store.late_bookings(ctx.conn, ctx.run.id, ctx.setup.provider, ctx.clearing_id,
                                                  ctx.day):
        try:
            await resolve_late_booking(ctx.conn, exception_id, run=ctx.run)
        except RunRefused as refused:  # resolved meanwhile by finance staff, or its day closed
            log.info("late booking of exception %s left as it is: %s", exception_id, refused)


async def book_recovered(ctx: RunContext, line_no: int, ref: str, status: PaymentStatus) -> bool:
    """The gateway's booking and the line's new class in one transaction; a payment the
    gateway cannot attribute stays missing in the ledger (an exception, in suspense): False."""
    async with ctx.conn.transaction():
        await store.refuse_if_closed(ctx.conn, ctx.day)
        booked = await ctx.recovery.book_paid(ctx.conn, ctx.setup.provider, ref, status)
        if booked is None:
            log.warning("%s says %s is paid, but the gateway books no attempt of its for it", ctx.setup.provider, ref)
            return False
        if booked.booked_now:
            await store.record_recovery(ctx.conn, ctx.run.id, line_no, ref, ",".join(booked.transfer_ids),
                                        msgspec.json.encode(status).decode())
        else:
            await store.mark_line_matched(ctx.conn, ctx.run.id, line_no)
        return True


async def queue_exceptions(ctx: RunContext) -> bool:
    """Queue what is still unproved; the counts by class are final from here on."""
    async with ctx.conn.transaction():
        await store.open_exceptions(ctx.conn, ctx.run.id)
        counts = await store.count_classes(ctx.conn, ctx.run.id)
        await store.mark_step_done(ctx.conn, ctx.run.id, RunStep.EXCEPTIONS, counts=Jsonb(counts))
    return True


STEPS: dict[RunStep, Callable[[RunContext], Awaitable[bool]]] = {
    RunStep.LOAD: load,
    RunStep.CLASSIFY: classify,
    RunStep.RECOVER: recover,
    RunStep.EXCEPTIONS: queue_exceptions,
    **SETTLING_STEPS,
}
assert list(STEPS) == list(RunStep), "every step, in order"
