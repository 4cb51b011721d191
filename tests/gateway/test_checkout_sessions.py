"""Checkout Sessions through the real server with Stripe's own client: their lifecycle, their
PaymentIntent paid, expired by the agency or by the clock, and money that comes too late."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
import stripe

from gateway.api.checkout_sessions import shown_sessions
from gateway.keys.model import Scope
from gateway.sessions import store as session_store
from gateway.sessions.model import CheckoutSessionList
from tests.gateway.test_callbacks import ipn_url
from tests.gateway.test_confirm import RETURN_URL, ledger_payments
from tests.gateway.test_payment_intents import STRIPE_FIXTURES
from tests.gateway.test_webhooks import receivers  # noqa: F401 (a fixture)

SUCCESS_URL = "https://agency.example/paid?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://agency.example/cart"
PORTAL_FIELDS = {"service", "service_inputs", "reference", "payer"}
ITEMS = [
    {"price_data": {"currency": "vnd", "unit_amount": 50_000, "product_data": {"name": "Lệ phí cấp bản sao"}},
     "quantity": 3},
    {"price_data": {"currency": "vnd", "unit_amount": 20_000, "product_data": {"name": "Phí gửi qua bưu điện"}},
     "quantity": 1},
]
TOTAL = 170_000


def create(client: stripe.StripeClient, **params) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(params={
        "mode": "payment", "line_items": ITEMS, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL, **params})


def events_of(client: stripe.StripeClient, event_type: str) -> list[stripe.Event]:
    return client.v1.events.list(params={"type": event_type}).data


def wait_until(check: Callable[[], object], timeout_s: float = 10) -> object:
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)
    return value


def test_create_retrieve_list_and_expire(client, api_url):
    session = create(client, metadata={"order": "HS-001"}, client_reference_id="HS-001",
                     customer_email="an@example.vn", reference="HS-001", payer="Nguyễn Văn An")
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert (session.amount_total, session.amount_subtotal, session.currency) == (TOTAL, TOTAL, "vnd")
    assert session.url == f"{api_url}/checkout/sessions/{session.id}"
    assert (session.success_url, session.cancel_url) == (SUCCESS_URL, CANCEL_URL)
    assert 24 * 3600 - 60 <= session.expires_at - session.created <= 24 * 3600
    assert (session.client_reference_id, session.customer_email) == ("HS-001", "an@example.vn")
    assert session.metadata.to_dict() == {"order": "HS-001"}
    assert (session.reference, session.payer) == ("HS-001", "Nguyễn Văn An")
    # Its PaymentIntent exists, for the total, and is created by the session.
    intent = client.v1.payment_intents.retrieve(session.payment_intent)
    assert (intent.amount, intent.currency, intent.status) == (TOTAL, "vnd", "requires_payment_method")
    assert (intent.reference, intent.payer, intent.receipt_email) == ("HS-001", "Nguyễn Văn An", "an@example.vn")
    assert intent.payment_method_types == session.payment_method_types
    assert client.v1.checkout.sessions.retrieve(session.id).to_dict() == session.to_dict()

    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.payment_status, expired.url) == ("expired", "unpaid", None)
    canceled = client.v1.payment_intents.retrieve(session.payment_intent)
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    [event] = events_of(client, "checkout.session.expired")
    assert (event.data.object.id, event.data.object.status) == (session.id, "expired")
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.checkout.sessions.expire(session.id)
    assert again.value.http_status == 400 and "open" in again.value.user_message


def test_list_pages_and_filters(client):
    sessions = [create(client) for _ in range(5)]
    newest_first = [s.id for s in reversed(sessions)]
    first = client.v1.checkout.sessions.list(params={"limit": 2})
    assert ([s.id for s in first.data], first.has_more) == (newest_first[:2], True)
    rest = client.v1.checkout.sessions.list(params={"limit": 10, "starting_after": first.data[-1].id})
    assert ([s.id for s in rest.data], rest.has_more) == (newest_first[2:], False)
    before = client.v1.checkout.sessions.list(params={"limit": 2, "ending_before": newest_first[3]})
    assert [s.id for s in before.data] == newest_first[1:3]
    assert [s.id for s in client.v1.checkout.sessions.list(params={"limit": 100}).auto_paging_iter()] == newest_first

    client.v1.checkout.sessions.expire(sessions[1].id)
    assert [s.id for s in client.v1.checkout.sessions.list(params={"status": "expired"}).data] == [sessions[1].id]
    assert len(client.v1.checkout.sessions.list(params={"status": "open"}).data) == 4
    by_intent = client.v1.checkout.sessions.list(params={"payment_intent": sessions[2].payment_intent}).data
    assert [s.id for s in by_intent] == [sessions[2].id]


def test_line_items_in_their_order_with_pages(client):
    session = create(client)
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.description, i.quantity, i.amount_total, i.price.unit_amount) for i in items.data] == [
        ("Lệ phí cấp bản sao", 3, 150_000, 50_000), ("Phí gửi qua bưu điện", 1, 20_000, 20_000)]
    assert items.data[0].id.startswith("li_") and items.data[0].price.type == "one_time"
    first = client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 1})
    second = client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 1,
                                                                            "starting_after": first.data[0].id})
    assert (first.has_more, second.has_more) == (True, False)
    assert [first.data[0].id, second.data[0].id] == [i.id for i in items.data]
    # Read again, they are the same items (ids included).
    assert client.v1.checkout.sessions.line_items.list(session.id).to_dict() == items.to_dict()


def test_line_items_and_the_payment_intent_expanded_as_stripe_expands_them(client):
    session = create(client, expand=["line_items"])
    assert session.line_items.to_dict() == client.v1.checkout.sessions.line_items.list(session.id).to_dict()
    assert (session.line_items.url, session.line_items.has_more) == (f"/v1/checkout/sessions/{session.id}/line_items",
                                                                     False)
    assert [(i.description, i.quantity, i.amount_total) for i in session.line_items.data] == [
        ("Lệ phí cấp bản sao", 3, 150_000), ("Phí gửi qua bưu điện", 1, 20_000)]
    assert isinstance(session.payment_intent, str)
    # Includable: absent unless asked for.
    assert "line_items" not in client.v1.checkout.sessions.retrieve(session.id).to_dict()
    both = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items", "payment_intent"]})
    assert both.line_items.to_dict() == session.line_items.to_dict()
    assert both.payment_intent.to_dict() == client.v1.payment_intents.retrieve(session.payment_intent).to_dict()
    [listed] = client.v1.checkout.sessions.list(params={"expand": ["data.line_items", "data.payment_intent"]}).data
    assert listed.to_dict() == both.to_dict()
    expired = client.v1.checkout.sessions.expire(session.id, params={"expand": ["payment_intent"]})
    assert (expired.payment_intent.status, expired.payment_intent.cancellation_reason) == ("canceled", "abandoned")
    # The first page of its line items, as Stripe embeds them: the rest through their url.
    many = create(client, line_items=[ITEMS[1]] * 12, expand=["line_items"])
    assert (len(many.line_items.data), many.line_items.has_more) == (10, True)


class CountingCursor(psycopg.AsyncCursor):
    """Counts the statements run through it (each one round trip to PostgreSQL)."""

    executed = 0

    async def execute(self, *args, **kwargs):
        CountingCursor.executed += 1
        return await super().execute(*args, **kwargs)


def test_a_listed_pages_payment_intents_are_read_in_one_statement(client, api_database_url, agency):
    sessions = [create(client) for _ in range(3)]
    listed = client.v1.checkout.sessions.list(params={"expand": ["data.payment_intent"]}).data
    assert [s.payment_intent.to_dict() for s in listed] == [
        client.v1.payment_intents.retrieve(s.payment_intent).to_dict() for s in reversed(sessions)]

    async def show_page() -> tuple[list, int]:
        async with await psycopg.AsyncConnection.connect(api_database_url, autocommit=True,
                                                         cursor_factory=CountingCursor) as conn:
            scope = Scope(agency_code=agency, livemode=False)
            page = await session_store.list_sessions(conn, scope, CheckoutSessionList())
            before = CountingCursor.executed
            shown = await shown_sessions(conn, scope, page.items, frozenset({"payment_intent"}))
            return shown, CountingCursor.executed - before

    shown, statements = asyncio.run(show_page())
    assert statements == 1
    assert [resource.payment_intent.id for resource in shown] == [s.payment_intent for s in reversed(sessions)]


@pytest.mark.parametrize(("ask", "message"), [
    (lambda c, s: c.v1.checkout.sessions.retrieve(s.id, params={"expand": ["customer_details"]}),
     "This property cannot be expanded (customer_details)."),
    (lambda c, s: c.v1.checkout.sessions.retrieve(s.id, params={"expand": ["line_items", "line_items.data.price"]}),
     "This property cannot be expanded (line_items.data.price)."),
    (lambda c, s: c.v1.checkout.sessions.list(params={"expand": ["line_items"]}),
     "This property cannot be expanded (line_items). You may want to try expanding 'data.line_items' instead."),
    (lambda c, s: c.v1.checkout.sessions.create(params={
        "mode": "payment", "line_items": ITEMS, "success_url": SUCCESS_URL, "expand": ["invoice"]}),
     "This property cannot be expanded (invoice)."),
    (lambda c, s: c.v1.checkout.sessions.line_items.list(s.id, params={"expand": ["data.price.product"]}),
     "This property cannot be expanded (data.price.product)."),
    (lambda c, s: c.v1.payment_intents.retrieve(s.payment_intent, params={"expand": ["no_such_thing"]}),
     "This property cannot be expanded (no_such_thing)."),
    (lambda c, s: c.v1.refunds.list(params={"expand": ["data.charge"]}),
     "This property cannot be expanded (data.charge)."),
    (lambda c, s: c.v1.checkout.sessions.retrieve(s.id, params={"expand": ["a.b.c.d.e"]}),
     "You cannot expand more than 4 levels of a property."),
])
def test_what_cannot_be_expanded_is_refused_naming_it(client, ask, message):
    session = create(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        ask(client, session)
    assert (refused.value.http_status, refused.value.error.type) == (400, "invalid_request_error")
    assert (refused.value.user_message, refused.value.param) == (message, "expand")
    assert len(client.v1.checkout.sessions.list().data) == 1  # a refused create made nothing


def test_every_top_level_field_of_stripes_own_objects(client):
    fixtures = json.loads(STRIPE_FIXTURES.read_text())["resources"]
    session = create(client)
    assert set(session.to_dict()) == set(fixtures["checkout.session"]) | PORTAL_FIELDS
    [item] = client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 1}).data
    assert set(item.to_dict()) == set(fixtures["item"])
    assert set(item.price.to_dict()) == set(fixtures["item"]["price"])


@pytest.mark.parametrize(("change", "param"), [
    ({"mode": "subscription"}, "mode"),
    ({"mode": None}, "mode"),
    ({"success_url": None}, "success_url"),
    ({"success_url": "agency.example/done"}, "success_url"),
    ({"line_items": None}, "line_items"),
    ({"line_items": [{"price_data": {"currency": "vnd", "unit_amount": 0, "product_data": {"name": "x"}},
                      "quantity": 1}]}, "line_items[0][price_data][unit_amount]"),
    ({"line_items": [ITEMS[0], {"price_data": {"currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}},
                                "quantity": 1}]}, "line_items[1][price_data][currency]"),
    ({"line_items": [{"price_data": {"currency": "vnd", "unit_amount": 10, "product_data": {"name": ""}},
                      "quantity": 1}]},
     "line_items[0][price_data][product_data][name]"),
    ({"line_items": [{"price": "price_123", "quantity": 1}]}, "line_items[0][price]"),
    ({"expires_at": int(time.time()) + 600}, "expires_at"),
    ({"expires_at": int(time.time()) + 25 * 3600}, "expires_at"),
    ({"payment_method_types": ["paypal"]}, "payment_method_types"),
    ({"service": "NO-SUCH-SERVICE"}, "service"),
])
def test_parameter_errors_name_the_parameter(client, change, param):
    params = {"mode": "payment", "line_items": ITEMS, "success_url": SUCCESS_URL} | change
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(params={name: value for name, value in params.items() if value is not None})
    assert (refused.value.http_status, refused.value.param) == (400, param)
    assert client.v1.payment_intents.list().data == []  # nothing half-made


def test_a_catalogue_service_must_cost_the_line_items_total(stripe_client, new_secret):
    # BCA's driving-licence exchange costs 135 000 đồng.
    client = stripe_client(new_secret("BCA"))
    service = {"service": "BCA-GPLX-DOI", "service_inputs": {"dossier_number": "BCA-260101-0001"}}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create(client, **service)
    assert (refused.value.param, refused.value.code) == ("line_items", "amount_mismatch")
    priced = create(client, line_items=[{"price_data": {"currency": "vnd", "unit_amount": 135_000,
                                                        "product_data": {"name": "Đổi giấy phép lái xe"}},
                                         "quantity": 1}], **service)
    intent = client.v1.payment_intents.retrieve(priced.payment_intent)
    assert (intent.service, intent.amount) == ("BCA-GPLX-DOI", 135_000)
    assert priced.payment_method_types == intent.payment_method_types and priced.service == "BCA-GPLX-DOI"


def test_create_replayed_with_its_idempotency_key(client, http):
    body = {"mode": "payment", "success_url": SUCCESS_URL, "line_items[0][price_data][currency]": "vnd",
            "line_items[0][price_data][unit_amount]": "30000", "line_items[0][price_data][product_data][name]": "Phí",
            "line_items[0][quantity]": "2"}
    first = http.post("/v1/checkout/sessions", data=body, headers={"Idempotency-Key": "cs-1"})
    again = http.post("/v1/checkout/sessions", data=body, headers={"Idempotency-Key": "cs-1"})
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert len(client.v1.checkout.sessions.list().data) == len(client.v1.payment_intents.list().data) == 1
    other = http.post("/v1/checkout/sessions", data=body | {"line_items[0][quantity]": "3"},
                      headers={"Idempotency-Key": "cs-1"})
    assert (other.status_code, other.json()["error"]["type"]) == (400, "idempotency_error")


def test_another_agencys_session_is_a_404(client, stripe_client, new_secret, agency):
    session = create(client)
    other = stripe_client(new_secret(agency + "X"))
    for attempt in (lambda: other.v1.checkout.sessions.retrieve(session.id),
                    lambda: other.v1.checkout.sessions.expire(session.id),
                    lambda: other.v1.checkout.sessions.line_items.list(session.id)):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            attempt()
        assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert other.v1.checkout.sessions.list().data == []
    live = stripe_client(new_secret(agency, "live"))
    with pytest.raises(stripe.InvalidRequestError):
        live.v1.checkout.sessions.retrieve(session.id)


def session_row(database_url: str, session_id: str) -> tuple:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT status, payment_status, completed_at IS NOT NULL, expired_at IS NOT NULL"
                            " FROM gateway.checkout_sessions WHERE id = %s", (session_id,)).fetchone()


def completed_events(database_url: str, session_id: str) -> list[tuple]:
    """Each checkout.session.completed of the session, with the transaction that wrote it and
    the one that wrote its intent's payment_intent.succeeded."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT c.xmin::text, s.xmin::text FROM gateway.events c"
            " JOIN gateway.events s ON s.type = 'payment_intent.succeeded'"
            "  AND s.data->'object'->>'id' = c.data->'object'->>'payment_intent'"
            " WHERE c.type = 'checkout.session.completed' AND c.data->'object'->>'id' = %s", (session_id,)).fetchall()


