"""The exceptions queue: what a run could not prove, for finance staff to resolve.

Each resolution is one transaction: the exception (locked), its postings, and an event in
the append-only audit trail with who, when and why. What a resolution posts follows from
where the run left the money (see :mod:`reconciliation.postings`): an unattributed line's
gross sits in suspense; a ledger entry the provider never settled sits in clearing.

- manual match: an amount mismatch's line is settled against its payment (suspense →
  clearing); other classes are paired on record only;
- write-off: a ledger entry the provider never paid is taken out of clearing into
  suspense; a line already in suspense stays there, on record;
- refund: on record; the gateway refunds the payer through the provider, which posts its
  own refund transfer;
- re-query: asks the provider again; a payment it now proves paid is booked by the gateway
  (as the run would have) and its line's gross moves from suspense to clearing; otherwise
  the exception stays open and the answer is kept in the trail;
- late booking (a run's, never staff's): the ledger has booked the line's payment since,
  for its amount (a callback after the run); the line's gross moves as for a re-query.

What a resolution settles (manual match, re-query, late booking) is owed to the agencies
the ledger's entry booked it for: it is carried to each agency's next remittance
(``recon.remittance_carries``), since its own run has remitted, or computed what it will.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from ledger import store as ledger
from ledger.model import Transfer
from providers.errors import ProviderError
from providers.model import PaymentStatus
from reconciliation import store
from reconciliation.errors import RunRefused
from reconciliation.postings import SUSPENSE, clearing_account, transfer_id
from reconciliation.recovery import Recovered, Recovery, proves_paid
from reconciliation.runs import ProviderSetup, ReconException, Resolution, Run

RUN_ACTOR = "reconciliation"  # who resolves what a run proves by itself
# The resolutions whose postings settle the line against the ledger's entry: its money is
# then due to the entry's agencies.
SETTLING = {Resolution.MANUAL_MATCH, Resolution.RE_QUERY, Resolution.LATE_BOOKING}


class ExceptionEvent(msgspec.Struct, frozen=True, kw_only=True):
    exception_id: int
    action: str
    actor: str
    reason: str
    details: dict
    at: datetime


SELECT_EXCEPTIONS = """
SELECT e.id, e.run_id, r.provider, r.business_day, e.match_class, e.attempt_ref, e.line_no, e.evidence, e.status,
       e.resolution, e.created_at
  FROM recon.exceptions e JOIN recon.runs r ON r.id = e.run_id
"""


async def list_exceptions(conn: AsyncConnection, day: date, *, provider: str | None = None,
                          status: str | None = "open") -> list[ReconException]:
    async with conn.cursor(row_factory=store.struct_rows(ReconException)) as cur:
        await cur.execute(SELECT_EXCEPTIONS + " WHERE r.business_day = %(day)s"
                          " AND (%(provider)s::text IS NULL OR r.provider = %(provider)s)"
                          " AND (%(status)s::text IS NULL OR e.status = %(status)s) ORDER BY e.id",
                          {"day": day, "provider": provider, "status": status})
        return await cur.fetchall()


async def exception_history(conn: AsyncConnection, exception_id: int) -> list[ExceptionEvent]:
    async with conn.cursor(row_factory=store.struct_rows(ExceptionEvent)) as cur:
        await cur.execute("SELECT exception_id, action, actor, reason, details, at FROM recon.exception_events"
                          " WHERE exception_id = %s ORDER BY id", (exception_id,))
        return await cur.fetchall()


async def resolve_exception(conn: AsyncConnection, exception_id: int, resolution: Resolution, *, actor: str,
                            reason: str, recovery: Recovery | None = None) -> ReconException:
    """Resolve an open exception (re-query may leave it open); returns it as it now stands."""
    if not resolution.by_staff:
        raise RunRefused(f"{resolution.value} is for a reconciliation run to find, not to choose",
                         code="resolution_not_for_staff")
    answer, failure = None, None
    if resolution == Resolution.RE_QUERY:
        if recovery is None:
            raise RunRefused("a re-query needs the provider's status query", code="no_status_query")
        found = await _get(conn, exception_id)
        try:
            answer = await recovery.query_status(found.provider, found.attempt_ref)
        except ProviderError as problem:  # kept in the trail; the exception stays open
            failure = str(problem)
    return await _resolve(conn, exception_id, resolution, actor=actor, reason=reason, recovery=recovery,
                          answer=answer, failure=failure)


async def resolve_late_booking(conn: AsyncConnection, exception_id: int, *, run: Run) -> ReconException:
    """The line the ledger lacked is booked now, for its amount: ``run`` found it; its
    money leaves suspense for clearing, and is carried to its agencies' next remittance."""
    return await _resolve(conn, exception_id, Resolution.LATE_BOOKING, actor=RUN_ACTOR,
                          reason=f"booked after its run; found by the run of {run.provider} {run.business_day}"
                                 f" (run {run.id})")


