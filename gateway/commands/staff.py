"""``publicpay staff``: finance console accounts. Works on the database alone, with or
without a running server; each change is audited as done by ``cli:<OS user>``."""

from __future__ import annotations

import typer
from rich.table import Table

from gateway.commands.common import cli_actor, console, run_or_refuse
from gateway.console import staff_store
from gateway.console.errors import ConsoleError
from gateway.console.roles import Role

staff_app = typer.Typer(help="Finance console staff accounts.", no_args_is_help=True)

EmailOption = typer.Option(..., "--email", help="The staff member's email (their login).")


def _run(work):
    return run_or_refuse(work, (ConsoleError,))


@staff_app.command("create")
def create(email: str = EmailOption, role: Role = typer.Option(..., help="officer, auditor or admin."),
           reason: str = typer.Option("new account", help="Why, for the audit log.")) -> None:
    """Create an account; its generated password is printed once, on the last line."""
    staff, password = _run(lambda conn: staff_store.create_staff(conn, email, role, actor=cli_actor(),
                                                                 reason=reason))
    console.print(f"created staff account {staff.id} for {staff.email} ({staff.role}); sign in at /console/login")
    # print(), not the console: the password must be the whole line, never wrapped or styled.
    print(password)


@staff_app.command("list")
def list_() -> None:
    """List accounts with their role and whether they are disabled."""
    table = Table(title="staff")
    for column in ("id", "email", "role", "created", "disabled"):
        table.add_column(column)
    for staff in _run(staff_store.list_staff):
        table.add_row(str(staff.id), staff.email, staff.role, f"{staff.created_at:%Y-%m-%d %H:%M}",
                      f"{staff.disabled_at:%Y-%m-%d %H:%M}" if staff.disabled_at else "")
    console.print(table)


@staff_app.command("disable")
def disable(email: str = EmailOption, reason: str = typer.Option("disabled from the command line",
                                                                  help="Why, for the audit log.")) -> None:
    """Disable an account: its sessions end and it cannot sign in again."""

    async def work(conn):
        found = await staff_store.find_staff_by_email(conn, email)
        return await staff_store.disable_staff(conn, found.id, actor=cli_actor(), reason=reason)

    staff = _run(work)
    console.print(f"disabled staff account {staff.id} ({staff.email})")


def register(app: typer.Typer) -> None:
    app.add_typer(staff_app, name="staff")
