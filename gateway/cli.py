"""The ``publicpay`` command line."""

from __future__ import annotations

import asyncio
import sys

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from gateway.database import database_url
from gateway.migrations import MigrationError, migrate
from gateway.settings import SettingsError, load_settings

app = typer.Typer(help="publicpay: payments and settlement for the public-service portal.", no_args_is_help=True)
console = Console()


def _settings():
    try:
        return load_settings()
    except SettingsError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


@app.command("migrate")
def migrate_command() -> None:
    """Apply every package's pending schema migrations."""
    with database_url(_settings()) as url, psycopg.connect(url, autocommit=True) as conn:
        _migrate(conn)


def _migrate(conn: psycopg.Connection) -> None:
    try:
        applied = migrate(conn)
    except MigrationError as exc:
        console.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(1) from None
    for migration in applied:
        console.print(f"applied {migration.label}")
    console.print(f"schema up to date ({len(applied)} migration(s) applied)")


@app.command("run")
def run_command() -> None:
    """Migrate, then print the ledger's status (the gateway will serve here)."""
    with database_url(_settings()) as url, psycopg.connect(url, autocommit=True) as conn:
        _migrate(conn)
        asyncio.run(_print_ledger_status(url))


async def _print_ledger_status(url: str) -> None:
    from ledger.store import verify_ledger

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        rows = await (await conn.execute(LEDGER_STATUS)).fetchall()
        problems = await verify_ledger(conn)
    table = Table(title="ledger")
    for column in ("currency", "accounts", "transfers", "debits posted", "credits posted"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(str(value) for value in row))
    console.print(table)
    console.print("invariants: " + ("[green]all hold[/green]" if not problems else "[red]" + "; ".join(problems)))
    if problems:
        raise typer.Exit(1)


LEDGER_STATUS = """
SELECT a.currency, count(DISTINCT a.id),
       (SELECT count(*) FROM ledger.transfers t WHERE t.currency = a.currency),
       sum(b.debits_posted), sum(b.credits_posted)
  FROM ledger.accounts a JOIN ledger.balance_slots b ON b.account_id = a.id
 GROUP BY a.currency ORDER BY a.currency
"""


# Command groups that live in their own modules under gateway/commands/, one line each.
SUBCOMMAND_MODULES: tuple[str, ...] = ()


def main() -> None:
    import importlib

    for module_name in SUBCOMMAND_MODULES:
        module = importlib.import_module(f"gateway.commands.{module_name}")
        module.register(app)
    sys.exit(app())
