"""`publicpay ledger …` against a real database."""

import asyncio

import psycopg
import pytest
from typer.testing import CliRunner

from gateway.cli import app
from ledger import store
from ledger.model import AccountSpec, NormalSide, Transfer


@pytest.fixture
def books(database_url, monkeypatch):
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", database_url)

    async def fill():
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await store.create_account(conn, AccountSpec(code="clearing", currency="VND", normal_side=NormalSide.DEBIT))
            await store.create_account(conn, AccountSpec(code="payable", currency="VND", normal_side=NormalSide.CREDIT))
            for i in range(3):
                await store.post_transfer(conn, Transfer(id=f"t{i}", debit_account="clearing", credit_account="payable",
                                                         amount_minor=150_000, currency="VND", kind="payment"))

    asyncio.run(fill())


def invoke(*args):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_balance_statement_and_verify(books):
    balance = invoke("ledger", "balance", "payable")
    assert balance.exit_code == 0 and "450,000" in balance.output
    statement = invoke("ledger", "statement", "payable", "--limit", "2")
    assert statement.exit_code == 0 and "300,000" in statement.output and "more: --after-seq" in statement.output
    verify = invoke("ledger", "verify")
    assert verify.exit_code == 0 and "all hold" in verify.output
    assert "expired 0" in invoke("ledger", "expire-pending").output


def test_an_unknown_account_is_named(books):
    result = invoke("ledger", "balance", "nowhere")
    assert result.exit_code == 1 and "account_not_found" in result.output
