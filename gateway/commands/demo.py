"""``publicpay demo``: days at the portal, simulated end to end.

It starts ``publicpay serve`` on PUBLICPAY_HOME (a port of its own), gives the agencies
test keys and webhook endpoints at a receiver in this process, sends citizens through the
provider sandboxes with the day's mix of outcomes, waits for callbacks and webhooks to
settle, runs ``publicpay reconcile`` for each provider's business day, and prints the day's
figures as the database has them, with the finance console's address and a sign-in.

With ``--days D`` the business days are the D-1 days before today, then today. Each earlier
day, oldest first, is a child ``publicpay demo --days 1 --no-serve`` under libfaketime
(gateway/demo/past_days.py): its clock, its embedded PostgreSQL's and its server's are moved
back to that day, since the ledger and everything else stamp what they record with the clock
and take no clock as a parameter. Today then runs in this process, and a table of the days
follows its figures. Time only moves forward on a home, so a home that already holds
transfers on or after the first day, or has one of the days reconciled, is refused.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date, datetime
from typing import TypeVar

import msgspec
import psycopg
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from catalogue.billers.sandbox import add_sandbox_fixtures
from gateway import database
from gateway.commands.common import console, migrated_database, settings_or_exit
from gateway.commands.reconcile import reconcile_app
from gateway.demo import figures, past_days, preparing, report
from gateway.demo.citizens import AGENCIES, all_records, obligation_of
from gateway.demo.day_plan import MIN_CITIZENS, PROVIDERS, plan_day, resolves_before_the_night
from gateway.demo.journeys import Journey, Portal, pay
from gateway.demo.serving import RunningServer, ServerFailed, gateway_server, port_or_free, server_environment
from gateway.demo.webhook_receiver import ReceivedEvents, webhook_receiver
from gateway.settings import Settings
from ledger.store import verify_ledger
from providers.simulation.scenarios import SandboxTiming
from reconciliation.matching import BUSINESS_TIME_ZONE

T = TypeVar("T")

CITIZENS_AT_ONCE = 4
WEBHOOK_PATIENCE_S = 30
SETTLE_MARGIN_S = 30  # beyond the sandboxes' late-callback delay
SETTLE_CAP_S = 180  # the longest the demo waits for callbacks, whatever the time scale


def demo(
    citizens: int = typer.Option(40, min=MIN_CITIZENS, help=f"How many citizens come to the portal each day (at"
                                                              f" least {MIN_CITIZENS}: one per incident of the day)."),
    days: int = typer.Option(1, min=1, help="Business days: the D-1 days before today, then today"
                                            " (Asia/Ho_Chi_Minh). Each earlier day runs, oldest first, in a child"
                                            " demo under libfaketime, which moves its clock, its embedded"
                                            " PostgreSQL's and its server's back to that day (so above 1 needs the"
                                            " home's embedded PostgreSQL, not an external database). Time only"
                                            " moves forward on a home: one with transfers on or after the first"
                                            " day, or with one of the days reconciled, is refused (use a new"
                                            " PUBLICPAY_HOME)."),
    port: int = typer.Option(8000, min=1, max=65535, help="The server's port (another free one if it is taken)."),
    seed: int = typer.Option(None, help="Replay the days' mix of errands, providers and outcomes (day k of D uses"
                                        " seed + k - 1)."),
    serve: bool = typer.Option(True, "--serve/--no-serve",
                               help="Keep serving after the summary, until Ctrl+C, so that the console can be"
                                    " visited; --no-serve stops the server and exits."),
    business_day: datetime = typer.Option(None, formats=["%Y-%m-%d"], hidden=True,
                                          help="The day this run must find on its clock and its database's: how"
                                               " a demo of several days runs an earlier day."),
) -> None:
    """Simulate days at the portal: citizens paying fines, fees, premiums and bills through
    every provider, agencies receiving webhooks, then each day's nightly reconciliation; ends
    with the day's summary (and a table of the days) and the finance console's address."""
    leave_cleanly_when_terminated()
    settings = settings_or_exit()
    if settings.mode != "sandbox":
        console.print("[red]the demo needs PUBLICPAY_MODE=sandbox:[/red] it pays through the providers' sandboxes")
        raise typer.Exit(2)
    seed = secrets.randbelow(1_000_000) if seed is None else seed
    day = datetime.now(BUSINESS_TIME_ZONE).date()
    planned = business_day.date() if business_day else None
    if planned:
        refuse_if(past_days.clock_problem(planned, day))
    the_days = past_days.business_days(day, days)
    if days > 1:
        live_the_days_before(settings, the_days, citizens, port, seed)
        console.print(f"day {days} of {days}: {day}")
    if not live_the_day(settings, the_days, citizens, port, seed + days - 1, serve, planned):
        raise typer.Exit(1)


def live_the_day(settings: Settings, days: list[date], citizens: int, port: int, seed: int, serve: bool,
                 planned: date | None) -> bool:
    """The last of ``days``, this process's: from starting the server to the summary, then
    serving if asked; whether everything went as the gateway promises."""
    day = days[-1]
    with migrated_database(settings) as database_url:
        # Whatever the day: a killed earlier day's PostgreSQL may still run on its moved-back
        # clock, and this process would have joined it.
        refuse_if(past_days.clock_problem(day, day, on_database(database_url, past_days.database_day)))
        already = on_database(database_url, lambda conn: figures.reconciled_providers(conn, day))
        if already:
            console.print(f"[red]business day {day} is already reconciled on this home[/red] ({', '.join(already)}):"
                          " a provider's day is reconciled once, from one settlement file. Run the demo with"
                          " another PUBLICPAY_HOME (e.g. PUBLICPAY_HOME=.publicpay-demo), or tomorrow.")
            raise typer.Exit(1)
        # An earlier day's server log is kept beside today's.
        log_path = settings.home_path / "demo" / (f"serve-{planned}.log" if planned else "serve.log")
        try:
            with webhook_receiver() as (receiver_url, received), \
                    gateway_server(database_url, port_or_free(port), log_path) as server:
                console.print(f"gateway on {server.url} (its log: {log_path}); business day {day}; seed {seed}")
                # As serve does for its workers: the reconcile command run in this process
                # finds the database, and the sandboxes behind this server, in the environment.
                os.environ["PUBLICPAY_DATABASE_URL"] = database_url
                os.environ.setdefault("PUBLICPAY_PUBLIC_URL", server.url)
                portal, endpoints = open_the_portal(database_url, server.url, receiver_url, received)
                healthy = run_day(database_url, portal, endpoints, received, day, citizens, seed)
                if len(days) > 1:
                    console.print(report.days_table(on_database(database_url,
                                                                lambda conn: days_overview(conn, days))))
                if not planned:  # an earlier day's sign-in would be reset the next day: none is shown
                    email, password = on_database(database_url, preparing.officer_account)
                    console.print(report.console_panel(server.url, email, password, serving=serve))
                if serve:
                    serve_until_interrupted(server)
        except ServerFailed as failure:
            console.print(f"[red]{failure}[/red]")
            raise typer.Exit(1) from None
    return healthy


def refuse_if(problem: str | None) -> None:
    if problem:
        console.print(f"[red]refused:[/red] {problem}")
        raise typer.Exit(1)


def live_the_days_before(settings: Settings, days: list[date], citizens: int, port: int, seed: int) -> None:
    """Every day of ``days`` but the last (today), oldest first, each a child demo under
    libfaketime; stops the demo (exit 1) at the first that fails."""
    if settings.database_url:
        console.print("[red]--days above 1 needs the embedded PostgreSQL of PUBLICPAY_HOME:[/red] the earlier days"
                      " move its clock back, and an external server (PUBLICPAY_DATABASE_URL) keeps its own")
        raise typer.Exit(2)
    try:
        library = past_days.faketime_library()
    except past_days.PastDaysRefused as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(2) from None
    # Not migrated here: a fresh home's schema is created by the first day, on its clock.
    # Leaving the block stops the embedded PostgreSQL, which each day then starts on its own.
    with database.database_url(settings) as url:
        problems = on_database(url, lambda conn: past_days.home_problems(conn, days))
    if problems:
        console.print("[red]time only moves forward on a home, and this one is past the first day to simulate:"
                      f"[/red] {'; '.join(problems)}. Run the demo with another PUBLICPAY_HOME (e.g."
                      " PUBLICPAY_HOME=.publicpay-demo-days).")
        raise typer.Exit(1)
    today = days[-1]
    for number, day in enumerate(days[:-1], start=1):
        console.print(f"day {number} of {len(days)}: {day}")
        arguments = ["--days", "1", "--no-serve", "--citizens", str(citizens), "--port", str(port),
                     "--seed", str(seed + number - 1), "--business-day", day.isoformat()]
        status = run_child([sys.executable, "-m", "gateway", "demo", *arguments],
                           past_days.clock_moved_back(os.environ, (today - day).days, library))
        if status:
            console.print(f"[red]day {number} of {len(days)} ({day}) failed[/red] (exit status {status}): the demo"
                          " stops there")
            raise typer.Exit(1)


def leave_cleanly_when_terminated() -> None:
    """SIGTERM or SIGHUP (a closed terminal, a cancelled job) leaves through the ``with``
    blocks, which stop the server and the embedded PostgreSQL, as Ctrl+C does, rather than
    killing this process and leaving them running; with a failure's status, so that a demo
    of several days sees the day fail."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda number, frame: sys.exit(128 + number))


