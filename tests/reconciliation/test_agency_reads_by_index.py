"""An agency's balance reads its settled and remitted sums by agency through indexes, not
by scanning every run's totals and remittances (which grow with every night)."""

from __future__ import annotations

from reconciliation.agency_settlements import SETTLED_AND_REMITTED


async def test_an_agencys_settled_and_remitted_sums_are_read_by_index(conn):
    async with conn.transaction():
        # The tables are empty here: tell the planner a scan would cost more than any index.
        await conn.execute("SET LOCAL enable_seqscan = off")
        rows = await (await conn.execute("EXPLAIN " + SETTLED_AND_REMITTED,
                                         {"agency": "MOJ", "currency": "VND"})).fetchall()
    plan = "\n".join(line for (line,) in rows)
    for index in ("agency_totals_by_agency", "remittances_by_agency", "remittance_carries_by_agency"):
        assert index in plan, plan
    assert "Seq Scan on agency_totals" not in plan and "Seq Scan on remittances" not in plan, plan
