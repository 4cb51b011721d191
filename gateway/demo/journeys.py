"""A citizen paying through the real server: the agency creates the PaymentIntent with
Stripe's official client and confirms it for the citizen's provider, and the citizen, as a
browser would, acts on the provider sandbox's page (reached through the gateway's /sandbox/
proxy), choosing the visit's outcome there. A Checkout Session is paid as its payer would:
its hosted page, then the portal's page where one chooses how to pay, then the provider's."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import msgspec
import stripe

from gateway.demo.citizens import Obligation
from gateway.demo.day_plan import Outcome, Visit, payer_comes_back, sandbox_scenario

# Where the agency's own site takes the payer back; the citizen's browser stops there.
AGENCY_RETURN_URL = "https://agency.example.gov.vn/payment-done"
CHECKOUT_CANCEL_URL = "https://agency.example.gov.vn/cart"
BROWSER_TIMEOUT_S = 30
TEST_CARDS = {Outcome.PAID: "pm_card_visa", Outcome.DECLINED: "pm_card_chargeDeclinedInsufficientFunds"}
# The portal's payment page offers these two test cards in sandbox mode.
PAGE_TEST_CARDS = {Outcome.PAID: "pm_card_visa", Outcome.DECLINED: "pm_card_chargeDeclined"}
HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(csrf_token|attempt_key)" value="([^"]*)"')


class Journey(msgspec.Struct, frozen=True, kw_only=True):
    """What the demo knows of one citizen's payment once the citizen is done with it."""

    obligation: Obligation
    intent_id: str | None = None
    attempt_ref: str | None = None  # the provider attempt the citizen confirmed, if any
    amount_minor: int = 0
    session_id: str | None = None
    error: str | None = None  # what went wrong that no outcome foresees


@dataclass(frozen=True)
class Portal:
    url: str
    secrets: dict[str, str]  # agency → its test key

    def client(self, agency: str) -> stripe.StripeClient:
        """The agency's Stripe client (one per journey: citizens pay at once, on threads).
        Network retries carry the client's idempotency keys, so a retried create is one."""
        return stripe.StripeClient(self.secrets[agency], base_addresses={"api": self.url}, max_network_retries=2)

    def price(self, service: str, inputs: dict[str, str]) -> int:
        answer = httpx.get(f"{self.url}/v1/catalogue/services/{service}/price",
                           params={f"inputs[{name}]": value for name, value in inputs.items()}, timeout=30)
        answer.raise_for_status()
        return answer.json()["quote"]["total_minor"]


def pay(portal: Portal, obligation: Obligation) -> Journey:
    """The citizen's visit from start to end; what no outcome foresees is recorded, not raised,
    so that one citizen's trouble shows in the summary instead of ending the day."""
    try:
        return _pay(portal, obligation)
    except (stripe.StripeError, httpx.HTTPError, KeyError, AttributeError) as problem:
        return Journey(obligation=obligation, error=f"{type(problem).__name__}: {problem}")


def _pay(portal: Portal, obligation: Obligation) -> Journey:
    client = portal.client(obligation.agency)
    visit = obligation.visit
    if obligation.service is None:
        return _pay_a_checkout_session(portal, client, obligation)
    if obligation.submits_dossier:
        code = _dossier_awaiting_payment(portal, obligation)
        obligation = msgspec.structs.replace(obligation, reference=code, service_inputs={"dossier_number": code})
    amount = portal.price(obligation.service, obligation.service_inputs)
    intent = client.v1.payment_intents.create(params={
        "amount": amount, "currency": "vnd", "service": obligation.service,
        "service_inputs": obligation.service_inputs, "reference": obligation.reference,
        "payer": obligation.payer, "payment_method_types": [visit.provider], "metadata": demo_metadata(visit)})
    journey = Journey(obligation=obligation, intent_id=intent.id, amount_minor=amount)
    if visit.provider == "card":
        return _pay_by_card(client, journey)
    confirmed = client.v1.payment_intents.confirm(journey.intent_id, params={"return_url": AGENCY_RETURN_URL})
    journey = msgspec.structs.replace(journey, attempt_ref=confirmed.latest_attempt)
    with httpx.Client(timeout=BROWSER_TIMEOUT_S) as browser:
        PAGES[visit.provider](browser, portal.url, confirmed, visit.outcome)
    return journey


def _dossier_awaiting_payment(portal: Portal, obligation: Obligation) -> str:
    """The citizen submits the dossier (no key); the agency receives it, works on it and asks
    for its fee (with its key). The dossier's code."""
    with httpx.Client(base_url=portal.url, timeout=BROWSER_TIMEOUT_S) as public:
        submitted = _expect(public.post("/v1/dossiers", data={
            "service": obligation.service, "applicant_name": obligation.payer,
            "contact": f"citizen{obligation.visit.citizen_no}@example.vn"}), 200)
    code = submitted.json()["dossier"]["code"]
    with httpx.Client(base_url=portal.url, timeout=BROWSER_TIMEOUT_S,
                      headers={"Authorization": f"Bearer {portal.secrets[obligation.agency]}"}) as agency:
        for status in ("received", "in_progress"):
            _expect(agency.post(f"/v1/dossiers/{code}/advance", data={"status": status}), 200)
        _expect(agency.post(f"/v1/dossiers/{code}/request_payment"), 200)
    return code


