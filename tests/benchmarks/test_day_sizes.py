"""benchmarks.day's size breakdown read from a real database: every table and index of our
schemas is measured, grouped as the README discusses them, and growth is put where it
happened."""

from __future__ import annotations

import asyncio

import psycopg

from benchmarks.day import SCHEMAS, group_of, relation_sizes, size_breakdown
from gateway.keys.model import Mode
from gateway.keys.store import create_key


def test_growth_is_put_on_the_table_and_indexes_that_grew(database_url) -> None:
    before = relation_sizes(database_url)
    with psycopg.connect(database_url) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname = ANY(%s)", (SCHEMAS,))}
    assert {table for table, index in before if not index} == tables
    assert {group_of(table) for table in tables} >= {"ledger", "gateway_intents_attempts_events",
                                                     "outbox_webhook_deliveries", "idempotency"}

    key = asyncio.run(_key(database_url))
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO gateway.idempotency_keys (api_key_id, key, request_sha256, response_status,"
                     " response_body) SELECT %s, 'k' || n, sha256(n::text::bytea), 200, convert_to(repeat('x', 900), 'UTF8')"
                     "   FROM generate_series(1, 4000) n", (key,))
    breakdown = size_breakdown(before, relation_sizes(database_url), paid=4000)

    groups = breakdown["db_mb_per_million_by_group"]
    assert next(iter(groups)) == "idempotency"  # the largest first (the key's own row is a page too)
    idempotency = groups["idempotency"]
    assert set(idempotency["tables"]) == {"gateway.idempotency_keys"}
    assert set(idempotency["indexes"]) == {"idempotency_keys_pkey", "idempotency_keys_created_at"}
    # About a kilobyte a row, so about a thousand MB per million rows.
    assert 900 < idempotency["tables"]["gateway.idempotency_keys"] < 1500
    parts = [*idempotency["tables"].values(), *idempotency["indexes"].values()]
    assert abs(idempotency["total"] - sum(parts)) <= len(parts)  # each part rounded on its own
    assert breakdown["indexes_not_scanned"]["idempotency_keys_created_at"]["unique"] is False


async def _key(database_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        return (await create_key(conn, "BCA", Mode.TEST))[0].id