def run_child(command: list[str], environ: dict[str, str]) -> int:
    process = subprocess.Popen(command, env=environ)
    # However this process is stopped, the child stops its server and PostgreSQL itself:
    # killed, it would leave its PostgreSQL running on its day's clock.
    try:
        return process.wait()
    except KeyboardInterrupt:  # the child had the Ctrl+C too
        process.wait()
        raise
    except SystemExit:  # a SIGTERM or SIGHUP of this process's: passed on
        process.terminate()
        process.wait()
        raise


async def days_overview(conn: psycopg.AsyncConnection, days: list[date]) -> list[figures.DayOverview]:
    return [await figures.day_overview(conn, day, list(PROVIDERS)) for day in days]


def open_the_portal(database_url: str, server_url: str, receiver_url: str,
                    received: ReceivedEvents) -> tuple[Portal, dict[str, str]]:
    """The agencies' keys, and their webhook endpoints (agency → endpoint id) at the receiver."""
    portal = Portal(url=server_url, secrets=on_database(database_url,
                                                        lambda conn: preparing.agency_secrets(conn, AGENCIES)))
    endpoints = {}
    for agency in AGENCIES:
        endpoints[agency], received.secrets[agency] = preparing.replace_webhook_endpoint(
            portal.client(agency), f"{receiver_url}/webhooks/{agency}")
    return portal, endpoints


