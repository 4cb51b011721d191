"""recon.clearing_entry, the one spelling of which ledger transfers a run holds against a
provider's settlement file, on a real database: its truth table, and that PostgreSQL inlines
it (so that the statements that read it plan as if the condition were written out)."""

from __future__ import annotations

import json

import pytest

CLEARING_ID = 7
OTHER_ID = 8


@pytest.mark.parametrize(("kind", "phase", "debit", "credit", "entry"), [
    ("payment", "posted", CLEARING_ID, OTHER_ID, True),
    ("payment", "posted", OTHER_ID, CLEARING_ID, False),  # money back to the clearing account is no payment
    ("payment", "pending", CLEARING_ID, OTHER_ID, False),
    ("payment", "posted", OTHER_ID, 9, False),  # another provider's
    ("refund", "post_pending", OTHER_ID, CLEARING_ID, True),
    ("refund", "pending", OTHER_ID, CLEARING_ID, False),  # reserved, not yet paid out
    ("refund", "post_pending", CLEARING_ID, OTHER_ID, False),
    ("remittance", "posted", CLEARING_ID, OTHER_ID, False),
])
async def test_the_transfers_on_a_clearing_account(conn, kind, phase, debit, credit, entry):
    transfer = {"kind": kind, "phase": phase, "debit_account_id": debit, "credit_account_id": credit}
    row = await (await conn.execute(
        "SELECT recon.clearing_entry(jsonb_populate_record(NULL::ledger.transfers, %s::jsonb), %s)",
        (json.dumps(transfer), CLEARING_ID))).fetchone()
    assert row == (entry,)


async def test_postgresql_inlines_it_into_the_plan(conn):
    plan = "\n".join(row[0] for row in await (await conn.execute(
        "EXPLAIN (VERBOSE) SELECT count(*) FROM ledger.transfers t"
        " WHERE t.external_ref = 'REF00000001' AND recon.clearing_entry(t, 7)")).fetchall())
    assert "clearing_entry" not in plan
    assert "t.debit_account_id = '7'::bigint" in plan and "t.phase = 'post_pending'::text" in plan
