"""The migration runner: applies in order, once, and refuses a database ahead of the code."""

import threading

import psycopg
import pytest

from gateway.migrations import PACKAGES, Migration, MigrationError, discover_migrations, migrate


def test_every_package_migrates_in_dependency_order():
    found = discover_migrations()
    assert found, "no migrations found"
    order = [PACKAGES.index(m.package) for m in found]
    assert order == sorted(order)
    assert found[0].label == "ledger/0001_ledger"


def test_a_migrated_database_has_nothing_pending(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert migrate(conn) == []


def test_a_new_migration_is_applied_once(database_url):
    extra = discover_migrations() + [Migration("gateway", 9999, "probe", "CREATE TABLE public.probe (x int)")]
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert [m.label for m in migrate(conn, extra)] == ["gateway/9999_probe"]
        assert migrate(conn, extra) == []
        assert conn.execute("SELECT to_regclass('public.probe') IS NOT NULL").fetchone()[0]


def test_the_record_of_what_was_applied_commits_with_the_last_migration(database_url):
    probes = [Migration("gateway", 9998, "probe", "CREATE TABLE public.probe (x int)"),
              Migration("gateway", 9999, "second_probe", "CREATE TABLE public.second_probe (x int)")]
    seen = []

    def record(conn: psycopg.Connection, applied: list[Migration]) -> None:
        # Inside the last migration's transaction: its change is there, not yet committed.
        seen.append(([m.label for m in applied], conn.info.transaction_status,
                     conn.execute("SELECT to_regclass('public.second_probe') IS NOT NULL").fetchone()[0]))

    def refuse(conn: psycopg.Connection, applied: list[Migration]) -> None:
        raise RuntimeError("the audit entry cannot be written")

    with psycopg.connect(database_url, autocommit=True) as conn:
        with pytest.raises(RuntimeError):
            migrate(conn, discover_migrations() + probes[:1], record=refuse)
        # No record, no migration: it is still pending.
        assert conn.execute("SELECT to_regclass('public.probe') IS NULL").fetchone()[0]
        assert [m.label for m in migrate(conn, discover_migrations() + probes, record=record)] == [
            "gateway/9998_probe", "gateway/9999_second_probe"]
        assert seen == [(["gateway/9998_probe", "gateway/9999_second_probe"], psycopg.pq.TransactionStatus.INTRANS,
                         True)]
        assert migrate(conn, discover_migrations() + probes, record=record) == [] and len(seen) == 1


def test_a_failing_migration_leaves_nothing_behind(database_url):
    broken = discover_migrations() + [Migration("gateway", 9999, "broken", "CREATE TABLE public.half (x int); SELECT 1/0")]
    with psycopg.connect(database_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            migrate(conn, broken)
        assert conn.execute("SELECT to_regclass('public.half') IS NULL").fetchone()[0]
        assert migrate(conn) == []


def test_refuses_a_database_ahead_of_the_code(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO public.schema_migrations (package, version, name, checksum)"
                     " VALUES ('ledger', 9999, 'from_the_future', 'x')")
        with pytest.raises(MigrationError, match="ahead of the code.*ledger/9999_from_the_future"):
            migrate(conn)


def test_refuses_an_edited_migration(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE public.schema_migrations SET checksum = 'edited' WHERE version = 1 AND package = 'ledger'")
        with pytest.raises(MigrationError, match="edited.*ledger/0001_ledger"):
            migrate(conn)


def test_concurrent_migrators_take_turns(server_url, database_url):
    extra = discover_migrations() + [Migration("gateway", 9999, "slow", "SELECT pg_sleep(0.3); CREATE TABLE public.once (x int)")]
    applied, failures = [], []

    def run():
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                applied.extend(m.label for m in migrate(conn, extra))
        except Exception as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and applied == ["gateway/9999_slow"]
