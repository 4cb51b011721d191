"""``publicpay reconcile``: run a provider's day by hand, close a day, read its report,
resolve its exceptions.

The settlement file is the provider's own format, read by its adapter: given with
``--settlement-file``, or else taken from the reconciliation inbox or fetched through the
adapter (gateway.settlement_files). ``--settlement-format neutral`` reads the neutral CSV
of :mod:`reconciliation.settlement_csv` instead. Lines missing in the ledger are asked
about at their provider and, when paid, booked through the gateway's settling.
"""

from __future__ import annotations

import contextlib
import enum
import sys
from datetime import date, datetime
from pathlib import Path

import typer
from psycopg import AsyncConnection
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.commands.common import cli_actor, console, run_or_refuse, settings_or_exit
from gateway.console.audit import record_action
from gateway.provider_setup import Providers, open_providers
from gateway.reconciling import gateway_recovery
from gateway.settings import Settings
from gateway.settlement_files import Inbox, adapter_parser, settlement_file
from reconciliation import exceptions, reports, store
from reconciliation.engine import SettlementParser, run_reconciliation
from reconciliation.errors import ReconciliationError
from reconciliation.recovery import Recovery
from reconciliation.runs import ProviderSetup, Resolution, RunStep
from reconciliation.settlement_csv import read_settlement_csv

reconcile_app = typer.Typer(help="Reconcile a provider's business day; close days; resolve exceptions.",
                            invoke_without_command=True)

DateOption = typer.Option(..., "--date", formats=["%Y-%m-%d"], help="The business day (Asia/Ho_Chi_Minh).")
# The audit trails name the OS user who ran the command; --actor adds whom they acted for.
ActorOption = typer.Option(None, help="The person the change is made for, recorded beside the OS user.")


def register(app: typer.Typer) -> None:
    app.add_typer(reconcile_app, name="reconcile")


def _run(work):
    return run_or_refuse(work, (ReconciliationError,))


class SettlementFormat(enum.StrEnum):
    PROVIDER = "provider"  # the provider's own file, read by its adapter
    NEUTRAL = "neutral"  # reconciliation's neutral CSV (tests, hand-made files)


def recovery_on(conn: AsyncConnection, providers: Providers) -> Recovery:
    """Status queries look attempts up on the command's one connection: it is idle then."""
    return gateway_recovery(providers, lambda: contextlib.nullcontext(conn))


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


async def inputs(providers: Providers, settings: Settings, provider: str | None, day: date, given: Path | None,
                 settlement_format: SettlementFormat) -> tuple[str, Path, SettlementParser]:
    """The provider, its day's settlement file and the parser of its format."""
    if settlement_format == SettlementFormat.NEUTRAL:
        if given is None:
            raise typer.BadParameter("--settlement-format neutral needs --settlement-file")
        return provider or provider_of(given), given, read_settlement_csv
    adapter = providers.adapters.get(provider or "")
    if adapter is None:
        raise typer.BadParameter(f"--provider must be one of {', '.join(providers.adapters)}")
    return provider, given or await settlement_file(Inbox.of(settings), adapter, day), adapter_parser(adapter)


@reconcile_app.callback()
def reconcile_command(
    ctx: typer.Context,
    day: datetime = typer.Option(None, "--date", formats=["%Y-%m-%d"], help="The business day (Asia/Ho_Chi_Minh)."),
    provider: str = typer.Option(None, help="Provider code (with a neutral CSV, by default the file's)."),
    settlement_file_path: Path = typer.Option(
        None, "--settlement-file", exists=True, dir_okay=False,
        help="The settlement file; by default the inbox's, or else fetched through the provider's adapter."),
    settlement_format: SettlementFormat = typer.Option(
        SettlementFormat.PROVIDER, help="provider: the provider's own format; neutral: reconciliation's CSV."),
    statement: Path = typer.Option(None, exists=True, dir_okay=False,
                                   help="The settlement bank's camt.053; by default the inbox's, once it is there."),
    bank: str = typer.Option(None, help="Settlement bank code (bank:<code>:settlement); default"
                                        " PUBLICPAY_RECONCILIATION_BANK."),
) -> None:
    """Reconcile one provider's business day (again, to resume or to add the statement)."""
    if ctx.invoked_subcommand is not None:
        return
    if day is None:
        raise typer.BadParameter("--date is needed to run a reconciliation")
    settings = settings_or_exit()

    async def work(conn):
        async with open_providers(settings) as providers:
            code, settlement, parse = await inputs(providers, settings, provider, day.date(), settlement_file_path,
                                                   settlement_format)
            setup = ProviderSetup(provider=code, bank=bank or settings.reconciliation_bank)
            with Progress(TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console) as progress:
                run = await run_reconciliation(
                    conn, setup, day.date(), settlement, parse=parse, recovery=recovery_on(conn, providers),
                    statement=statement or Inbox.of(settings).statement_if_arrived(setup.bank, day.date()),
                    progress=BarProgress(progress, count_lines(settlement)))
        # As the console records a run it starts (the run's own steps commit as they go).
        await record_action(conn, actor=cli_actor(), action="run_started", target=f"run:{run.id}",
                            reason=f"command line: {code} {day.date().isoformat()}",
                            details={"status": run.status, "settlement_sha256": run.settlement_sha256})
        return run

    run = _run(work)
    console.print(f"{run.provider} {run.business_day}: [bold]{run.status}[/bold] after {len(run.steps_done)} step(s)")
    for name, value in sorted(run.counts.items()):
        console.print(f"  {name:>20}  {value:,}")
    for name, value in sorted(run.totals.items()):
        console.print(f"  {name:>24}  {value:,}")


@reconcile_app.command("close")
def close_command(day: datetime = DateOption, actor: str = ActorOption,
                  reason: str = typer.Option("reconciled", help="Why.")) -> None:
    """Close a business day: nothing posts into it afterwards."""

    async def close(conn):
        async with conn.transaction():
            who = cli_actor(actor)
            await store.close_day(conn, day.date(), actor=who, reason=reason)
            await record_action(conn, actor=who, action="day_closed", target=f"day:{day.date()}", reason=reason)

    _run(close)
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
def resolve_command(exception_id: int, action: Resolution = typer.Option(...), actor: str = ActorOption,
                    reason: str = typer.Option(...)) -> None:
    """Resolve an exception (a re-query asks the provider through its adapter)."""
    settings = settings_or_exit()

    async def work(conn):
        async with open_providers(settings) as providers:
            # Audited in reconciliation's own trail (recon.exception_events), in the
            # resolution's transaction, as the console's resolutions are.
            return await exceptions.resolve_exception(conn, exception_id, action, actor=cli_actor(actor),
                                                      reason=reason,
                                                      recovery=recovery_on(conn, providers))

    found = _run(work)
    console.print(f"exception {found.id}: {found.status}" + (f" ({found.resolution})" if found.resolution else ""))
