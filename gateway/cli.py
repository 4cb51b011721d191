"""The ``publicpay`` command line."""

from __future__ import annotations

import asyncio
import importlib
import sys

import psycopg
import typer
from rich.table import Table

from gateway.commands.common import console, migrated_database

app = typer.Typer(help="publicpay: payments and settlement for the public-service portal.", no_args_is_help=True)


@app.command("migrate")
def migrate_command() -> None:
    """Apply every package's pending schema migrations."""
    with migrated_database(quiet=False):
        pass


@app.command("status")
def status_command() -> None:
    """Migrate, then print the ledger's totals and whether its invariants hold."""
    with migrated_database(quiet=False) as url:
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

# Command groups live in their own modules under gateway/commands/, each with a
# ``register(app)`` function; add one name here per module.
SUBCOMMAND_MODULES: tuple[str, ...] = ("ledger", "serve", "keys", "catalogue", "reconcile", "staff", "demo")

for _name in SUBCOMMAND_MODULES:
    importlib.import_module(f"gateway.commands.{_name}").register(app)


def main() -> None:
    sys.exit(app())
