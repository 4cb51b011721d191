"""``publicpay keys``: create, list and revoke agencies' API keys. The commands only use the
database, so they work whether or not a server is running on the same PUBLICPAY_HOME."""

from __future__ import annotations

import psycopg
import typer
from rich.table import Table

from gateway.commands.common import console, run_with_connection
from gateway.errors import ResourceMissing
from gateway.keys import store
from gateway.keys.model import Mode

keys_app = typer.Typer(help="Agencies' API keys.", no_args_is_help=True)


@keys_app.command("create")
def create(
    agency: str = typer.Option(..., help="The agency's code."),
    mode: Mode = typer.Option(Mode.TEST, help="test keys see only test objects, live keys only live ones."),
) -> None:
    """Create a key; its secret is printed once, on the last line, and never again."""
    try:
        key, secret = run_with_connection(lambda conn: store.create_key(conn, agency, mode))
    except psycopg.errors.CheckViolation:
        console.print(f"[red]not an agency code:[/red] {agency!r}")
        raise typer.Exit(2) from None
    console.print(f"created key {key.id} ({key.display_prefix}…) for agency {key.agency_code}, {key.mode} mode")
    # print(), not the console: the secret must be the whole line, never wrapped or styled.
    print(secret)


@keys_app.command("list")
def list_(agency: str | None = typer.Option(None, help="Only this agency's keys.")) -> None:
    """List keys (their prefixes only: secrets are not kept)."""
    keys = run_with_connection(lambda conn: store.list_keys(conn, agency))
    table = Table(title="API keys")
    for column in ("id", "agency", "mode", "key", "created", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(str(key.id), key.agency_code, key.mode, key.display_prefix + "…",
                      f"{key.created_at:%Y-%m-%d %H:%M}", f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "")
    console.print(table)


@keys_app.command("revoke")
def revoke(key_id: int = typer.Argument(..., help="The key's id, as `keys list` shows it.")) -> None:
    """Revoke a key: requests with it are refused from now on."""
    try:
        key = run_with_connection(lambda conn: store.revoke_key(conn, key_id))
    except ResourceMissing as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"revoked key {key.id} ({key.display_prefix}…) of agency {key.agency_code}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
