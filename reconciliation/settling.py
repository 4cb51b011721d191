"""The steps of a run that move money: fees and net settlement, the bank's confirmation,
remittances to the State Treasury; then the run's counts and totals.

Remittances wait for the bank: money is sent to the treasury only once the settlement
bank's camt.053 shows the provider's net credit (or, on a day of more refunds than payments,
the net debit). Each takes, with what its run settled,
what is carried for its agencies from before (a negative day, money settled later). Without a statement the run stops as
``awaiting_statement``; running it again with the statement carries it on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import msgspec
from psycopg.types.json import Jsonb

from ledger import store as ledger
from reconciliation import store
from reconciliation.bank_check import find_settlement_booking
from reconciliation.digests import file_sha256
from reconciliation.postings import remittance_transfer, settlement_transfers, treasury_account, treasury_account_spec
from reconciliation.remittance_plan import plan_remittances
from reconciliation.runs import RunStatus, RunStep

if TYPE_CHECKING:
    from reconciliation.engine import RunContext

BANK_CREDIT_MISSING = "bank_credit_missing"
BANK_DEBIT_MISSING = "bank_debit_missing"  # refunds outweighed payments: we owe the provider


async def settle(ctx: RunContext) -> bool:
    conn, run = ctx.conn, ctx.run
    async with conn.transaction():
        await store.refuse_if_closed(conn, ctx.day)
        totals = await store.settlement_totals(conn, run.id, ctx.setup.currency)
        transfers = settlement_transfers(ctx.setup, ctx.day, totals)
        if transfers:
            await ledger.post_transfers(conn, transfers, linked=True)
        await store.store_agency_totals(conn, run.id, ctx.clearing_id, ctx.day)
        await store.mark_step_done(conn, run.id, RunStep.SETTLE)
    return True


async def confirm_bank(ctx: RunContext) -> bool:
    conn, run, setup = ctx.conn, ctx.run, ctx.setup
    net_minor = (await store.settlement_totals(conn, run.id, setup.currency)).net_minor
    if net_minor == 0:  # nothing was due: nothing to find on the statement
        async with conn.transaction():
            await store.mark_step_done(conn, run.id, RunStep.CONFIRM_BANK)
        return True
    if ctx.statement is None:
        await set_status(ctx, RunStatus.AWAITING_STATEMENT)
        return False
    digest = file_sha256(ctx.statement)
    booking = find_settlement_booking(ctx.statement, provider=setup.provider, day=ctx.day,
                                      net_minor=net_minor, currency=setup.currency)
    async with conn.transaction():
        if booking is None:
            evidence = {"expected_net_minor": net_minor, "currency": setup.currency, "statement_sha256": digest,
                        "bank": setup.bank}
            await conn.execute(
                "INSERT INTO recon.exceptions (run_id, match_class, attempt_ref, evidence) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING", (run.id, BANK_CREDIT_MISSING if net_minor > 0 else BANK_DEBIT_MISSING,
                                            f"{setup.provider}:{ctx.day}",
                                            Jsonb(evidence)))
            await conn.execute("UPDATE recon.runs SET status = %s, statement_sha256 = %s WHERE id = %s",
                               (RunStatus.AWAITING_STATEMENT.value, digest, run.id))
            return False
        await store.mark_step_done(conn, run.id, RunStep.CONFIRM_BANK, statement_sha256=digest,
                                   bank_entry_ref=booking.reference, status=RunStatus.RUNNING.value)
    return True


async def set_status(ctx: RunContext, status: RunStatus) -> None:
    await ctx.conn.execute("UPDATE recon.runs SET status = %s WHERE id = %s", (status.value, ctx.run.id))


async def remit(ctx: RunContext) -> bool:
    """One remittance per agency, payable to treasury, linked: what this run settled for
    it and what is carried for it from before (see reconciliation.remittance_plan)."""
    conn, setup = ctx.conn, ctx.setup
    async with conn.transaction():
        await store.refuse_if_closed(conn, ctx.day)
        carries = await store.pending_carries(conn, setup.currency)
        plan = plan_remittances(await store.settled_by_agency(conn, ctx.run.id), carries.sums_by_agency)
        due = [entry for entry in plan if entry.remit_minor > 0]
        for entry in due:
            await ledger.create_account(conn, treasury_account_spec(entry.agency, setup.currency))
        transfers = [remittance_transfer(setup, ctx.day, entry.agency, entry.remit_minor) for entry in due]
        if transfers:
            await ledger.post_transfers(conn, transfers, linked=True)
        for transfer, entry in zip(transfers, due):
            await store.record_remittance(conn, ctx.run.id, entry.agency, treasury_account(entry.agency),
                                          entry.remit_minor, setup.currency, transfer.id)
        taken = [carry_id for entry in plan for carry_id in carries.ids_by_agency.get(entry.agency, ())]
        if taken:
            await store.take_carries(conn, ctx.run.id, taken)
        for entry in plan:
            if entry.carried_forward_minor < 0:
                await store.carry_negative_settlement(conn, ctx.run.id, entry.agency, setup.currency,
                                                      entry.carried_forward_minor)
        await store.mark_step_done(conn, ctx.run.id, RunStep.REMIT)
    return True


async def total(ctx: RunContext) -> bool:
    conn, run = ctx.conn, ctx.run
    async with conn.transaction():
        sums = await store.settlement_totals(conn, run.id, ctx.setup.currency)
        remitted = await (await conn.execute(
            "SELECT coalesce(sum(amount_minor), 0)::bigint FROM recon.remittances WHERE run_id = %s",
            (run.id,))).fetchone()
        totals = msgspec.structs.asdict(sums) | {
            "fee_minor": sums.fee_minor, "net_settlement_minor": sums.net_minor, "remitted_minor": remitted[0]}
        await store.mark_step_done(conn, run.id, RunStep.TOTALS, totals=Jsonb(totals), status=RunStatus.COMPLETED.value)
        await conn.execute("UPDATE recon.runs SET finished_at = now() WHERE id = %s", (run.id,))
    return True


SETTLING_STEPS: dict[RunStep, Callable[[RunContext], Awaitable[bool]]] = {
    RunStep.SETTLE: settle,
    RunStep.CONFIRM_BANK: confirm_bank,
    RunStep.REMIT: remit,
    RunStep.TOTALS: total,
}
