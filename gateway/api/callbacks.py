"""Provider callbacks (``/callbacks/<provider>``; a live gateway's sandboxes, about its
test-mode payments, on ``/callbacks/test/<provider>``) and the payer's return from a
provider's page (``/return/<provider>/<attempt>``): no API key, and nothing trusted but what
verifies."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from litestar import Request, Response, route
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect

from gateway.api.request_id import request_id
from gateway.errors import ResourceMissing
from gateway.events.store import Origin
from gateway.keys.model import Scope
from gateway.payments import attempt_store, store
from gateway.payments.callbacks import receive_callback
from gateway.provider_setup import Providers
from providers.protocol import CallbackAnswer, InboundMessage, ProviderAdapter


def _adapter(state: State, provider: str, livemode: bool = True) -> ProviderAdapter:
    adapters = state.providers.for_mode(livemode)
    if provider not in adapters:
        raise ResourceMissing(f"No such provider: '{provider}'")
    return adapters[provider]


async def _message(request: Request) -> InboundMessage:
    # Read straight from the ASGI scope (names in lowercase there already) and, for a GET, no
    # body waited for: a provider's copies resent by the thousand are answered mostly here.
    return InboundMessage(query=dict(request.query_params),
                          body=b"" if request.method == "GET" else await request.body(),
                          headers={name.decode("latin-1"): value.decode("latin-1")
                                   for name, value in request.scope["headers"]})


@route("/callbacks/{provider:str}", http_method=["GET", "POST"], summary="A provider's payment notification",
       include_in_schema=False)
async def provider_callback(request: Request, state: State, provider: FromPath[str]) -> Response:
    adapter = _adapter(state, provider)
    answer = await receive_callback(state.pool, adapter, await _message(request),
                                    Origin(request_id=request_id(request.scope)))
    return _reply(adapter, answer)


@route("/callbacks/test/{provider:str}", http_method=["GET", "POST"], include_in_schema=False,
       summary="A sandbox's notification about a test-mode payment, in a live gateway")
async def test_mode_callback(request: Request, state: State, provider: FromPath[str]) -> Response:
    providers: Providers = state.providers
    if not providers.test_mode_apart(livemode=False):  # a sandbox gateway's sandboxes use the one route
        raise ResourceMissing(f"No such route: '{request.url.path}'")
    adapter = _adapter(state, provider, livemode=False)
    answer = await receive_callback(state.pool, adapter, await _message(request),
                                    Origin(request_id=request_id(request.scope)), test_mode_apart=True)
    return _reply(adapter, answer)


def _reply(adapter: ProviderAdapter, answer: CallbackAnswer) -> Response:
    reply = adapter.callback_reply(answer)
    return Response(reply.body, status_code=reply.status_code, media_type=reply.media_type)


@route("/return/{provider:str}/{attempt_ref:str}", http_method=["GET", "POST"], include_in_schema=False,
       summary="The payer's browser back from a provider's page")
async def payer_return(request: Request, state: State, provider: FromPath[str], attempt_ref: FromPath[str]) -> Redirect:
    """The return carries the provider's signed result (VNPAY, MoMo): applied as a callback
    would be, once, if it verifies, and never otherwise. The browser then goes on to where the
    payment was confirmed from, with Stripe's query parameters; the client secret only to an
    agency's page (as Stripe does), never to our own checkout, which needs no secret in a URL."""
    providers: Providers = state.providers
    async with state.pool.connection() as conn:
        attempt = await attempt_store.find_attempt(conn, attempt_ref)
    # A test-mode payment's return in a live gateway is signed by the sandbox.
    livemode = attempt is None or attempt.livemode
    await receive_callback(state.pool, _adapter(state, provider, livemode), await _message(request),
                           Origin(request_id=request_id(request.scope)),
                           test_mode_apart=providers.test_mode_apart(livemode))
    if attempt is None or attempt.provider != provider or attempt.return_url is None:
        raise ResourceMissing(f"No such payment attempt: '{attempt_ref}'")
    async with state.pool.connection() as conn:
        intent = await store.get_intent(conn, Scope(agency_code=attempt.agency_code, livemode=attempt.livemode),
                                        attempt.intent_id)
    status = {"succeeded": "succeeded", "requires_payment_method": "failed"}.get(intent.status, "processing")
    secret = {} if _is_ours(attempt.return_url, providers.links.public_url) else {
        "payment_intent_client_secret": intent.client_secret}
    return Redirect(_with_query(attempt.return_url, {"payment_intent": intent.id, **secret,
                                                     "redirect_status": status}))


def _is_ours(url: str, public_url: str) -> bool:
    ours, theirs = urlsplit(public_url), urlsplit(url)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


HANDLERS = [provider_callback, test_mode_callback, payer_return]
