"""``publicpay keys``: create, list and revoke agencies' API keys. The commands only use the
database, so they work whether or not a server is running on the same PUBLICPAY_HOME. Each
change is audited as done by ``cli:<OS user>``, with the key's prefix, never its secret."""

from __future__ import annotations

import psycopg
import typer
from psycopg import AsyncConnection
from rich.table import Table

from gateway.commands.common import cli_actor, console, run_with_connection
from gateway.console.audit import record_action
from gateway.errors import ResourceMissing
from gateway.keys import store
from gateway.keys.model import ApiKey, Mode

keys_app = typer.Typer(help="Agencies' API keys.", no_args_is_help=True)


async def create_audited_key(conn: AsyncConnection, agency: str, mode: Mode, *, actor: str,
                             reason: str) -> tuple[ApiKey, str]:
    """A new key and its audit entry, committed together; the secret is returned, not recorded."""
    async with conn.transaction():
        key, secret = await store.create_key(conn, agency, mode)
        await _record(conn, key, actor=actor, action="api_key_created", reason=reason)
    return key, secret


async def revoke_audited_key(conn: AsyncConnection, key_id: int, *, actor: str, reason: str) -> ApiKey:
    async with conn.transaction():
        key = await store.revoke_key(conn, key_id)
        await _record(conn, key, actor=actor, action="api_key_revoked", reason=reason)
    return key


async def _record(conn: AsyncConnection, key: ApiKey, *, actor: str, action: str, reason: str) -> None:
    await record_action(conn, actor=actor, action=action, target=f"api_key:{key.id}", reason=reason,
                        details={"agency": key.agency_code, "mode": key.mode, "prefix": key.display_prefix})


@keys_app.command("create")
def create(
    agency: str = typer.Option(..., help="The agency's code."),
    mode: Mode = typer.Option(Mode.TEST, help="test keys see only test objects, live keys only live ones."),
    reason: str = typer.Option("created from the command line", help="Why, for the audit log."),
) -> None:
    """Create a key; its secret is printed once, on the last line, and never again."""
    try:
        key, secret = run_with_connection(
            lambda conn: create_audited_key(conn, agency, mode, actor=cli_actor(), reason=reason))
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
def revoke(key_id: int = typer.Argument(..., help="The key's id, as `keys list` shows it."),
           reason: str = typer.Option("revoked from the command line", help="Why, for the audit log.")) -> None:
    """Revoke a key: requests with it are refused from now on."""
    try:
        key = run_with_connection(lambda conn: revoke_audited_key(conn, key_id, actor=cli_actor(), reason=reason))
    except ResourceMissing as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"revoked key {key.id} ({key.display_prefix}…) of agency {key.agency_code}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