def run_day(database_url: str, portal: Portal, endpoints: dict[str, str], received: ReceivedEvents, day: date,
            citizens: int, seed: int) -> bool:
    """The day from keys to summary; whether everything went as the gateway promises."""
    rng = random.Random(seed)
    run_tag = f"{secrets.randbelow(10**7):07d}"  # this run's decisions, bills and households are new
    obligations = [obligation_of(visit, run_tag, day, rng) for visit in plan_day(citizens, seed)]
    on_database(database_url, lambda conn: add_sandbox_fixtures(conn, all_records(obligations)))

    with progress_bars() as progress:
        journeys = send_citizens(portal, obligations, progress)
        settled = wait_for_callbacks(database_url, journeys, progress)
    if datetime.now(BUSINESS_TIME_ZONE).date() != day:
        console.print("[yellow]midnight passed in Asia/Ho_Chi_Minh during the demo:[/yellow] payments booked"
                      " after it belong to the next business day, which this demo does not reconcile")
    failed_runs = [provider for provider in PROVIDERS if not reconcile(day, provider)]
    with progress_bars() as progress:  # the night's recoveries are announced too
        delivered = wait_for_webhooks(database_url, list(endpoints.values()), progress)
    # The receiver ends with the demo: later deliveries to it would only fail and be retried.
    for agency, endpoint_id in endpoints.items():
        preparing.disable_webhook_endpoint(portal.client(agency), endpoint_id)

    async def summarise(conn: psycopg.AsyncConnection):
        day_figures = await figures.day_figures(conn, day, journeys, list(PROVIDERS))
        hooks = await figures.webhook_figures(conn, list(endpoints.values()), received)
        return msgspec.structs.replace(day_figures, webhooks=hooks), await verify_ledger(conn)

    day_figures, ledger_problems = on_database(database_url, summarise)
    report.render(console, day_figures)
    console.print("ledger invariants: " + ("[green]all hold[/green]" if not ledger_problems
                                           else "[red]" + "; ".join(ledger_problems) + "[/red]"))
    return settled and delivered and not (ledger_problems or failed_runs or day_figures.errors)


