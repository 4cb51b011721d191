"""``publicpay serve``: migrate, then serve the HTTP API under uvicorn: this process
supervises the worker processes, each with a listening socket of its own on the one
address, and stops them as a service must on SIGTERM or SIGINT (see ``gateway.commands.workers``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import psycopg
import typer
import uvicorn
from uvicorn.config import STARTUP_FAILURE

from gateway.commands.common import console, migrated_database, settings_or_exit
from gateway.commands.workers import AddressInUse, Workers, listening_sockets
from gateway.observability.logs import logging_config
from gateway.settings import Settings
from gateway.startup import prepare_catalogue


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port to listen on."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes (each with its own connection pool)."),
) -> None:
    """Serve the payments API (an embedded PostgreSQL unless PUBLICPAY_DATABASE_URL is set)."""
    settings = settings_or_exit()
    sockets = _listening_or_exit(host, port, workers)  # before the database starts: an address in use fails at once
    with migrated_database(settings, quiet=False) as url:
        asyncio.run(_prepare(url, settings))
        # Workers are separate processes that read their settings from the environment:
        # this is how they find the one database (and embedded server) this process holds,
        # the address they are reached at, and the sandboxes' process.
        os.environ["PUBLICPAY_DATABASE_URL"] = url
        if "PUBLICPAY_PUBLIC_URL" not in os.environ:
            os.environ["PUBLICPAY_PUBLIC_URL"] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        # A SIGTERM before the workers run (they take over the signal) exits through the
        # `with` blocks, which stop the embedded PostgreSQL, rather than killing this process.
        signal.signal(signal.SIGTERM, _exit_normally)
        _fresh_metrics_directory(settings)
        with _sandboxes(settings):
            console.print(f"publicpay listening on http://{host}:{port} ({workers} worker(s))")
            _serve(sockets, host, port, settings)


def _listening_or_exit(host: str, port: int, workers: int) -> list[socket.socket]:
    try:
        return listening_sockets(host, port, workers)
    except AddressInUse as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(STARTUP_FAILURE) from refused


def _serve(sockets: list[socket.socket], host: str, port: int, settings: Settings) -> None:
    stop_within_s = settings.shutdown_timeout_ms / 1000
    config = uvicorn.Config(
        "gateway.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=len(sockets),
        log_level=settings.log_level.lower(),
        log_config=logging_config(settings.log_level, settings.log_format),
        # A line per request costs a worker about a tenth of its time; requests are
        # traced by their Request-Id and events instead.
        access_log=False,
        # Then the requests still running are cancelled (their transactions roll back),
        # and the background jobs stop (gateway/background.py) in the time that is left.
        timeout_graceful_shutdown=stop_within_s * REQUESTS_SHARE_OF_SHUTDOWN,
    )
    supervisor = Workers(config, sockets, stop_within_s=stop_within_s)
    supervisor.run()
    if supervisor.failed_to_start():  # uvicorn has stopped them all, and said why
        raise typer.Exit(STARTUP_FAILURE)


REQUESTS_SHARE_OF_SHUTDOWN = 0.8


def _fresh_metrics_directory(settings: Settings) -> None:
    """Where the workers keep their Prometheus counters, for a scrape to sum (see
    gateway/observability/metrics.py); emptied first, as a restart begins every count anew."""
    directory = settings.home_path / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory.resolve())


@contextlib.contextmanager
def _sandboxes(settings: Settings) -> Iterator[None]:
    """The providers' sandboxes in one process of their own (they keep their state in
    memory), which the workers reach at PUBLICPAY_SANDBOX_URL: every payment's in sandbox
    mode, test-mode payments' in live mode. When that is set already, the sandboxes run
    there (started with ``python -m uvicorn gateway.sandbox_server:sandboxes_from_environment
    --factory``) and outlive the gateway, as a real provider outlives a restart of ours."""
    if settings.sandbox_url is not None:
        yield
        return
    port = _free_port()
    os.environ["PUBLICPAY_SANDBOX_URL"] = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gateway.sandbox_server:sandboxes_from_environment", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"])
    try:
        _wait_for_port(port, process)  # else the first payment could reach a proxy with nothing behind it
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


SANDBOX_STARTUP_TIMEOUT_S = 60


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + SANDBOX_STARTUP_TIMEOUT_S
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise SystemExit(f"the sandboxes' process did not listen on port {port} (exit code {process.poll()})")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _prepare(url: str, settings: Settings) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await prepare_catalogue(conn, settings)


def _exit_normally(signum: int, frame: object) -> None:
    raise SystemExit(0)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
