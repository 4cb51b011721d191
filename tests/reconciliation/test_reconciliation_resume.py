"""A run that crashes at any point resumes where it stopped and ends exactly where an
uninterrupted run ends: the same ledger, the same classes, nothing posted twice."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from golden_books import DATA, DAY, SETUP, FakeProvider, book_every_class_day
from ledger import store as ledger
from reconciliation.engine import SilentProgress, run_reconciliation
from reconciliation.runs import RunStatus, RunStep
from reconciliation.settlement_csv import read_settlement_csv

EVERY, EVERY_STATEMENT = DATA / "every_class.csv", DATA / "every_class_statement.xml"


class Crash(Exception):
    """The process dying, as far as the database can tell: the transaction in flight is lost."""


class CrashAtStep(SilentProgress):
    def __init__(self, step: RunStep) -> None:
        self.at = step

    def step(self, step: RunStep) -> None:
        if step is self.at:
            raise Crash(step)


class CrashWhileLoading(SilentProgress):
    def lines(self, loaded: int) -> None:
        if loaded:
            raise Crash("mid-COPY")


def crash_after_lines(count: int):
    def parse(stream):
        for number, line in enumerate(read_settlement_csv(stream)):
            if number == count:
                raise Crash("mid-file")
            yield line
    return parse


async def state(conn):
    """Everything a run leaves behind, comparable across databases."""
    transfers = await (await conn.execute(
        "SELECT id, amount, external_ref FROM ledger.transfers WHERE id LIKE 'recon:%' ORDER BY id")).fetchall()
    matches = await (await conn.execute(
        "SELECT line_no, attempt_ref, match_class FROM recon.matches ORDER BY line_no NULLS LAST, attempt_ref")).fetchall()
    queued = await (await conn.execute(
        "SELECT match_class, attempt_ref FROM recon.exceptions ORDER BY match_class, attempt_ref")).fetchall()
    return transfers, matches, queued, await ledger.verify_ledger(conn)


async def reconcile(conn, **options):
    return await run_reconciliation(conn, SETUP, DAY, EVERY, statement=EVERY_STATEMENT,
                                    recovery=FakeProvider({"PA-105": 50_000}).recovery, **options)


@pytest.fixture(scope="module")
def reference_database_url(server_url, template_name):
    """A second fresh database, for the outcome a test compares its own database against."""
    name = f"publicpay_reference_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_name)))
    yield make_conninfo(server_url, dbname=name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
async def uninterrupted(reference_database_url):
    async with await psycopg.AsyncConnection.connect(reference_database_url, autocommit=True) as conn:
        await book_every_class_day(conn)
        await reconcile(conn)
        return await state(conn)


@pytest.mark.parametrize("crash", [*(CrashAtStep(step) for step in list(RunStep)[1:]), CrashWhileLoading()],
                         ids=[*(f"before-{step}" for step in list(RunStep)[1:]), "mid-copy"])
async def test_a_crash_before_any_step_resumes_to_the_same_end(conn, crash, uninterrupted):
    await book_every_class_day(conn)
    with pytest.raises(Crash):
        await reconcile(conn, progress=crash)
    run = await reconcile(conn)
    assert run.status is RunStatus.COMPLETED and run.attempts == 2
    assert await state(conn) == uninterrupted


async def test_a_crash_in_the_middle_of_the_file_leaves_nothing_loaded(conn):
    await book_every_class_day(conn)
    with pytest.raises(Crash):
        await reconcile(conn, parse=crash_after_lines(5))
    assert await (await conn.execute("SELECT count(*) FROM recon.settlement_lines")).fetchone() == (0,)
    assert (await reconcile(conn)).counts["lines"] == 10


async def test_a_crash_among_the_status_queries_books_each_recovery_once(conn):
    await book_every_class_day(conn)

    class DiesOnSecondQuestion(FakeProvider):
        async def query_status(self, provider, attempt_ref):
            if len(self.asked) == 1:
                raise Crash("provider call in flight")
            return await super().query_status(provider, attempt_ref)

    with pytest.raises(Crash):
        await run_reconciliation(conn, SETUP, DAY, EVERY, statement=EVERY_STATEMENT,
                                 recovery=DiesOnSecondQuestion({"PA-105": 50_000}).recovery)
    run = await reconcile(conn)
    assert run.counts["recovered"] == 1
    assert await (await conn.execute(
        "SELECT count(*) FROM ledger.transfers WHERE external_ref = 'PA-105'")).fetchone() == (1,)
