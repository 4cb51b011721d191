"""``publicpay ledger``: balances, statements, invariant checks and pending timeouts."""

from __future__ import annotations

import typer
from rich.table import Table

from gateway.commands.common import cli_actor, console, run_or_refuse
from gateway.console.audit import record_action
from ledger import store
from ledger.errors import AccountError

ledger_app = typer.Typer(help="Read the ledger and run its maintenance.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")


def _run(work) -> None:
    run_or_refuse(work, (AccountError,))


@ledger_app.command("balance")
def balance_command(account: str) -> None:
    """An account's balance: posted, pending and available."""

    async def show(conn):
        balance = await store.get_balance(conn, account)
        table = Table(title=f"{account} ({balance.currency}, {balance.normal_side} normal)")
        for column in ("debits posted", "credits posted", "debits pending", "credits pending", "balance", "available"):
            table.add_column(column, justify="right")
        table.add_row(*(f"{value:,}" for value in (
            balance.debits_posted, balance.credits_posted, balance.debits_pending, balance.credits_pending,
            balance.posted, balance.available)))
        console.print(table)

    _run(show)


@ledger_app.command("statement")
def statement_command(account: str, after_seq: int = 0, limit: int = typer.Option(50, min=1, max=1000)) -> None:
    """One page of an account's statement, with the running balance."""

    async def show(conn):
        page = await store.get_statement(conn, account, after_seq=after_seq, limit=limit)
        table = Table(title=f"{account}: opening {page.opening_balance_minor:,} {page.currency}")
        for column in ("seq", "time (UTC)", "transfer", "kind", "counterparty", "debit", "credit", "balance"):
            table.add_column(column, justify="right" if column in ("seq", "debit", "credit", "balance") else "left")
        for line in page.lines:
            table.add_row(str(line.seq), f"{line.created_at:%Y-%m-%d %H:%M:%S}", line.transfer_id, line.kind,
                          line.counterparty, f"{line.debit_minor:,}", f"{line.credit_minor:,}", f"{line.balance_minor:,}")
        console.print(table)
        if page.next_after_seq:
            console.print(f"more: --after-seq {page.next_after_seq}")

    _run(show)


@ledger_app.command("verify")
def verify_command() -> None:
    """Recompute every balance from history and check every invariant."""

    async def verify(conn):
        problems = await store.verify_ledger(conn)
        for problem in problems:
            console.print(f"[red]{problem}[/red]")
        console.print("invariants: " + ("[green]all hold[/green]" if not problems else f"[red]{len(problems)} broken"))
        if problems:
            raise typer.Exit(1)

    _run(verify)


@ledger_app.command("expire-pending")
def expire_command(reason: str = typer.Option("expired from the command line", help="Why, for the audit log.")) -> None:
    """Void every pending transfer whose timeout has passed."""

    async def expire(conn):
        async with conn.transaction():
            expired = await store.expire_pending_transfers(conn)
            await record_action(conn, actor=cli_actor(), action="pending_transfers_expired", target="ledger",
                                reason=reason, details={"voided": expired})
        console.print(f"expired {len(expired)} pending transfer(s)" + (": " + ", ".join(expired) if expired else ""))

    _run(expire)