async def _resolve(conn: AsyncConnection, exception_id: int, resolution: Resolution, *, actor: str, reason: str,
                   recovery: Recovery | None = None, answer: PaymentStatus | None = None,
                   failure: str | None = None) -> ReconException:
    async with conn.transaction():
        found = await _get(conn, exception_id, lock=True)
        if found.status != "open":
            raise RunRefused(f"exception {exception_id} is already {found.status}", code="exception_not_open")
        await store.refuse_if_closed(conn, found.business_day)
        setup = await _setup_of_run(conn, found.run_id)
        booked = None
        if resolution == Resolution.RE_QUERY and _proved_payment(setup, found, answer):
            booked = await recovery.book_paid(conn, found.provider, found.attempt_ref, answer)
        transfers, proved = _postings(setup, found, resolution, booked)
        if transfers:
            await ledger.post_transfers(conn, transfers, linked=True)
        details = {"transfers": [t.id for t in transfers]}
        if transfers and resolution in SETTLING:
            details["carried"] = await _carry_to_remittance(conn, setup, found)
        if answer is not None:
            details["status"] = msgspec.to_builtins(answer)
        if booked is not None:
            details["booked"] = list(booked.transfer_ids)
        if failure is not None:
            details["query_failed"] = failure
        if proved:
            await conn.execute("UPDATE recon.exceptions SET status = 'resolved', resolution = %s WHERE id = %s",
                               (resolution.value, exception_id))
        await conn.execute("INSERT INTO recon.exception_events (exception_id, action, actor, reason, details)"
                           " VALUES (%s, %s, %s, %s, %s)",
                           (exception_id, resolution.value, actor, reason, Jsonb(details)))
    return await _get(conn, exception_id)


async def _carry_to_remittance(conn: AsyncConnection, setup: ProviderSetup, found: ReconException) -> dict[str, int]:
    """The line now settles the ledger's entry: what that entry booked for each agency goes
    to the agency's next remittance (the run of the line's day has computed its own)."""
    clearing = await ledger.get_account(conn, clearing_account(setup.provider))
    legs = await store.agency_legs(conn, clearing.id, found.attempt_ref, found.evidence["line"]["kind"])
    await store.carry_settled_after_run(conn, found.id, setup.currency, legs)
    return legs


def _proved_payment(setup: ProviderSetup, found: ReconException, answer: PaymentStatus | None) -> bool:
    """A line the ledger lacked, in the run's currency, that the provider now says is paid."""
    line = found.evidence.get("line")
    return (found.match_class == "missing_in_ledger" and line is not None and line["kind"] == "payment"
            and line["currency"] == setup.currency
            and proves_paid(answer, line["amount_minor"], line["currency"]))


def _postings(setup: ProviderSetup, found: ReconException, resolution: Resolution,
              booked: Recovered | None) -> tuple[list[Transfer], bool]:
    """The transfers a resolution posts, and whether it resolves the exception."""
    line, entry = found.evidence.get("line"), found.evidence.get("ledger")
    in_currency = line is not None and line["currency"] == setup.currency
    match resolution:
        case Resolution.MANUAL_MATCH if found.match_class == "amount_mismatch" and in_currency:
            return [_move(setup, found, "matched", SUSPENSE, clearing_account(setup.provider), line)], True
        case Resolution.WRITE_OFF if found.match_class == "missing_at_provider":
            return [_move(setup, found, "written_off", SUSPENSE, clearing_account(setup.provider), entry)], True
        case Resolution.LATE_BOOKING:
            return [_move(setup, found, "late_booking", SUSPENSE, clearing_account(setup.provider), line)], True
        case Resolution.RE_QUERY:
            # The gateway booked the payment (or a callback did meanwhile): the line's gross,
            # left in suspense by the run, now relieves clearing.
            if booked is None:
                return [], False
            return [_move(setup, found, "recovered", SUSPENSE, clearing_account(setup.provider), line)], True
    return [], True


def _move(setup: ProviderSetup, found: ReconException, purpose: str, debit: str, credit: str, facts: dict) -> Transfer:
    """``facts``' gross from credit to debit (the other way for a refund)."""
    if facts["kind"] == "refund":
        debit, credit = credit, debit
    return Transfer(id=transfer_id(setup.provider, found.business_day, f"exception:{found.id}:{purpose}"),
                    debit_account=debit, credit_account=credit, amount_minor=facts["amount_minor"],
                    currency=facts["currency"], kind="reconciliation_adjustment",
                    metadata={"exception_id": found.id, "attempt_ref": found.attempt_ref})


async def _get(conn: AsyncConnection, exception_id: int, *, lock: bool = False) -> ReconException:
    async with conn.cursor(row_factory=store.struct_rows(ReconException)) as cur:
        await cur.execute(SELECT_EXCEPTIONS + " WHERE e.id = %s" + (" FOR UPDATE OF e" if lock else ""),
                          (exception_id,))
        found = await cur.fetchone()
    if found is None:
        raise RunRefused(f"no exception {exception_id}", code="exception_not_found")
    return found


async def _setup_of_run(conn: AsyncConnection, run_id: int) -> ProviderSetup:
    provider, bank, currency = await (await conn.execute(
        "SELECT provider, bank, currency FROM recon.runs WHERE id = %s", (run_id,))).fetchone()
    return ProviderSetup(provider=provider, bank=bank, currency=currency)

