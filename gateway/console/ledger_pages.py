"""The ledger as finance staff read it: every account's balance, and an account's
statement a page at a time with its running balance."""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Template

from gateway.api.dependencies import Connection
from gateway.console.auth import needs
from gateway.console.page import console_page
from gateway.console.roles import Permission
from ledger import store as ledger
from ledger.errors import AccountError

STATEMENT_PAGE = 50
READ = needs(Permission.READ_FINANCE)


@get("/ledger", opt=READ)
async def balances(request: Request, conn: Connection) -> Template:
    return console_page(request, "console/ledger.html", accounts=await ledger.list_account_balances(conn))


@get("/ledger/statement", opt=READ)
async def statement(request: Request, conn: Connection, account: FromQuery[str],
                    after_seq: FromQuery[int] = 0) -> Template:
    try:
        page = await ledger.get_statement(conn, account, after_seq=max(0, after_seq), limit=STATEMENT_PAGE)
        balance = await ledger.get_balance(conn, account)
    except AccountError:
        raise NotFoundException() from None
    return console_page(request, "console/statement.html", page=page, balance=balance, after_seq=after_seq)


HANDLERS = [balances, statement]