def test_a_card_payment_completes_the_session_in_its_own_transaction(client, api_database_url):
    session = create(client)
    paid = client.v1.payment_intents.confirm(session.payment_intent, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded"
    complete = client.v1.checkout.sessions.retrieve(session.id)
    assert (complete.status, complete.payment_status, complete.url) == ("complete", "paid", None)
    assert complete.customer_details is not None
    [(completed_in, succeeded_in)] = completed_events(api_database_url, session.id)
    assert completed_in == succeeded_in  # one transaction wrote both
    [event] = events_of(client, "checkout.session.completed")
    assert (event.data.object.id, event.data.object.status, event.data.object.payment_status) == (
        session.id, "complete", "paid")
    assert [amount for *_, amount in ledger_payments(api_database_url, paid.latest_attempt)] == [TOTAL]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.expire(session.id)
    assert refused.value.http_status == 400
    assert session_row(api_database_url, session.id) == ("complete", "paid", True, False)


def test_a_vnpay_payment_completes_the_session_once_however_often_vnpay_calls(client, api_url, api_database_url):
    session = create(client, payment_method_types=["vnpay"])
    confirmed = client.v1.payment_intents.confirm(session.payment_intent, params={"return_url": RETURN_URL})
    assert confirmed.status == "requires_action"
    for _ in range(3):
        assert httpx.get(ipn_url(api_url, confirmed.latest_attempt, TOTAL)).json()["RspCode"] in ("00", "02")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"
    assert len(completed_events(api_database_url, session.id)) == 1


def age(database_url: str, session_id: str) -> None:
    """Move the session's end into the past (the API allows no less than 30 minutes)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE gateway.checkout_sessions SET expires_at = now() - interval '1 second' WHERE id = %s",
                     (session_id,))


def test_the_expiry_job_expires_a_session_past_its_time(client, api_database_url):
    at_minimum = create(client, expires_at=int(time.time()) + 30 * 60)
    assert at_minimum.expires_at - at_minimum.created <= 30 * 60
    due, waiting = create(client), create(client)
    age(api_database_url, due.id)
    expired = wait_until(lambda: (s := client.v1.checkout.sessions.retrieve(due.id)).status == "expired" and s)
    assert expired.url is None
    assert client.v1.payment_intents.retrieve(due.payment_intent).status == "canceled"
    assert [e.data.object.id for e in events_of(client, "checkout.session.expired")] == [due.id]
    assert client.v1.checkout.sessions.retrieve(waiting.id).status == "open"
    assert client.v1.checkout.sessions.retrieve(at_minimum.id).status == "open"


def test_the_expiry_job_waits_for_a_payment_in_progress(client, api_database_url):
    session = create(client)
    with psycopg.connect(api_database_url) as conn:  # a provider is being asked, this moment
        conn.execute("UPDATE gateway.payment_intents SET status = 'processing' WHERE id = %s",
                     (session.payment_intent,))
    age(api_database_url, session.id)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.expire(session.id)
    assert refused.value.code == "checkout_session_unexpected_state"
    time.sleep(1)  # several rounds of the job (every 200 ms in the test server)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_money_after_expiry_is_booked_and_refunded(client, api_url, api_database_url):
    session = create(client, payment_method_types=["vnpay"])
    confirmed = client.v1.payment_intents.confirm(session.payment_intent, params={"return_url": RETURN_URL})
    client.v1.checkout.sessions.expire(session.id)
    # The citizen had gone on paying at VNPAY's page; its signed success arrives now.
    assert httpx.get(ipn_url(api_url, confirmed.latest_attempt, TOTAL)).json()["RspCode"] == "00"
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    refunds = client.v1.refunds.list(params={"payment_intent": session.payment_intent}).data
    assert [(r.amount, r.automatic) for r in refunds] == [(TOTAL, True)]
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    assert events_of(client, "checkout.session.completed") == []
    assert session_row(api_database_url, session.id) == ("expired", "unpaid", False, True)


def test_session_events_reach_webhooks_signed_as_stripe_signs(client, receivers):  # noqa: F811
    receiver = receivers()
    endpoint = client.v1.webhook_endpoints.create(params={
        "url": receiver.url, "enabled_events": ["checkout.session.completed", "checkout.session.expired"]})
    paid, dropped = create(client), create(client)
    client.v1.payment_intents.confirm(paid.payment_intent, params={"payment_method": "pm_card_visa"})
    client.v1.checkout.sessions.expire(dropped.id)
    receiver.wait_for(2)
    events = [stripe.Webhook.construct_event(body.decode(), header, endpoint.secret)
              for body, header in receiver.received]
    assert sorted((e.type, e.data.object.id) for e in events) == sorted(
        [("checkout.session.completed", paid.id), ("checkout.session.expired", dropped.id)])


def test_payments_racing_the_expiry_job_end_each_session_one_way(client, api_database_url):
    """Sessions past their time, paid by card while both server processes' expiry jobs run:
    each session ends complete with its money kept, or expired with no money kept, once."""
    sessions = [create(client) for _ in range(8)]
    for session in sessions:
        age(api_database_url, session.id)

    def pay(session: stripe.checkout.Session) -> str:
        try:
            return client.v1.payment_intents.confirm(session.payment_intent,
                                                     params={"payment_method": "pm_card_visa"}).status
        except stripe.InvalidRequestError as refused:  # the job canceled it first
            return refused.code

    with ThreadPoolExecutor(len(sessions)) as pool:
        answers = list(pool.map(pay, sessions))
    ended = {s.id: wait_until(lambda s=s: (r := client.v1.checkout.sessions.retrieve(s.id)).status != "open" and r)
             for s in sessions}
    for session, answer in zip(sessions, answers):
        intent = client.v1.payment_intents.retrieve(session.payment_intent)
        kept = [r for r in client.v1.refunds.list(params={"payment_intent": intent.id}).data]
        if answer == "succeeded":
            assert (ended[session.id].status, intent.status, kept) == ("complete", "succeeded", [])
        else:
            assert answer == "payment_intent_unexpected_state"
            assert (ended[session.id].status, intent.status) == ("expired", "canceled")
    terminal = [e.data.object.id for kind in ("checkout.session.completed", "checkout.session.expired")
                for e in client.v1.events.list(params={"type": kind, "limit": 100}).data]
    assert sorted(terminal) == sorted(s.id for s in sessions)


def test_a_sessions_intent_is_not_repriced_under_it(client):
    session = create(client)
    for change in ({"amount": 1_000}, {"currency": "usd"}):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.payment_intents.update(session.payment_intent, params=change)
        assert refused.value.code == "payment_intent_unexpected_state" and session.id in refused.value.user_message
    # What does not change the price may change (the hosted page records the payer's name so).
    updated = client.v1.payment_intents.update(session.payment_intent, params={"payer": "Lê Văn Cường"})
    assert (updated.amount, updated.payer) == (TOTAL, "Lê Văn Cường")


def test_a_sessions_intent_is_not_canceled_under_it_but_with_its_session(client, http):
    session = create(client)
    for attempt in (lambda: client.v1.payment_intents.cancel(session.payment_intent),
                    lambda: client.v1.payment_intents.cancel(session.payment_intent,
                                                             params={"cancellation_reason": "abandoned"})):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            attempt()
        assert (refused.value.http_status, refused.value.error.type) == (400, "invalid_request_error")
        assert refused.value.user_message == ("You cannot perform this action on PaymentIntents created by Checkout."
                                              " Try expiring the Checkout Session instead.")
    assert client.v1.payment_intents.retrieve(session.payment_intent).status == "requires_payment_method"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert events_of(client, "payment_intent.canceled") == []
    client.v1.checkout.sessions.expire(session.id)
    assert client.v1.payment_intents.retrieve(session.payment_intent).status == "canceled"
    # Still the session's once it has ended; an intent of its own is canceled as before.
    assert http.post(f"/v1/payment_intents/{session.payment_intent}/cancel").status_code == 400
    own = client.v1.payment_intents.create(params={"amount": 10_000, "currency": "vnd"})
    assert client.v1.payment_intents.cancel(own.id).status == "canceled"


def test_list_by_creation_time(client, api_database_url):
    sessions = [create(client) for _ in range(4)]
    with psycopg.connect(api_database_url) as conn:  # one second apart, with fractions as real ones have
        for second, session in enumerate(sessions):
            conn.execute("UPDATE gateway.checkout_sessions SET created_at = to_timestamp(%s) WHERE id = %s",
                         (1_780_000_000 + second + 0.25, session.id))

    def listed(created) -> list[str]:
        return [s.id for s in reversed(client.v1.checkout.sessions.list(params={"created": created}).data)]

    ids = [s.id for s in sessions]
    assert listed(1_780_000_001) == ids[1:2]
    assert listed({"gte": 1_780_000_001, "lt": 1_780_000_003}) == ids[1:3]
    assert listed({"gt": 1_780_000_001, "lte": 1_780_000_003}) == ids[2:4]
    assert listed({"lte": 1_780_000_000}) == ids[:1]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.list(params={"created": {"after": 1}})
    assert refused.value.param == "created[after]"
    for beyond in (79_696_882_571_733_221_376, {"gt": 10**15}, -1):  # found by the fuzzing as a 500
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.checkout.sessions.list(params={"created": beyond})
        assert refused.value.param.startswith("created")
