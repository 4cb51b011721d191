"""What every command needs: the console, the settings, and a migrated database."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import psycopg
import typer
from psycopg.types.json import Jsonb
from rich.console import Console
from rich.markup import escape

from gateway.console.audit import RECORD_ACTION
from gateway.database import database_url
from gateway.migrations import Migration, MigrationError, migrate
from gateway.settings import Settings, SettingsError, load_settings

console = Console()

T = TypeVar("T")


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def cli_actor(on_behalf_of: str | None = None) -> str:
    """Who the audit log names for a change made from the command line: the OS user running
    it, and the person they name as acting for, if any (a name anyone could type)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = f"uid-{os.getuid()}"
    return f"cli:{user} for {on_behalf_of}" if on_behalf_of else f"cli:{user}"


def record_migrations(conn: psycopg.Connection, applied: list[Migration]) -> None:
    conn.execute(RECORD_ACTION, {"actor": cli_actor(), "action": "schema_migrated", "target": "schema",
                                 "reason": "pending migrations applied at start",
                                 "details": Jsonb({"applied": [migration.label for migration in applied]})})


def migrate_or_exit(conn: psycopg.Connection, *, quiet: bool = False) -> None:
    try:
        applied = migrate(conn, record=record_migrations)
    except MigrationError as exc:
        console.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(1) from None
    if not quiet:
        for migration in applied:
            console.print(f"applied {migration.label}")
        console.print(f"schema up to date ({len(applied)} migration(s) applied)")


@contextlib.contextmanager
def migrated_database(settings: Settings | None = None, *, quiet: bool = True) -> Iterator[str]:
    """The database's URL, after applying any pending migration (embedded server if needed)."""
    with database_url(settings or settings_or_exit()) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate_or_exit(conn, quiet=quiet)
        yield url


def run_with_connection(work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work`` on an autocommit connection to the migrated database; return its result."""

    async def with_connection(url: str) -> T:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await work(conn)

    with migrated_database() as url:
        return asyncio.run(with_connection(url))


def run_or_refuse(work: Callable[[psycopg.AsyncConnection], Awaitable[T]], refusals: tuple[type[Exception], ...]) -> T:
    """run_with_connection, turning the domain's refusals (which carry a ``code``) into a
    message and exit status 1 rather than a traceback."""
    try:
        return run_with_connection(work)
    except refusals as exc:
        # escape: paths such as $.services[3] would otherwise read as rich markup
        console.print(f"[red]refused ({exc.code}):[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
