"""``publicpay demo`` as a user runs it: a subprocess that starts its own server, sends a
small day of citizens through the sandboxes, reconciles each provider and prints the
summary. The summary's figures are checked against what the database recorded, by queries
of this test's own.

The server's quiet-attempt query keeps its default (15 minutes): with the API tests' 2 s it
would find the lost callback before the nightly run does, and the demo is there to show the
nightly run finding it."""

from __future__ import annotations

import asyncio
import getpass
import subprocess
import sys
from datetime import datetime

import psycopg
import pytest

from ledger.store import verify_ledger
from reconciliation.matching import BUSINESS_TIME_ZONE
from tests.conftest import publicpay_environ
from tests.gateway.conftest import free_port

PROVIDERS = ("vnpay", "momo", "vietqr", "card")


@pytest.fixture
def demo_run(database_url, tmp_path) -> tuple[subprocess.CompletedProcess, str]:
    environ = publicpay_environ({
        "PUBLICPAY_DATABASE_URL": database_url, "PUBLICPAY_HOME": str(tmp_path / "home"),
        "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001", "PUBLICPAY_STATUS_POLL_MS": "200", "COLUMNS": "220",
    })
    done = subprocess.run([sys.executable, "-m", "gateway", "demo", "--citizens", "12", "--days", "1", "--seed", "7",
                           "--port", str(free_port()), "--no-serve"],
                          env=environ, capture_output=True, text=True, timeout=600)
    return done, datetime.now(BUSINESS_TIME_ZONE).date().isoformat()


def table_rows(output: str) -> dict[str, list[str]]:
    """The summary's table rows by their first cell (rich draws cells between │)."""
    rows = {}
    for line in output.splitlines():
        if line.count("│") >= 3:
            cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
            rows[cells[0]] = cells[1:]  # the last table wins: reconciliation's rows follow the amounts'
    return rows


def fetch(database_url: str, query: str, *params) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(query, params).fetchall()


def attempts_planned(database_url: str, outcome: str) -> list[str]:
    """The attempts of the intents the demo made for ``outcome`` (it says so in their metadata)."""
    return [ref for (ref,) in fetch(database_url, "SELECT a.attempt_ref FROM gateway.payment_attempts a"
                                    " JOIN gateway.payment_intents i ON i.id = a.intent_id"
                                    " WHERE i.metadata->>'demo_outcome' = %s", outcome)]


def test_a_day_at_the_portal_ends_with_figures_the_database_agrees_with(demo_run, database_url):
    done, day = demo_run
    assert done.returncode == 0, done.stdout + done.stderr
    output, rows = done.stdout, table_rows(done.stdout)

    succeeded = fetch(database_url, "SELECT count(*) FROM gateway.payment_intents WHERE status = 'succeeded'")[0][0]
    booked = fetch(database_url, "SELECT count(DISTINCT external_ref) FROM ledger.transfers WHERE kind = 'payment'"
                                 " AND (created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date = %s", day)[0][0]
    assert succeeded == booked > 0
    assert f"payments booked in the ledger: {booked}" in output
    assert rows["all"][:2] == ["12", str(succeeded)]

    # Each provider's day was reconciled, and the table shows the run's classified lines.
    for provider in PROVIDERS:
        [(lines,)] = fetch(database_url, "SELECT count(m.*) FROM recon.runs r LEFT JOIN recon.matches m"
                                         " ON m.run_id = r.id WHERE r.provider = %s AND r.business_day = %s"
                                         " GROUP BY r.id", provider, day)
        assert rows[provider][1] == str(lines)

    # The lost VNPAY callback: booked by the nightly run through the gateway, once.
    [lost] = attempts_planned(database_url, "lost_callback")
    assert fetch(database_url, "SELECT attempt_ref FROM recon.recoveries") == [(lost,)]
    assert fetch(database_url, "SELECT count(*) FROM ledger.transfers WHERE external_ref = %s AND kind = 'payment'"
                               " AND debit_account_id = (SELECT id FROM ledger.accounts"
                               "  WHERE code = 'provider:vnpay:clearing')", lost)[0][0] >= 1
    assert rows["vnpay"][4] == "1" and rows["paid, callback lost"][:2] == ["1", "1"]

    # The wrong amount MoMo took: never booked, and an exception of the night's run.
    [wrong] = attempts_planned(database_url, "wrong_amount")
    assert fetch(database_url, "SELECT count(*) FROM ledger.transfers WHERE external_ref = %s", wrong) == [(0,)]
    [(exception_id, exception_class)] = fetch(
        database_url, "SELECT e.id, e.match_class FROM recon.exceptions e JOIN recon.runs r ON r.id = e.run_id"
                      " WHERE e.attempt_ref = %s AND r.provider = 'momo'", wrong)
    assert f"{exception_class} 1" in rows["momo"][5]
    assert rows[str(exception_id)][1:3] == [exception_class, wrong]
    assert rows[str(exception_id)][4] == "provider took a wrong amount"

    # Five copies of one callback: one payment.
    [five] = attempts_planned(database_url, "duplicate_callbacks")
    assert fetch(database_url, "SELECT count(DISTINCT id) > 0, count(DISTINCT external_ref) FROM ledger.transfers"
                               " WHERE external_ref = %s AND kind = 'payment'", five) == [(True, 1)]

    # A licence fee is a dossier's: submitted, asked for, and marked paid with its payment.
    fees = fetch(database_url, "SELECT i.status, d.status FROM gateway.payment_intents i JOIN catalogue.dossiers d"
                               " ON d.code = i.reference WHERE i.service = 'BCA-GPLX-DOI'")
    assert fees and all((intent == "succeeded") == (dossier == "paid") for intent, dossier in fees)

    # One Checkout Session paid through its hosted page and the portal's payment page, one
    # left by its payer and expired by the agency.
    assert sorted(fetch(database_url, "SELECT status FROM gateway.checkout_sessions")) == [("complete",), ("expired",)]

    # Every event reached the agencies' receiver, signed.
    [(delivered,)] = fetch(database_url, "SELECT count(*) FROM gateway.webhook_deliveries WHERE status = 'succeeded'")
    assert delivered > 0
    assert rows["deliveries succeeded (gateway)"] == [str(delivered)]
    assert rows["events verified and received (agencies)"] == [str(delivered)]
    assert rows["refused: bad signature"] == ["0"]
    # Each payment that succeeded, the night's recovery included, announced once and received.
    assert rows["payment_intent.succeeded"] == [str(succeeded)]

    assert "ledger invariants: all hold" in output
    assert "/console/login" in output and "demo.officer@example.gov.vn" in output
    # What the demo did as an administrator is in the audit log, as done by whoever ran it.
    actions = fetch(database_url, "SELECT DISTINCT actor, action FROM gateway.staff_audit")
    assert {action for _, action in actions} >= {"api_key_created", "staff_created", "run_started"}
    assert all(actor == f"cli:{getpass.getuser()}" for actor, _ in actions), actions

    async def problems() -> list[str]:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            return await verify_ledger(conn)

    assert asyncio.run(problems()) == []
