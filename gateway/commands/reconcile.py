"""``publicpay reconcile``: run a provider's day by hand, close a day, read its report,
resolve its exceptions.

Settlement files are read in the neutral CSV of :mod:`reconciliation.settlement_csv` until
the provider adapters' own formats are plugged in (``run_reconciliation``'s ``parse``).
Status queries are not wired into the command line yet: a line missing in the ledger
becomes an exception, to re-query from the gateway once its adapters answer.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.commands.common import console, run_or_refuse
from providers.errors import ProviderUnavailable
from providers.model import PaymentStatus
from reconciliation import exceptions, reports, store
from reconciliation.engine import run_reconciliation
from reconciliation.errors import ReconciliationError
from reconciliation.runs import ProviderSetup, Resolution, RunStep
from reconciliation.settlement_csv import read_settlement_csv

reconcile_app = typer.Typer(help="Reconcile a provider's business day; close days; resolve exceptions.",
                            invoke_without_command=True)

DateOption = typer.Option(..., "--date", formats=["%Y-%m-%d"], help="The business day (Asia/Ho_Chi_Minh).")


def register(app: typer.Typer) -> None:
    app.add_typer(reconcile_app, name="reconcile")


def _run(work):
    return run_or_refuse(work, (ReconciliationError,))


async def status_unavailable(provider: str, attempt_ref: str) -> PaymentStatus:
    raise ProviderUnavailable(f"status queries to {provider} are not wired into the command line")


class BarProgress:
    """The run's progress on a rich bar: lines loaded out of the file's, then each step."""

    def __init__(self, progress: Progress, total_lines: int) -> None:
        self.progress = progress
        self.task = progress.add_task("load", total=total_lines)

    def step(self, step: RunStep) -> None:
        self.progress.update(self.task, description=step.value)

    def lines(self, loaded: int) -> None:
        self.progress.update(self.task, completed=loaded)


def count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b"")) - 1, 0)


def provider_of(path: Path) -> str:
    with path.open("rb") as stream:
        first = next(iter(read_settlement_csv(stream)), None)
    if first is None:
        raise typer.BadParameter("the settlement file is empty: name the provider with --provider")
    return first.provider


@reconcile_app.callback()
def reconcile_command(
    ctx: typer.Context,
    day: datetime = typer.Option(None, "--date", formats=["%Y-%m-%d"], help="The business day (Asia/Ho_Chi_Minh)."),
    provider: str = typer.Option(None, help="Provider code; by default the settlement file's."),
    settlement_file: Path = typer.Option(None, exists=True, dir_okay=False, help="Settlement file (neutral CSV)."),
    statement: Path = typer.Option(None, exists=True, dir_okay=False, help="The settlement bank's camt.053."),
    bank: str = typer.Option("main", help="Settlement bank code: the run posts to bank:<code>:settlement."),
) -> None:
    """Reconcile one provider's business day (again, to resume or to add the statement)."""
    if ctx.invoked_subcommand is not None:
        return
    if day is None or settlement_file is None:
        raise typer.BadParameter("--date and --settlement-file are needed to run a reconciliation")

    async def work(conn):
        setup = ProviderSetup(provider=provider or provider_of(settlement_file), bank=bank)
        with Progress(TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            return await run_reconciliation(conn, setup, day.date(), settlement_file, statement=statement,
                                            query_status=status_unavailable,
                                            progress=BarProgress(progress, count_lines(settlement_file)))

    run = _run(work)
    console.print(f"{run.provider} {run.business_day}: [bold]{run.status}[/bold] after {len(run.steps_done)} step(s)")
    for name, value in sorted(run.counts.items()):
        console.print(f"  {name:>20}  {value:,}")
    for name, value in sorted(run.totals.items()):
        console.print(f"  {name:>24}  {value:,}")


@reconcile_app.command("close")
def close_command(day: datetime = DateOption, actor: str = typer.Option(..., help="Who closes the day."),
                  reason: str = typer.Option("reconciled", help="Why.")) -> None:
    """Close a business day: nothing posts into it afterwards."""
    _run(lambda conn: store.close_day(conn, day.date(), actor=actor, reason=reason))
    console.print(f"business day {day.date()} closed")


@reconcile_app.command("report")
def report_command(day: datetime = DateOption, provider: str = typer.Option(None),
                   output_format: str = typer.Option("json", "--format",
                                                     help="json, csv, exceptions-csv or remittance-csv")) -> None:
    """A day's report on standard output."""
    writers = {"csv": reports.write_report_csv, "exceptions-csv": reports.write_exceptions_csv,
               "remittance-csv": reports.write_remittance_file}
    if output_format != "json" and output_format not in writers:
        raise typer.BadParameter(f"unknown format {output_format!r}")
    report = _run(lambda conn: reports.build_report(conn, day.date(), provider))
    if output_format == "json":
        sys.stdout.write(reports.report_json(report).decode() + "\n")
    else:
        writers[output_format](report, sys.stdout)


@reconcile_app.command("resolve")
def resolve_command(exception_id: int, action: Resolution = typer.Option(...), actor: str = typer.Option(...),
                    reason: str = typer.Option(...)) -> None:
    """Resolve an exception (re-query needs the gateway's status queries)."""
    found = _run(lambda conn: exceptions.resolve_exception(conn, exception_id, action, actor=actor, reason=reason,
                                                           query_status=status_unavailable))
    console.print(f"exception {found.id}: {found.status}" + (f" ({found.resolution})" if found.resolution else ""))
