"""A key sees only its own agency's objects in its own mode, over every /v1 route.

The routes come from the app itself (tests/gateway/app_routes.py): each one must be listed
below under how it is exercised (an object's id in its path, an object's id in its body, a
list, or no agency's object at all), so a route added later fails the first test until
someone says how to prove it isolated. Agency A makes one object of each kind; then another
agency's key, and A's own key of the other mode, call every route on A's objects: each call
is a 404 resource_missing, no answer (lists included) contains any of A's ids, and every one
of A's objects reads the same afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
import stripe

from catalogue.model import DossierStatus
from catalogue.procedures import advance_dossier, request_payment, submit_dossier
from gateway.keys.model import Mode
from tests.gateway.app_routes import http_routes
from tests.gateway.payment_flows import create as create_intent
from tests.gateway.test_checkout_sessions import create as create_session
from tests.gateway.test_dossiers_api import submit as submit_dossier_over_http

# Agency A is one with a catalogue service, so that it can own a dossier too.
AGENCY = "BTP"

# An object's id in the path: which of A's objects, and a body that would change it if the
# caller were allowed to (so that a route that forgot the agency shows in A's object).
OBJECT_ROUTES: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("GET", "/v1/payment_intents/{intent_id}"): ("payment_intent", {}),
    ("POST", "/v1/payment_intents/{intent_id}"): ("payment_intent", {"metadata[taken]": "yes"}),
    ("POST", "/v1/payment_intents/{intent_id}/cancel"): ("payment_intent", {}),
    ("POST", "/v1/payment_intents/{intent_id}/confirm"): ("payment_intent", {"payment_method": "pm_card_visa"}),
    ("GET", "/v1/events/{event_id}"): ("event", {}),
    ("GET", "/v1/refunds/{refund_id}"): ("refund", {}),
    ("GET", "/v1/checkout/sessions/{session_id}"): ("checkout_session", {}),
    ("GET", "/v1/checkout/sessions/{session_id}/line_items"): ("checkout_session", {}),
    ("POST", "/v1/checkout/sessions/{session_id}/expire"): ("checkout_session", {}),
    ("GET", "/v1/webhook_endpoints/{endpoint_id}"): ("webhook_endpoint", {}),
    ("POST", "/v1/webhook_endpoints/{endpoint_id}"): ("webhook_endpoint", {"disabled": "true"}),
    ("DELETE", "/v1/webhook_endpoints/{endpoint_id}"): ("webhook_endpoint", {}),
    ("GET", "/v1/dossiers/{code}"): ("dossier", {}),
    ("POST", "/v1/dossiers/{code}/advance"): ("dossier", {"status": "received"}),
    ("POST", "/v1/dossiers/{code}/request_payment"): ("dossier", {}),
}
# An object's id in the body: the parameter that names it, and which of A's objects.
BODY_ID_ROUTES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/v1/refunds"): {"payment_intent": "paid_intent"},
}
# Lists: their filters that take an id, each with the kind of A's object to give it.
LIST_ROUTES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/v1/payment_intents"): {"starting_after": "payment_intent", "ending_before": "payment_intent"},
    ("GET", "/v1/events"): {"starting_after": "event", "ending_before": "event"},
    ("GET", "/v1/refunds"): {"payment_intent": "paid_intent", "starting_after": "refund"},
    ("GET", "/v1/checkout/sessions"): {"payment_intent": "session_intent", "starting_after": "checkout_session"},
    ("GET", "/v1/webhook_endpoints"): {"starting_after": "webhook_endpoint"},
}
# No agency's object named: creating the caller's own objects, the public catalogue, the
# citizens' dossier routes (a dossier's tracking secret, not a key, opens it), and the
# caller's own balance (tests/gateway/test_balance.py proves it per agency and mode).
NO_AGENCY_OBJECT = {
    ("POST", "/v1/payment_intents"), ("POST", "/v1/checkout/sessions"), ("POST", "/v1/webhook_endpoints"),
    ("GET", "/v1/catalogue/services"), ("GET", "/v1/catalogue/services/{code}"),
    ("GET", "/v1/catalogue/services/{code}/price"), ("GET", "/v1/catalogue/agencies"),
    ("POST", "/v1/dossiers"), ("POST", "/v1/dossiers/{code}/track"),
    ("GET", "/v1/balance"),
}
# Where each kind of object is read back by its owner.
READ_BACK = {"payment_intent": "/v1/payment_intents/{}", "paid_intent": "/v1/payment_intents/{}",
             "session_intent": "/v1/payment_intents/{}", "event": "/v1/events/{}", "refund": "/v1/refunds/{}",
             "checkout_session": "/v1/checkout/sessions/{}", "webhook_endpoint": "/v1/webhook_endpoints/{}",
             "dossier": "/v1/dossiers/{}"}


def test_every_v1_route_is_known_to_this_test() -> None:
    known = {*OBJECT_ROUTES, *BODY_ID_ROUTES, *LIST_ROUTES, *NO_AGENCY_OBJECT}
    assert http_routes("/v1") - known == set(), "a new /v1 route: say above how to prove it isolated"
    assert known - http_routes("/v1") == set(), "a route listed above is gone"


def keyed(api_url: str, secret: str) -> httpx.Client:
    return httpx.Client(base_url=api_url, timeout=20, headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture(scope="module")
def owner_secret(new_secret) -> str:
    return new_secret(AGENCY)


@pytest.fixture(scope="module")
def owner(api_url: str, owner_secret: str) -> Iterator[httpx.Client]:
    with keyed(api_url, owner_secret) as client:
        yield client


@pytest.fixture(scope="module")
def objects(owner_secret: str, stripe_client, api_url: str) -> dict[str, str]:
    """One of each kind of A's objects, each in a state in which every route above would
    change it: its id by kind."""
    stripe = stripe_client(owner_secret)
    paid = stripe.v1.payment_intents.confirm(create_intent(stripe).id, params={"payment_method": "pm_card_visa"})
    refund = stripe.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1_000})
    session = create_session(stripe)
    endpoint = stripe.v1.webhook_endpoints.create(params={"url": "https://agency.example/hooks",
                                                          "enabled_events": ["*"]})
    with httpx.Client(base_url=api_url, timeout=20) as public:
        dossier = submit_dossier_over_http(public)["dossier"]["code"]
    return {"payment_intent": create_intent(stripe).id, "paid_intent": paid.id, "refund": refund.id,
            "session_intent": session.payment_intent, "checkout_session": session.id,
            "webhook_endpoint": endpoint.id, "dossier": dossier,
            "event": stripe.v1.events.list(params={"limit": 1}).data[0].id}


def read_all(owner: httpx.Client, objects: dict[str, str]) -> dict[str, Any]:
    answers = {kind: owner.get(READ_BACK[kind].format(object_id)) for kind, object_id in objects.items()}
    assert all(answer.status_code == 200 for answer in answers.values()), answers
    return {kind: answer.json() for kind, answer in answers.items()}


OTHER_AGENCY, OTHER_MODE = "another agency", "the other mode"


@pytest.fixture(params=[OTHER_AGENCY, OTHER_MODE])
def stranger(request, api_url: str, new_secret) -> Iterator[tuple[str, httpx.Client]]:
    secret = new_secret("AGSTRANGER") if request.param == OTHER_AGENCY else new_secret(AGENCY, Mode.LIVE)
    with keyed(api_url, secret) as client:
        yield request.param, client


def assert_missing(answer: httpx.Response) -> None:
    refusal = answer.json().get("error", {}).get("code")
    assert (answer.status_code, refusal) == (404, "resource_missing"), f"{answer.request.url}: {answer.text}"


def test_a_strangers_key_finds_none_of_the_agencys_objects(owner, objects, stranger) -> None:
    who, stranger = stranger
    before = read_all(owner, objects)
    answers = []
    for (method, path), (kind, body) in OBJECT_ROUTES.items():
        url = path.replace(path[path.index("{"):path.index("}") + 1], objects[kind])
        answers.append(stranger.request(method, url, data=body or None))
        assert_missing(answers[-1])
    for (method, path), params in BODY_ID_ROUTES.items():
        answers.append(stranger.request(method, path, data={name: objects[kind] for name, kind in params.items()}))
        assert_missing(answers[-1])
    for (method, path), filters in LIST_ROUTES.items():
        answers.append(stranger.request(method, path))
        assert answers[-1].status_code == 200, answers[-1].text
        for name, kind in filters.items():
            answers.append(stranger.request(method, path, params={name: objects[kind]}))
            # Stripe answers a filter or cursor it cannot find with 404; an empty page also
            # shows nothing, as long as nothing of A's is in it (checked below).
            assert answers[-1].status_code in (200, 404), answers[-1].text
    for answer in answers:
        # A refusal may name the id it was asked about, as Stripe's "No such …" does.
        asked = str(answer.request.url) + answer.request.content.decode()
        leaked = [object_id for object_id in objects.values() if object_id in answer.text and object_id not in asked]
        assert leaked == [], f"{answer.request.method} {answer.request.url} shows {leaked}"
    assert read_all(owner, objects) == before


def live_dossier_awaiting_payment(database_url: str) -> str:
    """A dossier a citizen submitted to a live gateway, for which BTP asked 7 000 đồng: made
    in the database, since this test server is a sandbox one (its citizens' are test-mode)."""
    async def make() -> str:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            code = (await submit_dossier(conn, "BTP-CHUNGTHUC-DT", applicant_name="Trần Thị B", contact="b@example.vn",
                                         fields={"pages": "5"}, livemode=True)).dossier.code
            for status in (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS):
                await advance_dossier(conn, code, status, actor="BTP:officer", livemode=True)
            await request_payment(conn, code, actor="BTP:officer", livemode=True)
            return code

    with ThreadPoolExecutor(1) as pool:  # pytest-asyncio may own this thread's event loop
        return pool.submit(asyncio.run, make()).result()


def pay_by_card(client: stripe.StripeClient, reference: str) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(params={"amount": 7_000, "currency": "vnd", "reference": reference})
    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded"
    return paid


def test_a_test_mode_payment_neither_sees_nor_pays_a_live_dossier(owner, owner_secret, stripe_client, api_url,
                                                                  api_database_url, new_secret) -> None:
    live_code = live_dossier_awaiting_payment(api_database_url)
    with keyed(api_url, new_secret(AGENCY, Mode.LIVE)) as live:
        before = live.get(READ_BACK["dossier"].format(live_code))
        assert before.status_code == 200 and before.json()["dossier"]["livemode"] is True
        for method, path in [("GET", "/v1/dossiers/{}"), ("POST", "/v1/dossiers/{}/advance"),
                             ("POST", "/v1/dossiers/{}/request_payment")]:
            body = {"status": "rejected"} if path.endswith("advance") else None
            assert_missing(owner.request(method, path.format(live_code), data=body))
        # A test payment naming it, for the very amount it awaits, succeeds and leaves it as it was.
        test_client = stripe_client(owner_secret)
        pay_by_card(test_client, live_code)
        assert live.get(READ_BACK["dossier"].format(live_code)).json() == before.json()
    # The same payment for a test-mode dossier marks it paid: the mode, nothing else, kept it apart.
    with httpx.Client(base_url=api_url, timeout=20) as public:
        test_code = submit_dossier_over_http(public)["dossier"]["code"]
    for status in ("received", "in_progress"):
        owner.post(f"/v1/dossiers/{test_code}/advance", data={"status": status}).raise_for_status()
    owner.post(f"/v1/dossiers/{test_code}/request_payment").raise_for_status()
    paid = pay_by_card(test_client, test_code)
    dossier = owner.get(READ_BACK["dossier"].format(test_code)).json()["dossier"]
    assert (dossier["status"], dossier["payment_ref"], dossier["livemode"]) == ("paid", paid.id, False)
