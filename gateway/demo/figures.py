"""The demo day's figures, read from the database after the fact: the PaymentIntents the
citizens made, the ledger's payment transfers for their attempts, the webhook deliveries,
and each provider's reconciliation run of the business day; and, for a demo of several days,
each day's overview. Nothing here is counted by the demo itself, so the summary shows what
the gateway recorded, not what the demo intended."""

from __future__ import annotations

from datetime import date

import msgspec
from psycopg import AsyncConnection

from gateway.demo.day_plan import Outcome
from gateway.demo.journeys import Journey
from reconciliation.store import day_bounds


class OutcomeRow(msgspec.Struct, frozen=True, kw_only=True):
    outcome: str
    visits: int
    succeeded: int
    succeeded_minor: int
    still_open: int  # requires_action / requires_payment_method: waiting for the payer or for news


class AmountRow(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # an agency's code or a provider's
    payments: int  # attempts paid into (or through) it
    amount_minor: int


class RunRow(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    status: str | None  # None: no run for the day
    lines: int = 0  # classified lines: the file's and the ledger's unsettled entries
    matched: int = 0
    recovered: int = 0  # lost callbacks booked by the run through the gateway's settling
    exceptions: dict[str, int] = {}  # open exceptions by class

    @property
    def match_rate(self) -> float | None:
        return self.matched / self.lines if self.lines else None


class DayOverview(msgspec.Struct, frozen=True, kw_only=True):
    """One business day of a demo of several, as the database has it after the last day."""

    business_day: date
    by_provider: list[AmountRow]  # payments booked for the day's attempts
    runs: list[RunRow]

    @property
    def payments(self) -> int:
        return sum(row.payments for row in self.by_provider)

    @property
    def amount_minor(self) -> int:
        return sum(row.amount_minor for row in self.by_provider)

    @property
    def match_rate(self) -> float | None:
        lines = sum(run.lines for run in self.runs)
        return sum(run.matched for run in self.runs) / lines if lines else None

    @property
    def open_exceptions(self) -> int:
        return sum(sum(run.exceptions.values()) for run in self.runs)


class ExceptionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    provider: str
    match_class: str
    attempt_ref: str
    status: str
    planned: str | None  # the outcome the demo planned for the attempt's citizen, if one of theirs


class Webhooks(msgspec.Struct, frozen=True, kw_only=True):
    by_status: dict[str, int]  # the gateway's deliveries to the demo's endpoints
    received_events: int  # distinct events the agencies' receiver verified
    received_deliveries: int  # verified POSTs, repeats included
    refused: int  # POSTs whose signature did not verify
    received_by_type: dict[str, int] = {}  # distinct events by type


class DayFigures(msgspec.Struct, frozen=True, kw_only=True):
    business_day: date
    outcomes: list[OutcomeRow]
    by_agency: list[AmountRow]
    by_provider: list[AmountRow]
    payment_transfers: int  # distinct attempts the ledger booked a payment for
    runs: list[RunRow]
    exceptions: list[ExceptionRow] = []
    webhooks: Webhooks | None = None
    errors: list[str] = []


INTENT_STATUSES = "SELECT id, status FROM gateway.payment_intents WHERE id = ANY(%(ids)s)"

ATTEMPTS_OF_INTENTS = "SELECT attempt_ref FROM gateway.payment_attempts WHERE intent_id = ANY(%(ids)s)"

ATTEMPTS_OF_DAY = """
SELECT attempt_ref FROM gateway.payment_attempts WHERE created_at >= %(starts)s AND created_at < %(ends)s
"""

# Payment transfers of the given attempts: one attempt's payment may be split over several
# transfers (one per agency share), all under the attempt's reference.
PAYMENTS_BY_PROVIDER = """
SELECT split_part(d.code, ':', 2), count(DISTINCT t.external_ref), sum(t.amount)
  FROM ledger.transfers t JOIN ledger.accounts d ON d.id = t.debit_account_id
 WHERE t.kind = 'payment' AND t.external_ref = ANY(%(refs)s) AND d.code LIKE 'provider:%%:clearing'
 GROUP BY 1 ORDER BY 1
"""

# agency:<A>:payable or agency:test:<A>:payable: the agency is the part before "payable".
PAYMENTS_BY_AGENCY = """
SELECT split_part(c.code, ':', array_length(string_to_array(c.code, ':'), 1) - 1),
       count(DISTINCT t.external_ref), sum(t.amount)
  FROM ledger.transfers t JOIN ledger.accounts c ON c.id = t.credit_account_id
 WHERE t.kind = 'payment' AND t.external_ref = ANY(%(refs)s) AND c.code LIKE 'agency:%%:payable'
 GROUP BY 1 ORDER BY 1
"""

WEBHOOK_DELIVERIES = """
SELECT d.status, count(*) FROM gateway.webhook_deliveries d
 WHERE d.endpoint_id = ANY(%(endpoints)s) GROUP BY 1
"""

RUN_OF_DAY = """
SELECT r.id, r.status,
       (SELECT count(*) FROM recon.matches m WHERE m.run_id = r.id),
       (SELECT count(*) FROM recon.matches m WHERE m.run_id = r.id AND m.match_class = 'matched'),
       (SELECT count(*) FROM recon.recoveries v WHERE v.run_id = r.id)
  FROM recon.runs r WHERE r.provider = %(provider)s AND r.business_day = %(day)s
"""

OPEN_EXCEPTIONS_OF_RUN = """
SELECT match_class, count(*) FROM recon.exceptions WHERE run_id = %(run)s AND status = 'open'
 GROUP BY 1 ORDER BY 1
"""

EXCEPTIONS_OF_DAY = """
SELECT e.id, r.provider, e.match_class, e.attempt_ref, e.status, i.metadata->>'demo_outcome'
  FROM recon.exceptions e JOIN recon.runs r ON r.id = e.run_id
  LEFT JOIN gateway.payment_attempts a ON a.attempt_ref = e.attempt_ref
  LEFT JOIN gateway.payment_intents i ON i.agency_code = a.agency_code AND i.id = a.intent_id
 WHERE r.business_day = %(day)s ORDER BY e.id
"""

# Days already reconciled: a provider's day is reconciled once, from one settlement file.
RUNS_OF_DAY = "SELECT provider FROM recon.runs WHERE business_day = %(day)s ORDER BY provider"

# What must have happened before the nightly run makes sense: attempts resolved (or flagged
# for a wrong amount).
UNSETTLED_ATTEMPTS = """
SELECT attempt_ref FROM gateway.payment_attempts
 WHERE attempt_ref = ANY(%(refs)s) AND status = 'pending' AND flag IS NULL
"""


async def reconciled_providers(conn: AsyncConnection, day: date) -> list[str]:
    return [row[0] for row in await (await conn.execute(RUNS_OF_DAY, {"day": day})).fetchall()]


async def unsettled_attempts(conn: AsyncConnection, attempt_refs: list[str]) -> list[str]:
    rows = await (await conn.execute(UNSETTLED_ATTEMPTS, {"refs": attempt_refs})).fetchall()
    return [row[0] for row in rows]


async def delivery_counts(conn: AsyncConnection, endpoint_ids: list[str]) -> dict[str, int]:
    """The gateway's deliveries to these endpoints by status: pending, succeeded, failed."""
    return dict(await (await conn.execute(WEBHOOK_DELIVERIES, {"endpoints": endpoint_ids})).fetchall())


async def day_figures(conn: AsyncConnection, day: date, journeys: list[Journey], providers: list[str]) -> DayFigures:
    ids = [j.intent_id for j in journeys if j.intent_id]
    statuses = dict(await (await conn.execute(INTENT_STATUSES, {"ids": ids})).fetchall())
    refs = [row[0] for row in await (await conn.execute(ATTEMPTS_OF_INTENTS, {"ids": ids})).fetchall()]
    by_provider = await amount_rows(conn, PAYMENTS_BY_PROVIDER, refs)
    by_agency = await amount_rows(conn, PAYMENTS_BY_AGENCY, refs)
    return DayFigures(
        business_day=day, outcomes=outcome_rows(journeys, statuses), by_agency=by_agency, by_provider=by_provider,
        payment_transfers=sum(row.payments for row in by_provider),
        runs=[await run_row(conn, provider, day) for provider in providers],
        exceptions=[ExceptionRow(id=id_, provider=provider, match_class=match_class, attempt_ref=ref, status=status,
                                 planned=planned)
                    for id_, provider, match_class, ref, status, planned
                    in await (await conn.execute(EXCEPTIONS_OF_DAY, {"day": day})).fetchall()],
        errors=[f"citizen {j.obligation.visit.citizen_no}: {j.error}" for j in journeys if j.error])


async def day_overview(conn: AsyncConnection, day: date, providers: list[str]) -> DayOverview:
    """The day's booked payments (of the attempts made that day) and its reconciliation runs."""
    starts, ends = day_bounds(day)
    refs = [row[0] for row in await (await conn.execute(ATTEMPTS_OF_DAY, {"starts": starts, "ends": ends})).fetchall()]
    return DayOverview(business_day=day, by_provider=await amount_rows(conn, PAYMENTS_BY_PROVIDER, refs),
                       runs=[await run_row(conn, provider, day) for provider in providers])


async def amount_rows(conn: AsyncConnection, query: str, refs: list[str]) -> list[AmountRow]:
    return [AmountRow(name=name, payments=count, amount_minor=int(total))
            for name, count, total in await (await conn.execute(query, {"refs": refs})).fetchall()]


def outcome_rows(journeys: list[Journey], statuses: dict[str, str]) -> list[OutcomeRow]:
    """Per planned outcome: how many visits, and what their PaymentIntents' statuses are now."""
    rows = []
    for outcome in Outcome:
        mine = [j for j in journeys if j.obligation.visit.outcome == outcome]
        if not mine:
            continue
        succeeded = [j for j in mine if statuses.get(j.intent_id or "") == "succeeded"]
        rows.append(OutcomeRow(
            outcome=outcome.value, visits=len(mine), succeeded=len(succeeded),
            succeeded_minor=sum(j.amount_minor for j in succeeded),
            still_open=sum(statuses.get(j.intent_id or "") in ("requires_action", "requires_payment_method")
                           for j in mine)))
    return rows


async def run_row(conn: AsyncConnection, provider: str, day: date) -> RunRow:
    found = await (await conn.execute(RUN_OF_DAY, {"provider": provider, "day": day})).fetchone()
    if found is None:
        return RunRow(provider=provider, status=None)
    run_id, status, lines, matched, recovered = found
    exceptions = dict(await (await conn.execute(OPEN_EXCEPTIONS_OF_RUN, {"run": run_id})).fetchall())
    return RunRow(provider=provider, status=status, lines=lines, matched=matched, recovered=recovered,
                  exceptions=exceptions)


async def webhook_figures(conn: AsyncConnection, endpoint_ids: list[str], received) -> Webhooks:
    return Webhooks(by_status=await delivery_counts(conn, endpoint_ids), received_events=received.unique_events(),
                    received_deliveries=received.deliveries, refused=received.refused,
                    received_by_type=received.types_received())
