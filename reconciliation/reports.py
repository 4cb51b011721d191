"""A business day's reconciliation as finance staff read it, in JSON and CSV: per provider
the counts by class, fees, net settlement and the bank's confirmation; per agency what was
paid, settled and remitted; every exception and whether it is still open; and the treasury's remittance file."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TextIO

import msgspec
from psycopg import AsyncConnection

from reconciliation import store
from reconciliation.exceptions import list_exceptions
from reconciliation.runs import ReconException, Run


class AgencyLine(msgspec.Struct, frozen=True, kw_only=True):
    """settled + brought forward = remitted + carried forward (see reconciliation.remittance_plan)."""

    agency: str
    paid_minor: int  # booked in the ledger through this provider on the day
    settled_minor: int  # of the provider's matched lines
    brought_forward_minor: int  # carries this run's remittance took: money settled later, negative days
    remitted_minor: int  # sent to the agency's treasury account
    carried_forward_minor: int  # this run's negative total (refunds beyond payments), for the next remittance


class Remittance(msgspec.Struct, frozen=True, kw_only=True):
    batch_id: str  # the ledger transfer's id
    agency: str
    treasury_account: str
    amount_minor: int
    currency: str


class ProviderReport(msgspec.Struct, frozen=True, kw_only=True):
    run: Run
    agencies: list[AgencyLine]
    remittances: list[Remittance]
    exceptions: list[ReconException]


class DayReport(msgspec.Struct, frozen=True, kw_only=True):
    business_day: date
    providers: list[ProviderReport]


AGENCY_LINES = """
WITH agencies AS (
    SELECT agency FROM recon.agency_totals WHERE run_id = %(run_id)s
    UNION SELECT agency FROM recon.remittances WHERE run_id = %(run_id)s
    UNION SELECT agency FROM recon.remittance_carries WHERE taken_by_run_id = %(run_id)s OR run_id = %(run_id)s
)
SELECT a.agency, coalesce(t.paid_minor, 0), coalesce(t.settled_minor, 0),
       (SELECT coalesce(sum(c.amount_minor), 0) FROM recon.remittance_carries c
         WHERE c.taken_by_run_id = %(run_id)s AND c.agency = a.agency)::bigint,
       coalesce(r.amount_minor, 0),
       (SELECT coalesce(sum(c.amount_minor), 0) FROM recon.remittance_carries c
         WHERE c.run_id = %(run_id)s AND c.agency = a.agency)::bigint
  FROM agencies a
  LEFT JOIN recon.agency_totals t ON t.run_id = %(run_id)s AND t.agency = a.agency
  LEFT JOIN recon.remittances r ON r.run_id = %(run_id)s AND r.agency = a.agency
 ORDER BY a.agency
"""
REMITTANCES = """
SELECT transfer_id, agency, treasury_account, amount_minor, currency FROM recon.remittances
 WHERE run_id = %s ORDER BY agency
"""


async def build_report(conn: AsyncConnection, day: date, provider: str | None = None) -> DayReport:
    providers = []
    for run in await store.runs_of_day(conn, day, provider):
        agencies = [AgencyLine(agency=a, paid_minor=p, settled_minor=s, brought_forward_minor=b, remitted_minor=r,
                               carried_forward_minor=c)
                    for a, p, s, b, r, c in await (await conn.execute(AGENCY_LINES, {"run_id": run.id})).fetchall()]
        remittances = [Remittance(batch_id=b, agency=a, treasury_account=t, amount_minor=m, currency=c)
                       for b, a, t, m, c in await (await conn.execute(REMITTANCES, (run.id,))).fetchall()]
        exceptions = await list_exceptions(conn, day, provider=run.provider, status=None)
        providers.append(ProviderReport(run=run, agencies=agencies, remittances=remittances, exceptions=exceptions))
    return DayReport(business_day=day, providers=providers)


def report_json(report: DayReport) -> bytes:
    return msgspec.json.format(msgspec.json.encode(report), indent=2)


def _write(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)


def write_report_csv(report: DayReport, stream: TextIO) -> None:
    """One figure per row (``provider, agency, figure, value``): the shape a spreadsheet
    pivots; agency is empty for a provider's own figures."""
    rows: list[tuple[str, str, str, Any]] = []
    for part in report.providers:
        run = part.run
        rows += [(run.provider, "", "status", run.status), (run.provider, "", "bank_entry_ref", run.bank_entry_ref or "")]
        rows += [(run.provider, "", f"count:{name}", value) for name, value in sorted(run.counts.items())]
        rows += [(run.provider, "", name, value) for name, value in sorted(run.totals.items())]
        for line in part.agencies:
            rows += [(run.provider, line.agency, name, getattr(line, name))
                     for name in ("paid_minor", "settled_minor", "brought_forward_minor", "remitted_minor",
                                  "carried_forward_minor")]
    _write(stream, ("provider", "agency", "figure", "value"), rows)


def write_exceptions_csv(report: DayReport, stream: TextIO) -> None:
    _write(stream, ("id", "provider", "class", "attempt_ref", "line_no", "status", "evidence"), (
        (e.id, e.provider, e.match_class, e.attempt_ref, e.line_no or "", e.status,
         msgspec.json.encode(e.evidence).decode())
        for part in report.providers for e in part.exceptions))


def write_remittance_file(report: DayReport, stream: TextIO) -> None:
    """The State Treasury's file: one row per remittance batch (per provider and agency)."""
    _write(stream, ("batch_id", "business_day", "provider", "agency", "treasury_account", "amount_minor", "currency"), (
        (r.batch_id, report.business_day.isoformat(), part.run.provider, r.agency, r.treasury_account,
         r.amount_minor, r.currency)
        for part in report.providers for r in part.remittances))
