"""What reconciliation has settled for an agency and remitted to its treasury, over every
run: with the agency's payable account, what its balance is made of.

``agency`` is the agency as the ledger names it (the ``<A>`` of ``agency:<A>:payable``), as
``recon.agency_totals`` and ``recon.remittances`` record it. A run's settled totals are
stored in the transaction that posts its settlement, its remittances in the one that
posts them, and what an exception's resolution settles later (a carry, settled after its
run) in the resolution's, so a reader in one snapshot sees these sums agree with the
ledger. Settled less remitted is what waits: carries not yet taken (negative when refunds
exceeded payments), and what settled runs have not yet remitted.
"""

from __future__ import annotations

import msgspec
from psycopg import AsyncConnection

SETTLED_AND_REMITTED = """
SELECT (SELECT coalesce(sum(t.settled_minor), 0)
          FROM recon.agency_totals t JOIN recon.runs r ON r.id = t.run_id
         WHERE t.agency = %(agency)s AND r.currency = %(currency)s)::bigint
     + (SELECT coalesce(sum(amount_minor), 0) FROM recon.remittance_carries
         WHERE agency = %(agency)s AND currency = %(currency)s AND cause = 'settled_after_run')::bigint,
       (SELECT coalesce(sum(amount_minor), 0)
          FROM recon.remittances WHERE agency = %(agency)s AND currency = %(currency)s)::bigint
"""


class AgencySettlement(msgspec.Struct, frozen=True, kw_only=True):
    settled_minor: int  # matched in settlement files or settled by resolving exceptions, payments less refunds
    remitted_minor: int  # sent on to the agency's treasury account


async def agency_settlement(conn: AsyncConnection, agency: str, currency: str) -> AgencySettlement:
    settled, remitted = await (await conn.execute(SETTLED_AND_REMITTED, {"agency": agency,
                                                                         "currency": currency})).fetchone()
    return AgencySettlement(settled_minor=settled, remitted_minor=remitted)
