"""`publicpay reconcile …` against a real database: run, resume with the statement,
report, resolve and close."""

from __future__ import annotations

import asyncio
import json

import psycopg
import pytest
from typer.testing import CliRunner

from gateway.cli import app
from golden_books import DATA, book_clean_day, book_every_class_day


@pytest.fixture
def clean_day(database_url, monkeypatch):
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", database_url)

    async def book():
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await book_clean_day(conn)

    asyncio.run(book())


def invoke(*args):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_run_resume_report_and_close(clean_day):
    common = ("reconcile", "--date", "2026-11-21", "--bank", "vcb", "--settlement-format", "neutral",
              "--settlement-file", str(DATA / "clean_day.csv"))
    waiting = invoke(*common)
    assert waiting.exit_code == 0, waiting.output
    assert "vnpay 2026-11-21: awaiting_statement" in waiting.output and "matched" in waiting.output
    done = invoke(*common, "--statement", str(DATA / "clean_day_statement.xml"))
    assert done.exit_code == 0 and "completed" in done.output and "366,700" in done.output
    report = invoke("reconcile", "report", "--date", "2026-11-21")
    assert json.loads(report.stdout)["providers"][0]["run"]["bank_entry_ref"] == "FT2632600002"
    remittances = invoke("reconcile", "report", "--date", "2026-11-21", "--format", "remittance-csv")
    assert "treasury:MOJ,320000,VND" in remittances.stdout
    closed = invoke("reconcile", "close", "--date", "2026-11-21", "--actor", "lan.nguyen")
    assert closed.exit_code == 0 and "closed" in closed.output
    refused = invoke(*common)
    assert refused.exit_code == 1 and "day_closed" in refused.output


def test_a_malformed_file_is_refused_with_its_line(clean_day, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text((DATA / "clean_day.csv").read_text().replace("200000,1650", "2e5,1650", 1))
    result = invoke("reconcile", "--date", "2026-11-21", "--provider", "vnpay", "--settlement-format", "neutral",
                    "--settlement-file", str(bad))
    assert result.exit_code == 1 and "malformed_settlement_file" in result.output and "line 2" in result.output


def test_an_exception_is_resolved_from_the_command_line(database_url, monkeypatch):
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", database_url)

    async def book():
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await book_every_class_day(conn)

    asyncio.run(book())
    invoke("reconcile", "--date", "2026-11-21", "--bank", "vcb", "--settlement-format", "neutral", "--settlement-file",
           str(DATA / "every_class.csv"))
    listed = invoke("reconcile", "report", "--date", "2026-11-21", "--format", "exceptions-csv")
    first = listed.stdout.splitlines()[1].split(",")[0]
    resolved = invoke("reconcile", "resolve", first, "--action", "refund", "--actor", "lan", "--reason", "charged twice")
    assert resolved.exit_code == 0 and "resolved (refund)" in resolved.output
