"""/v1/balance: the calling agency's Balance in the key's mode."""

from __future__ import annotations

from litestar import Request, Response, get

from gateway.api.dependencies import Caller, Connection
from gateway.api.openapi import documented
from gateway.api.params import NoParams, convert_params, query_params
from gateway.api.responses import object_response
from gateway.balance.model import BalanceResource, as_resource
from gateway.balance.reading import read_balance


@get("/v1/balance", summary="Retrieve the agency's balance: pending and available, in the key's mode",
     operation_class=documented(BalanceResource))
async def retrieve_balance(request: Request, conn: Connection, caller: Caller) -> Response:
    convert_params(query_params(request), NoParams)
    balance = await read_balance(conn, caller.scope)
    return object_response(as_resource(balance, livemode=caller.scope.livemode))


HANDLERS = [retrieve_balance]