def demo_metadata(visit: Visit) -> dict[str, str]:
    """On the agency's objects: which citizen, and the outcome the demo planned for them."""
    return {"demo_citizen": str(visit.citizen_no), "demo_outcome": visit.outcome.value}


def _pay_a_checkout_session(portal: Portal, client: stripe.StripeClient, obligation: Obligation) -> Journey:
    """The agency makes the session; the citizen opens its page and pays it there (or leaves,
    and the agency expires the session)."""
    visit = obligation.visit
    session = client.v1.checkout.sessions.create(params={
        "mode": "payment", "line_items": obligation.line_items, "success_url": AGENCY_RETURN_URL,
        "cancel_url": CHECKOUT_CANCEL_URL, "reference": obligation.reference, "payer": obligation.payer,
        "payment_method_types": [visit.provider], "client_reference_id": obligation.reference,
        "metadata": demo_metadata(visit)})
    journey = Journey(obligation=obligation, intent_id=session.payment_intent, session_id=session.id,
                      amount_minor=session.amount_total)
    with httpx.Client(timeout=BROWSER_TIMEOUT_S) as browser:
        session_page = browser.get(session.url)
        session_page.raise_for_status()
        if visit.outcome == Outcome.ABANDONED:
            client.v1.checkout.sessions.expire(session.id)  # the agency gives up on the cart
            return journey
        to_choice = _expect(browser.post(session.url, data=_hidden_fields(session_page.text)), 303)
        choice_url = f"{portal.url}{to_choice.headers['location']}"
        choice_page = browser.get(choice_url)
        choice_page.raise_for_status()
        # A declined card shows the choice again (200), with the decline said on it.
        _expect(browser.post(choice_url, data={**_hidden_fields(choice_page.text), "payer": obligation.payer,
                                               "method": visit.provider,
                                               "test_card": PAGE_TEST_CARDS.get(visit.outcome, "")}), 200, 303)
        intent = client.v1.payment_intents.retrieve(session.payment_intent)
        if visit.provider != "card":
            PAGES[visit.provider](browser, portal.url, intent, visit.outcome)
    return msgspec.structs.replace(journey, attempt_ref=intent.latest_attempt)


def _hidden_fields(page: str) -> dict[str, str]:
    """A form's hidden fields: the CSRF token (bound to this browser's cookie) and the like."""
    return dict(HIDDEN_FIELD.findall(page))


def _pay_by_card(client: stripe.StripeClient, journey: Journey) -> Journey:
    outcome = journey.obligation.visit.outcome
    if outcome == Outcome.ABANDONED:
        return journey  # the citizen never enters a card
    try:
        confirmed = client.v1.payment_intents.confirm(journey.intent_id, params={"payment_method": TEST_CARDS[outcome]})
    except stripe.CardError:
        confirmed = client.v1.payment_intents.retrieve(journey.intent_id)
    return msgspec.structs.replace(journey, attempt_ref=confirmed.latest_attempt)


def _at_vnpay(browser: httpx.Client, portal_url: str, confirmed: stripe.PaymentIntent, outcome: Outcome) -> None:
    page_url = confirmed.next_action.redirect_to_url.url
    browser.get(page_url).raise_for_status()
    if outcome == Outcome.ABANDONED:
        return
    answer = browser.post(page_url.split("?")[0].replace("vpcpay.html", "pay"),
                          data={"txn_ref": confirmed.latest_attempt, "scenario": sandbox_scenario(outcome)})
    _come_back(browser, answer, outcome)


def _at_momo(browser: httpx.Client, portal_url: str, confirmed: stripe.PaymentIntent, outcome: Outcome) -> None:
    pay_url = confirmed.next_action.redirect_to_url.url
    browser.get(pay_url).raise_for_status()
    if outcome == Outcome.ABANDONED:
        return
    answer = browser.post(pay_url.split("?")[0],
                          data={"orderId": confirmed.latest_attempt, "scenario": sandbox_scenario(outcome)})
    _come_back(browser, answer, outcome)


def _at_vietqr(browser: httpx.Client, portal_url: str, confirmed: stripe.PaymentIntent, outcome: Outcome) -> None:
    """The citizen scans the QR in their banking app (the sandbox bank's page) and sends the
    transfer with the reference as the QR wrote it; the bank notifies the gateway."""
    page = f"{portal_url}/sandbox/vietqr/transfer"
    payload = confirmed.next_action.vietqr_display_qr_code.data
    browser.get(page, params={"payload": payload}).raise_for_status()
    if outcome == Outcome.ABANDONED:
        return
    browser.post(page, data={"payload": payload, "scenario": sandbox_scenario(outcome), "description_style": "exact"})


def _expect(answer: httpx.Response, *status_codes: int) -> httpx.Response:
    if answer.status_code not in status_codes:
        raise httpx.HTTPStatusError(f"{answer.request.method} {answer.request.url} answered {answer.status_code}",
                                    request=answer.request, response=answer)
    return answer


def _come_back(browser: httpx.Client, answer: httpx.Response, outcome: Outcome) -> None:
    """The provider sends the browser back through our return URL, which sends it on to the
    agency's page (not followed: it is the agency's)."""
    _expect(answer, 302, 303)
    if payer_comes_back(outcome):
        browser.get(answer.headers["location"])


PAGES = {"vnpay": _at_vnpay, "momo": _at_momo, "vietqr": _at_vietqr}
