"""An acquirer that speaks Stripe's API and makes Stripe's test PaymentMethods behave as
in test mode: PaymentIntents (confirmed at once), search by metadata, Refunds, webhook
Events signed as Stripe signs them, and the balance report as settlement file.

A card payment has no payment page, so its outcome comes from the PaymentMethod; the
other scenarios (timeout, never, five times, wrong amount, late) are queued for the next
PaymentIntents with ``POST /_sandbox/scenario``.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody

from providers.card.config import CardConfig
from providers.card.objects import ErrorBody, Event, EventData, PaymentIntent, Refund, StripeError
from providers.card.settlement import write_settlement
from providers.card.webhook import signature_header
from providers.clock import now_to_the_second
from providers.simulation.app import require_bearer, sandbox_app
from providers.simulation.notifier import CallbackNotifier
from providers.simulation.processed import ProcessedBook
from providers.simulation.scenarios import (
    UNKNOWN_SCENARIO, SandboxTiming, Scenario, chosen_scenario, paid_amount_minor, plan_callbacks,
)

# Stripe's test PaymentMethods: None succeeds, else (code, decline_code).
TEST_PAYMENT_METHODS: dict[str, tuple[str, str] | None] = {
    "pm_card_visa": None, "pm_card_mastercard": None,
    "pm_card_chargeDeclined": ("card_declined", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("card_declined", "insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card"),
}
_SEARCH = re.compile(r"metadata\['attempt_ref'\]:'([^']*)'")


@dataclass
class CardSandbox:
    config: CardConfig
    webhook_url: str
    timing: SandboxTiming
    book: ProcessedBook
    notifier: CallbackNotifier
    intents: dict[str, PaymentIntent] = field(default_factory=dict)
    refunds: list[Refund] = field(default_factory=list)
    queued: list[Scenario] = field(default_factory=list)
    answered: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # Idempotency-Key → answer
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_sandbox{next(self.numbers):08d}"

    def settlement_file(self, day: date) -> bytes:
        return write_settlement(self.book.lines_for(day))

    def send_event(self, scenario: Scenario, kind: str, intent: PaymentIntent) -> None:
        event = Event(id=self.new_id("evt"), type=kind, created=int(time.time()), account=self.config.account_id,
                      data=EventData(object=intent))
        body = msgspec.json.encode(event)
        self.notifier.schedule(plan_callbacks(scenario, self.timing), self.webhook_url, content=body, headers=lambda: {
            "content-type": "application/json",
            "stripe-signature": signature_header(body, self.config.webhook_secret, int(time.time()))})


def _json(value: object, status_code: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(value), status_code=status_code, media_type="application/json")


def _error(status_code: int, kind: str, message: str, code: str | None = None, param: str | None = None,
           decline_code: str | None = None, intent: PaymentIntent | None = None) -> Response[bytes]:
    return _json(ErrorBody(error=StripeError(type=kind, message=message, code=code, param=param,
                                             decline_code=decline_code, payment_intent=intent)), status_code)


_require_secret_key = require_bearer("secret_key")


def _unauthorized_answer(_: Request, problem: NotAuthorizedException) -> Response[bytes]:
    return _error(401, "invalid_request_error", problem.detail)


async def _idempotent(request: Request, sandbox: CardSandbox,
                      make: Callable[[], Awaitable[Response[bytes]]]) -> Response[bytes]:
    """Stripe replays the first answer to a repeated Idempotency-Key instead of acting again."""
    key = request.headers.get("idempotency-key")
    if key and key in sandbox.answered:
        status_code, body = sandbox.answered[key]
        return Response(body, status_code=status_code, media_type="application/json")
    response = await make()
    if key:
        sandbox.answered[key] = (response.status_code, response.content)
    return response


@post("/v1/payment_intents", guards=[_require_secret_key])
async def create_intent(data: URLEncodedBody[dict[str, str]], request: Request, state: State) -> Response[bytes]:
    sandbox: CardSandbox = state.sandbox
    return await _idempotent(request, sandbox, lambda: _confirm(sandbox, data))


async def _confirm(sandbox: CardSandbox, data: dict[str, str]) -> Response[bytes]:
    method = data.get("payment_method", "")
    if method not in TEST_PAYMENT_METHODS:
        return _error(400, "invalid_request_error", f"No such PaymentMethod: '{method}'", "resource_missing",
                      "payment_method")
    if not data.get("amount", "").isdigit() or int(data["amount"]) < 1 or data.get("confirm") != "true":
        # The adapter always confirms at once; the sandbox does not model two-step confirmation.
        return _error(400, "invalid_request_error", "amount must be a positive integer, with confirm=true",
                      "parameter_invalid_integer", "amount")
    decline = TEST_PAYMENT_METHODS[method]
    scenario = sandbox.queued.pop(0) if sandbox.queued else (Scenario.DECLINE if decline else Scenario.SUCCESS)
    decline = decline or (("card_declined", "generic_decline") if scenario is Scenario.DECLINE else None)
    amount = int(data["amount"])
    metadata = {key[9:-1]: value for key, value in data.items() if key.startswith("metadata[")}
    intent = PaymentIntent(id=sandbox.new_id("pi"), amount=amount, currency=data.get("currency", "vnd"),
                           status="succeeded", created=int(now_to_the_second().timestamp()),
                           description=data.get("description"), payment_method=method, metadata=metadata)
    sandbox.intents[intent.id] = intent
    if decline:
        code, decline_code = decline
        intent.status = "requires_payment_method"
        intent.last_payment_error = {"type": "card_error", "code": code, "decline_code": decline_code}
        sandbox.send_event(Scenario.SUCCESS, "payment_intent.payment_failed", intent)  # one event, on time
        return _error(402, "card_error", "Your card was declined.", code, None, decline_code, intent)
    intent.amount_received = paid_amount_minor(scenario, amount, sandbox.timing)
    intent.latest_charge = sandbox.new_id("ch")
    sandbox.book.record("payment", attempt_ref=metadata.get("attempt_ref", intent.id), provider_ref=intent.id,
                        amount_minor=intent.amount_received, currency=intent.currency.upper(),
                        at=now_to_the_second())
    sandbox.send_event(scenario, "payment_intent.succeeded", intent)
    if scenario is Scenario.TIMEOUT:
        await asyncio.sleep(sandbox.timing.hang_s)  # the client gives up first
    return _json(intent)


@get("/v1/payment_intents/search", sync_to_thread=False, guards=[_require_secret_key])
def search_intents(search: Annotated[str, QueryParameter(name="query")], state: State) -> Response[bytes]:
    sandbox: CardSandbox = state.sandbox
    match = _SEARCH.fullmatch(search)
    if not match:
        return _error(400, "invalid_request_error", "unsupported search query")
    found = [i for i in sandbox.intents.values() if i.metadata.get("attempt_ref") == match.group(1)]
    return _json({"object": "search_result", "data": found, "has_more": False})


@get("/v1/payment_intents/{intent_id:str}", sync_to_thread=False, guards=[_require_secret_key])
def get_intent(intent_id: FromPath[str], state: State) -> Response[bytes]:
    sandbox: CardSandbox = state.sandbox
    intent = sandbox.intents.get(intent_id)
    if intent is None:
        return _error(404, "invalid_request_error", f"No such payment_intent: '{intent_id}'", "resource_missing")
    return _json(intent)


@post("/v1/refunds", guards=[_require_secret_key])
async def create_refund(data: URLEncodedBody[dict[str, str]], request: Request, state: State) -> Response[bytes]:
    sandbox: CardSandbox = state.sandbox
    return await _idempotent(request, sandbox, lambda: _refund(sandbox, data))


async def _refund(sandbox: CardSandbox, data: dict[str, str]) -> Response[bytes]:
    intent = sandbox.intents.get(data.get("payment_intent", ""))
    if intent is None or intent.status != "succeeded":
        return _error(400, "invalid_request_error", "This PaymentIntent has no successful charge to refund.",
                      "charge_not_refundable", "payment_intent")
    remaining = intent.amount_received - sum(r.amount for r in sandbox.refunds if r.payment_intent == intent.id)
    amount = int(data.get("amount") or remaining)
    if remaining == 0:
        return _error(400, "invalid_request_error", "Charge has already been refunded.", "charge_already_refunded")
    if not 0 < amount <= remaining:
        return _error(400, "invalid_request_error", f"Refund amount ({amount}) is greater than unrefunded amount"
                      f" on charge ({remaining})", "amount_too_large", "amount")
    metadata = {key[9:-1]: value for key, value in data.items() if key.startswith("metadata[")}
    refund = Refund(id=sandbox.new_id("re"), amount=amount, currency=intent.currency, payment_intent=intent.id,
                    status="succeeded", created=int(time.time()), metadata=metadata)
    sandbox.refunds.append(refund)
    sandbox.book.record("refund", attempt_ref=metadata.get("refund_ref", refund.id), provider_ref=refund.id,
                        amount_minor=amount, currency=intent.currency.upper(), at=now_to_the_second())
    return _json(refund)


@get("/v1/refunds", sync_to_thread=False, guards=[_require_secret_key])
def list_refunds(payment_intent: FromQuery[str], state: State) -> Response[bytes]:
    sandbox: CardSandbox = state.sandbox
    found = [r for r in sandbox.refunds if r.payment_intent == payment_intent]
    return _json({"object": "list", "data": found, "has_more": False})


@post("/_sandbox/scenario", sync_to_thread=False)
def queue_scenario(data: URLEncodedBody[dict[str, str]], state: State) -> Response[bytes]:
    """The tester's control: the next PaymentIntent follows this scenario."""
    sandbox: CardSandbox = state.sandbox
    scenario = chosen_scenario(data)
    if scenario is None:
        return _error(400, "invalid_request_error", UNKNOWN_SCENARIO, "parameter_invalid", "scenario")
    sandbox.queued.append(scenario)
    return _json({"queued": [s.value for s in sandbox.queued]}, 201)


def create_sandbox_app(config: CardConfig, *, webhook_url: str, timing: SandboxTiming = SandboxTiming(),
                       fee_basis_points: int = 290) -> Litestar:
    """``webhook_url`` is the merchant's webhook endpoint, registered once as at Stripe."""
    sandbox = CardSandbox(config=config, webhook_url=webhook_url, timing=timing,
                          book=ProcessedBook("card", fee_basis_points=fee_basis_points, settlement_lag_days=2),
                          notifier=CallbackNotifier(timing.retry_delays_s))
    return sandbox_app(sandbox, [create_intent, search_intents, get_intent, create_refund, list_refunds,
                                 queue_scenario], exception_handlers={NotAuthorizedException: _unauthorized_answer})