def progress_bars() -> Progress:
    return Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


def send_citizens(portal: Portal, obligations: list, progress: Progress) -> list[Journey]:
    """Every citizen's visit, a few at once as at a real portal; in the plan's order."""
    task = progress.add_task("citizens paying", total=len(obligations))
    journeys = {}
    with ThreadPoolExecutor(CITIZENS_AT_ONCE) as pool:
        futures = {pool.submit(pay, portal, obligation): obligation.visit.citizen_no for obligation in obligations}
        for future in as_completed(futures):
            journeys[futures[future]] = future.result()
            progress.advance(task)
    return [journeys[n] for n in sorted(journeys)]


def wait_for_callbacks(database_url: str, journeys: list[Journey], progress: Progress) -> bool:
    """Until every attempt that should end before the night has (the late callback is the
    last); bounded by the sandboxes' late delay plus a margin. Whether all did."""
    refs = [j.attempt_ref for j in journeys if j.attempt_ref and resolves_before_the_night(j.obligation.visit)]
    task = progress.add_task("callbacks arriving", total=len(refs))
    patience_s = min(SETTLE_CAP_S, late_callback_delay_s() + SETTLE_MARGIN_S)
    waiting = wait_until(lambda: on_database(database_url, lambda conn: figures.unsettled_attempts(conn, refs)),
                         lambda left: progress.update(task, completed=len(refs) - len(left)),
                         lambda left: not left, patience_s)
    if waiting:
        console.print(f"[yellow]after {patience_s:.0f} s, {len(waiting)} payment(s) still await their provider's"
                      f" news:[/yellow] {', '.join(waiting)}; reconciliation will look at them")
    return not waiting


def wait_for_webhooks(database_url: str, endpoints: list[str], progress: Progress) -> bool:
    """Until no delivery to the agencies' endpoints is pending; whether none is."""
    task = progress.add_task("webhooks to agencies")

    def show(counts: dict[str, int]) -> None:
        progress.update(task, total=sum(counts.values()), completed=sum(counts.values()) - counts.get("pending", 0))

    counts = wait_until(lambda: on_database(database_url, lambda conn: figures.delivery_counts(conn, endpoints)),
                        show, lambda counts: not counts.get("pending"), WEBHOOK_PATIENCE_S)
    if counts.get("pending"):
        console.print(f"[yellow]after {WEBHOOK_PATIENCE_S} s, {counts['pending']} webhook deliveries are still"
                      " pending[/yellow]")
    return not counts.get("pending")


def wait_until(look: Callable[[], T], show: Callable[[T], object], done: Callable[[T], bool], patience_s: float) -> T:
    """Look until ``done``, or until ``patience_s`` has passed; the last answer."""
    deadline = time.monotonic() + patience_s
    while True:
        seen = look()
        show(seen)
        if done(seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.25)


def late_callback_delay_s() -> float:
    scale = float(server_environment("", os.environ)["PUBLICPAY_SANDBOX_TIME_SCALE"])
    return SandboxTiming().late_s * scale


def reconcile(day: date, provider: str) -> bool:
    """``publicpay reconcile --date D --provider P``, the operator's command itself (its
    settlement file fetched from the provider's sandbox through the adapter, its progress and
    counts on the screen); whether it succeeded."""
    arguments = ["--date", day.isoformat(), "--provider", provider]
    console.rule(f"publicpay reconcile {' '.join(arguments)}")
    status = typer.main.get_command(reconcile_app).main(arguments, prog_name="publicpay reconcile",
                                                        standalone_mode=False)
    return not status  # None when it returned normally, the status of a typer.Exit otherwise


def on_database(database_url: str, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
    async def with_connection() -> T:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            return await work(conn)

    return asyncio.run(with_connection())


def serve_until_interrupted(server: RunningServer) -> None:
    """Until Ctrl+C (or SIGTERM), or until the server stops by itself."""
    # As serve does: SIGTERM leaves through the `with` blocks, which stop the server and the
    # embedded PostgreSQL, rather than killing this process outright.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        while not server.stopped():
            time.sleep(1)
        console.print(f"[yellow]the server stopped by itself ({server.process.returncode}); its log says why[/yellow]")
    except KeyboardInterrupt:
        console.print("stopping the server")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
