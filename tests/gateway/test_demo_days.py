"""``publicpay demo --days D``: the earlier days lived by child demos under libfaketime, on
the embedded PostgreSQL of a fresh PUBLICPAY_HOME (an external server's clock cannot be
moved), and the refusals that keep time moving forward on a home."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from gateway.database import embedded_data_dir, embedded_server
from gateway.demo import past_days
from gateway.demo.report import vnd
from gateway.migrations import migrate
from ledger import store
from ledger.model import AccountSpec, NormalSide, Transfer
from reconciliation.matching import BUSINESS_TIME_ZONE
from tests.conftest import publicpay_environ
from tests.gateway.conftest import free_port
from tests.gateway.test_demo_command import PROVIDERS, fetch, table_rows


def demo_on(home: Path, *arguments: str, database_url: str | None = None) -> subprocess.CompletedProcess:
    environ = publicpay_environ({"PUBLICPAY_HOME": str(home), "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001",
                                 "PUBLICPAY_STATUS_POLL_MS": "200", "COLUMNS": "220"}
                                | ({"PUBLICPAY_DATABASE_URL": database_url} if database_url else {}))
    return subprocess.run([sys.executable, "-m", "gateway", "demo", "--citizens", "8", "--no-serve",
                           "--port", str(free_port()), *arguments],
                          env=environ, capture_output=True, text=True, timeout=900)


def today() -> date:
    return datetime.now(BUSINESS_TIME_ZONE).date()


def test_the_library_moves_a_childs_clock_back_whole_days_and_leaves_the_monotonic_clock_real():
    library = past_days.faketime_library()
    assert past_days.clock_moved_back({"LD_PRELOAD": "/x.so"}, 2, library)["LD_PRELOAD"] == f"{library}:/x.so"
    shown = subprocess.run([sys.executable, "-c", "import time; print(time.time(), time.monotonic())"],
                           env=past_days.clock_moved_back(publicpay_environ(), 2, library), capture_output=True,
                           text=True, check=True)
    wall, monotonic = map(float, shown.stdout.split())
    assert abs(time.time() - wall - 2 * 86_400) < 60, shown.stderr
    assert abs(time.monotonic() - monotonic) < 60  # one clock for every process: timeouts stay real
    assert past_days.business_days(date(2026, 3, 1), 3) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]


@pytest.fixture(scope="module")
def two_days(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path, list[date]]:
    """``--days 2`` on a fresh home: its run, the home, and the two days it should have made."""
    home = tmp_path_factory.mktemp("demo-days") / "home"
    days = [today() - timedelta(days=1), today()]
    return demo_on(home, "--days", "2", "--seed", "11"), home, days


def test_two_days_each_paid_and_reconciled_for_every_provider_on_its_own_day(two_days):
    done, home, (yesterday, this_day) = two_days
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout
    assert f"day 1 of 2: {yesterday}" in output and f"day 2 of 2: {this_day}" in output
    assert output.index(f"business day {yesterday}") < output.index(f"day 2 of 2: {this_day}")
    assert output.count("/console/login") == 1  # the sign-in once, after the last day

    with embedded_server(embedded_data_dir(home)) as url:
        def on_day(query: str, day: date) -> list[tuple]:
            return fetch(url, query.replace("DAY", "(created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"), day)

        rows = table_rows(output)
        for day in (yesterday, this_day):
            # The child's PostgreSQL stamped yesterday's transfers (clock_timestamp()), and its
            # server yesterday's PaymentIntents (Python's clock).
            [(payments, amount)] = on_day("SELECT count(DISTINCT external_ref), coalesce(sum(amount), 0)"
                                          " FROM ledger.transfers WHERE kind = 'payment' AND DAY = %s", day)
            [(succeeded,)] = on_day("SELECT count(*) FROM gateway.payment_intents WHERE status = 'succeeded'"
                                    " AND DAY = %s", day)
            assert payments == succeeded > 0
            runs = fetch(url, "SELECT provider, status FROM recon.runs WHERE business_day = %s", day)
            assert sorted(provider for provider, _ in runs) == sorted(PROVIDERS)
            assert all(status in ("completed", "awaiting_statement") for _, status in runs), runs
            [(lines, matched)] = fetch(url, "SELECT count(*), count(*) FILTER (WHERE match_class = 'matched')"
                                            " FROM recon.matches m JOIN recon.runs r ON r.id = m.run_id"
                                            " WHERE r.business_day = %s", day)
            [(still_open,)] = fetch(url, "SELECT count(*) FROM recon.exceptions e JOIN recon.runs r"
                                         " ON r.id = e.run_id WHERE r.business_day = %s AND e.status = 'open'", day)
            # The table of the days, after the last day, says the same.
            assert rows[day.isoformat()] == [str(payments), vnd(amount),
                                             f"{matched / lines:.0%}", str(still_open)]
        # Each run reconciled its own day's payments: yesterday's payments were matched yesterday.
        assert fetch(url, "SELECT count(*) FROM recon.matches m JOIN recon.runs r ON r.id = m.run_id"
                          " JOIN ledger.transfers t ON t.external_ref = m.attempt_ref AND t.kind = 'payment'"
                          " WHERE r.business_day <> (t.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date") == [(0,)]
        assert fetch(url, "SELECT count(*) FROM gateway.staff_audit"
                          " WHERE action = 'schema_migrated' AND (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date = %s",
                     yesterday) == [(1,)]

        async def problems() -> list[str]:
            async with await psycopg.AsyncConnection.connect(url) as conn:
                return await store.verify_ledger(conn)

        assert asyncio.run(problems()) == []
    assert "ledger invariants: all hold" in output


def test_a_home_with_todays_transfers_is_refused_and_left_as_it_was(tmp_path):
    home = tmp_path / "home"
    with embedded_server(embedded_data_dir(home)) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)

        async def book_a_payment() -> None:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await store.create_account(conn, AccountSpec(code="provider:card:clearing", currency="VND",
                                                             normal_side=NormalSide.DEBIT))
                await store.create_account(conn, AccountSpec(code="agency:BCA:payable", currency="VND",
                                                             normal_side=NormalSide.CREDIT))
                await store.post_transfer(conn, Transfer(id="t1", debit_account="provider:card:clearing",
                                                         credit_account="agency:BCA:payable", amount_minor=50_000,
                                                         currency="VND", kind="payment", external_ref="PA1"))

        asyncio.run(book_a_payment())

    done = demo_on(home, "--days", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    message = " ".join(done.stdout.split())
    assert "time only moves forward on a home" in message
    assert f"its ledger holds transfers up to {today()}" in message
    assert f"the first day to simulate is {today() - timedelta(days=1)}" in message
    assert "another PUBLICPAY_HOME" in message
    assert "day 1 of 2" not in message
    # The home's PostgreSQL is stopped again (a day's child would otherwise join it on today's
    # clock), and nothing was added.
    assert not (embedded_data_dir(home) / "postmaster.pid").exists()
    with embedded_server(embedded_data_dir(home)) as url:
        assert fetch(url, "SELECT count(*) FROM ledger.transfers") == [(1,)]
        assert fetch(url, "SELECT count(*) FROM gateway.payment_intents") == [(0,)]


def test_a_day_whose_postgresql_keeps_the_real_clock_stops_the_demo_naming_the_day(tmp_path):
    # This test holds the home's PostgreSQL, started on the real clock: the first day's child
    # joins it rather than starting one on its own day's clock.
    home = tmp_path / "home"
    with embedded_server(embedded_data_dir(home)) as url:
        done = demo_on(home, "--days", "3")
        assert fetch(url, "SELECT count(*) FROM gateway.payment_intents") == [(0,)]
    assert done.returncode == 1, done.stdout + done.stderr
    message = " ".join(done.stdout.split())
    first_day = today() - timedelta(days=2)
    assert f"PostgreSQL's clock says {today()}, not {first_day}" in message
    assert f"day 1 of 3 ({first_day}) failed" in message
    assert "day 2 of 3" not in message


def test_several_days_need_the_homes_embedded_postgresql(tmp_path, database_url):
    done = demo_on(tmp_path / "home", "--days", "3", database_url=database_url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "needs the embedded PostgreSQL" in done.stdout
    assert fetch(database_url, "SELECT count(*) FROM gateway.payment_intents") == [(0,)]


def test_today_is_refused_on_a_postgresql_left_running_on_an_earlier_day_s_clock(tmp_path):
    """A killed earlier day can leave the home's PostgreSQL running on its moved-back clock:
    today's run would join it and stamp today's payments with that day."""
    home, yesterday = tmp_path / "home", today() - timedelta(days=1)
    holds_the_server = ("import sys\nfrom pathlib import Path\nfrom gateway.database import embedded_data_dir,"
                        " embedded_server\nwith embedded_server(embedded_data_dir(Path(sys.argv[1]))) as url:\n"
                        "    print(url, flush=True)\n    sys.stdin.read()\n")
    environ = past_days.clock_moved_back(publicpay_environ(), 1, past_days.faketime_library())
    holder = subprocess.Popen([sys.executable, "-c", holds_the_server, str(home)], env=environ, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        url = holder.stdout.readline().strip()
        assert fetch(url, "SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date") == [(yesterday,)]
        done = demo_on(home)
        intents = fetch(url, "SELECT count(*) FROM gateway.payment_intents")
    finally:
        holder.communicate(timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"PostgreSQL's clock says {yesterday}, not {today()}" in " ".join(done.stdout.split())
    assert intents == [(0,)]


def test_a_terminated_demo_stops_the_day_it_was_living_with_its_server_and_postgresql(tmp_path):
    home = tmp_path / "home"
    environ = publicpay_environ({"PUBLICPAY_HOME": str(home), "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001"})
    demo = subprocess.Popen([sys.executable, "-m", "gateway", "demo", "--citizens", "8", "--no-serve", "--days", "2",
                             "--port", str(free_port())], env=environ, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        seen = []
        while not (seen and seen[-1].startswith("gateway on")):  # the first day's server is up
            line = demo.stdout.readline()
            assert line, "".join(seen)
            seen.append(line)
        server_url = seen[-1].split()[2]
        demo.terminate()
        output = "".join(seen) + demo.communicate(timeout=300)[0]
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode != 0, output
    assert "day 2 of 2" not in output
    assert not (embedded_data_dir(home) / "postmaster.pid").exists(), output
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server_url}/healthz", timeout=5)
