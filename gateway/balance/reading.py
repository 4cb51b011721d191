"""Reading an agency's balance in one snapshot of the ledger and reconciliation's totals."""

from __future__ import annotations

from psycopg import AsyncConnection

from catalogue.model import CURRENCY, ledger_agency, payable_account
from gateway.balance.model import AgencyBalance, agency_balance
from gateway.keys.model import Scope
from ledger.store import list_balances
from reconciliation.agency_settlements import agency_settlement


async def read_balance(conn: AsyncConnection, scope: Scope) -> AgencyBalance:
    """The scope's agency's balance in the scope's mode: its payable account (a sum of slot
    rows) and reconciliation's settled and remitted sums for it, read in one REPEATABLE READ
    snapshot so that a run committing in between cannot be half seen. An agency that has
    never been paid in this mode has no payable account: zero, in the portal's currency."""
    account = payable_account(scope.agency_code, livemode=scope.livemode)
    async with conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        payable = (await list_balances(conn, [account])).get(account)
        currency = CURRENCY if payable is None else payable.currency
        settlement = await agency_settlement(conn, ledger_agency(scope.agency_code, livemode=scope.livemode),
                                             currency)
    return agency_balance(payable, settlement, currency)
