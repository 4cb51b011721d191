"""Every administrative command of the `publicpay` CLI leaves the audit trail the console
leaves: who (the OS user running it, as ``cli:<user>``), when, what and why, never a secret
or a password. Commands run in-process through typer, on a real database."""

from __future__ import annotations

import asyncio

import psycopg
import typer
from typer.testing import CliRunner

from gateway.cli import app
from tests.reconciliation.golden_books import DATA, book_clean_day, book_every_class_day

OS_USER = "kiem.toan"
ACTOR = f"cli:{OS_USER}"

# Every command that changes something, and every one that only reads (or only serves: what
# `serve` and `demo` change they record themselves). A command in neither fails the test
# below until someone decides which it is, and audits it if it changes anything.
AUDITED = {"migrate", "keys create", "keys revoke", "staff create", "staff disable", "catalogue load",
           "ledger expire-pending", "reconcile", "reconcile close", "reconcile resolve"}
READ_ONLY = {"status", "serve", "demo", "keys list", "staff list", "catalogue show", "catalogue price",
             "ledger balance", "ledger statement", "ledger verify", "reconcile report"}


def command_paths(command, prefix: str = "") -> set[str]:
    """The command lines of ``command``: a group whose callback works on its own (as
    `reconcile --date …` does) counts as a command too."""
    if not isinstance(command, typer.core.TyperGroup):
        return {prefix}
    own = {prefix} if prefix and command.invoke_without_command else set()
    return own | {path for name, sub in command.commands.items()
                  for path in command_paths(sub, f"{prefix} {name}".strip())}


def test_every_command_is_known_as_audited_or_read_only() -> None:
    assert command_paths(typer.main.get_command(app)) == AUDITED | READ_ONLY
    assert not AUDITED & READ_ONLY


def publicpay(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "LOGNAME": OS_USER, "USER": OS_USER})
    assert result.exit_code == 0, result.output
    return result.output


def on(database_url: str, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(statement, params).fetchall()


def audit_rows(database_url: str) -> list[tuple]:
    return on(database_url, "SELECT actor, action, target, reason, details, at FROM gateway.staff_audit ORDER BY id")


def test_admin_commands_record_who_what_when_and_why_but_no_secret(empty_database_url, monkeypatch) -> None:
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", empty_database_url)
    publicpay("migrate")
    [(actor, action, target, _, details, at)] = audit_rows(empty_database_url)
    assert (actor, action, target) == (ACTOR, "schema_migrated", "schema")
    assert "gateway/0010_staff" in details["applied"] and at is not None

    secret = publicpay("keys", "create", "--agency", "BCA", "--reason", "new integration").splitlines()[-1]
    key_id = on(empty_database_url, "SELECT id FROM gateway.api_keys")[0][0]
    publicpay("keys", "revoke", str(key_id))
    password = publicpay("staff", "create", "--email", "lan@kbnn.gov.vn", "--role", "officer").splitlines()[-1]
    publicpay("staff", "disable", "--email", "lan@kbnn.gov.vn", "--reason", "left the treasury")
    publicpay("catalogue", "load", "catalogue/data/seed.json")
    publicpay("ledger", "expire-pending")

    rows = audit_rows(empty_database_url)
    assert [(actor, action, target, reason) for actor, action, target, reason, _, _ in rows[1:]] == [
        (ACTOR, "api_key_created", f"api_key:{key_id}", "new integration"),
        (ACTOR, "api_key_revoked", f"api_key:{key_id}", "revoked from the command line"),
        (ACTOR, "staff_created", "staff:lan@kbnn.gov.vn", "new account"),
        (ACTOR, "staff_disabled", "staff:lan@kbnn.gov.vn", "left the treasury"),
        (ACTOR, "catalogue_loaded", f"catalogue:{rows[5][4]['version']}", "catalogue update"),
        (ACTOR, "pending_transfers_expired", "ledger", "expired from the command line")]
    assert rows[1][4] == {"agency": "BCA", "mode": "test", "prefix": secret[:len(rows[1][4]["prefix"])]}
    assert rows[5][4]["status"] == "loaded" and rows[5][4]["file"] == "seed.json"
    assert rows[6][4] == {"voided": []}
    # The secret and the password were printed once; the trail names them by prefix and email only.
    trail = repr(rows)
    assert secret not in trail and password not in trail and secret[len(rows[1][4]["prefix"]):] not in trail


def test_a_refused_change_leaves_no_entry(database_url, monkeypatch) -> None:
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", database_url)
    refused = CliRunner().invoke(app, ["keys", "revoke", "999999"], env={"COLUMNS": "200"})
    assert refused.exit_code == 1 and "No such API key" in refused.output
    assert audit_rows(database_url) == []


def book(database_url: str, booking) -> None:
    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await booking(conn)

    asyncio.run(run())


def test_reconciliation_from_the_command_line_is_audited(database_url, monkeypatch) -> None:
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", database_url)
    book(database_url, book_clean_day)
    publicpay("reconcile", "--date", "2026-11-21", "--bank", "vcb", "--settlement-format", "neutral",
              "--settlement-file", str(DATA / "clean_day.csv"), "--statement", str(DATA / "clean_day_statement.xml"))
    publicpay("reconcile", "close", "--date", "2026-11-21", "--actor", "lan.nguyen")
    [run_id] = [row[0] for row in on(database_url, "SELECT id FROM recon.runs")]
    started, closed = audit_rows(database_url)
    assert started[:4] == (ACTOR, "run_started", f"run:{run_id}", "command line: vnpay 2026-11-21")
    assert started[4]["status"] == "completed"
    assert closed[:4] == (f"{ACTOR} for lan.nguyen", "day_closed", "day:2026-11-21", "reconciled")
    assert on(database_url, "SELECT closed_by FROM recon.closed_days") == [(f"{ACTOR} for lan.nguyen",)]


def test_an_exception_resolved_from_the_command_line_names_the_os_user(database_url, monkeypatch) -> None:
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", database_url)
    book(database_url, book_every_class_day)
    publicpay("reconcile", "--date", "2026-11-21", "--bank", "vcb", "--settlement-format", "neutral",
              "--settlement-file", str(DATA / "every_class.csv"))
    first = on(database_url, "SELECT min(id) FROM recon.exceptions")[0][0]
    publicpay("reconcile", "resolve", str(first), "--action", "refund", "--reason", "charged twice")
    assert on(database_url, "SELECT actor, reason FROM recon.exception_events WHERE exception_id = %s"
                            " AND action = 'refund'", (first,)) == [(ACTOR, "charged twice")]
