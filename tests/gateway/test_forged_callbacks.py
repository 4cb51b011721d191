"""Every kind of forged callback, for every provider, through the real server: no money
moves, the payment stays as it was, and the provider gets its own refusal answer. Then the
genuine message, sent last, is accepted and books the payment once, which shows that each
forgery differed from it only by what it forged.

The genuine messages are built by the providers' own test helpers (the VNPAY IPN, the MoMo
IPN, the VietQR credit notification) and, for the card acquirer, from its event objects;
each forgery below is one change to such a message."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

import httpx
import msgspec
import psycopg
import pytest
import stripe

from providers.card.config import CardConfig
from providers.card.objects import Event, EventData, PaymentIntent
from providers.card.webhook import signature_header
from providers.momo.signing import sign_message
from providers.vietqr.notification import SIGNATURE_HEADER, sign_body
from providers.vnpay import api
from providers.vnpay.signing import SECURE_HASH, sign_params
from tests.gateway import test_momo_gateway_flow as momo
from tests.gateway import test_vietqr_gateway_flow as vietqr
from tests.gateway.payment_flows import awaiting, create, ledger_transfers
from tests.gateway.test_callbacks import CONFIG as VNPAY, ipn_url

AMOUNT = 150_000
CARD = CardConfig()  # the acquirer account the server runs with


@dataclass(frozen=True)
class Wire:
    """A message to /callbacks/<provider> as it travels."""

    method: str = "POST"
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


# ---- VNPAY: a GET whose query is signed by vnp_SecureHash -------------------------------

def vnpay_params(attempt_ref: str, amount: int = AMOUNT, **changes: str) -> dict[str, str]:
    """The genuine IPN's parameters, with ``changes`` made and signed again with our secret."""
    params = dict(parse_qsl(urlsplit(ipn_url("", attempt_ref, amount)).query))
    return sign_params({**without(params, SECURE_HASH), **changes}, VNPAY.hash_secret) if changes else params


def without(params: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in params.items() if key != name}


def vnpay_wire(params: dict[str, str]) -> Wire:
    return Wire(method="GET", query=params)


def vnpay_hash_of(params: dict[str, str], secret: str = VNPAY.hash_secret) -> str:
    return sign_params(without(params, SECURE_HASH), secret)[SECURE_HASH]


VNPAY_FORGERIES: dict[str, Callable[[str], Wire]] = {
    "no hash": lambda ref: vnpay_wire(without(vnpay_params(ref), SECURE_HASH)),
    "empty hash": lambda ref: vnpay_wire({**vnpay_params(ref), SECURE_HASH: ""}),
    "hash under another secret": lambda ref: vnpay_wire(
        {**vnpay_params(ref), SECURE_HASH: vnpay_hash_of(vnpay_params(ref), "NOTOURSECRETNOTOURSECRET")}),
    "truncated hash": lambda ref: vnpay_wire({**vnpay_params(ref), SECURE_HASH: vnpay_params(ref)[SECURE_HASH][:-2]}),
    "hash of other fields": lambda ref: vnpay_wire(
        {**vnpay_params(ref), SECURE_HASH: vnpay_hash_of(without(vnpay_params(ref), "vnp_Amount"))}),
    "amount altered after signing": lambda ref: vnpay_wire(
        {**vnpay_params(ref), "vnp_Amount": api.to_vnp_amount(AMOUNT * 10)}),
    "a failure replayed as a success": lambda ref: vnpay_wire(
        {**vnpay_params(ref, vnp_ResponseCode="24", vnp_TransactionStatus="02"),
         "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"}),
    "another terminal's code, signed": lambda ref: vnpay_wire(vnpay_params(ref, vnp_TmnCode="OTHERTMN")),
    # The same number written otherwise: the hash is over the text, not over what it means.
    "amount with a leading zero": lambda ref: vnpay_wire(
        {**vnpay_params(ref), "vnp_Amount": "0" + api.to_vnp_amount(AMOUNT)}),
    "hash in upper case over an altered amount": lambda ref: vnpay_wire(
        {**vnpay_params(ref), "vnp_Amount": api.to_vnp_amount(1), SECURE_HASH: vnpay_params(ref)[SECURE_HASH].upper()}),
}


# ---- MoMo: a JSON body carrying its own HMAC in "signature" ------------------------------

def momo_wire(fields: dict) -> Wire:
    return Wire(headers=momo.JSON, body=msgspec.json.encode(fields))


def momo_fields(attempt_ref: str, **kwargs) -> dict:
    return msgspec.to_builtins(momo.ipn(attempt_ref, **kwargs))


MOMO_FORGERIES: dict[str, Callable[[str], Wire]] = {
    "no signature": lambda ref: momo_wire(without(momo_fields(ref), "signature")),
    "empty signature": lambda ref: momo_wire({**momo_fields(ref), "signature": ""}),
    "signature under another secret key": lambda ref: momo_wire(msgspec.to_builtins(sign_message(
        momo.ipn(ref), momo.CONFIG.access_key, "notoursecretkeynotoursecretkey00"))),
    "truncated signature": lambda ref: momo_wire({**momo_fields(ref), "signature": momo_fields(ref)["signature"][:-2]}),
    "signature of another message": lambda ref: momo_wire(
        {**momo_fields(ref), "signature": momo_fields(ref, trans_id=4_100_000_999)["signature"]}),
    "amount altered after signing": lambda ref: momo_wire({**momo_fields(ref), "amount": AMOUNT * 10}),
    "a failure replayed as a success": lambda ref: momo_wire({**momo_fields(ref, result_code=1006), "resultCode": 0}),
    "another partner's code, signed": lambda ref: momo_wire(momo_fields(ref, partner_code="MOMOSOMEONEELSE")),
    "signature in upper case over an altered amount": lambda ref: momo_wire(
        {**momo_fields(ref), "amount": 1, "signature": momo_fields(ref)["signature"].upper()}),
}


# ---- VietQR: the bank's JSON credit notification, HMAC of the raw body in X-Signature ---

def vietqr_wire(body: bytes, signature: str | None) -> Wire:
    headers = {"content-type": "application/json"}
    return Wire(headers=headers if signature is None else {**headers, SIGNATURE_HEADER: signature}, body=body)


def vietqr_signed(body: bytes, secret: str = vietqr.CONFIG.webhook_secret) -> str:
    return sign_body(body, secret)


def vietqr_respaced(body: bytes) -> bytes:
    return json.dumps(json.loads(body), indent=1).encode()


VIETQR_FORGERIES: dict[str, Callable[[str], Wire]] = {
    "no signature header": lambda ref: vietqr_wire(vietqr.notification(ref), None),
    "empty signature": lambda ref: vietqr_wire(vietqr.notification(ref), ""),
    "signature under another secret": lambda ref: (
        body := vietqr.notification(ref)) and vietqr_wire(body, vietqr_signed(body, "not-our-webhook-secret")),
    "truncated signature": lambda ref: (
        body := vietqr.notification(ref)) and vietqr_wire(body, vietqr_signed(body)[:-2]),
    "signature of another notification": lambda ref: vietqr_wire(
        vietqr.notification(ref), vietqr_signed(vietqr.notification(ref))),
    "amount altered after signing": lambda ref: (body := vietqr.notification(ref)) and vietqr_wire(
        body.replace(f'"amount":{AMOUNT}'.encode(), f'"amount":{AMOUNT * 10}'.encode()), vietqr_signed(body)),
    "another account's credit, signed": lambda ref: (
        body := vietqr.notification(ref, account="9999999999")) and vietqr_wire(body, vietqr_signed(body)),
    # The same JSON, spaced otherwise: the signature is over the bytes, not what they mean.
    "the body re-spaced under its signature": lambda ref: (
        body := vietqr.notification(ref)) and vietqr_wire(vietqr_respaced(body), vietqr_signed(body)),
}


# ---- Card: Stripe's event, signed in Stripe-Signature (t=…,v1=…) ------------------------

def card_event(attempt_ref: str, provider_ref: str, amount: int = AMOUNT, account: str = CARD.account_id) -> bytes:
    now = int(time.time())
    intent = PaymentIntent(id=provider_ref, amount=amount, amount_received=amount, currency="vnd", status="succeeded",
                           created=now, metadata={"attempt_ref": attempt_ref})
    return msgspec.json.encode(Event(id=f"evt_forged_{attempt_ref}", type="payment_intent.succeeded", created=now,
                                     account=account, data=EventData(object=intent)))


def card_wire(body: bytes, header: str | None) -> Wire:
    headers = {"content-type": "application/json"}
    return Wire(headers=headers if header is None else {**headers, "stripe-signature": header}, body=body)


def card_signed(body: bytes, secret: str = CARD.webhook_secret, at: int | None = None) -> str:
    return signature_header(body, secret, at or int(time.time()))


def card_forgeries(provider_ref: str) -> dict[str, Callable[[str], Wire]]:
    def event(ref: str, **kwargs) -> bytes:
        return card_event(ref, provider_ref, **kwargs)

    return {
        "no Stripe-Signature": lambda ref: card_wire(event(ref), None),
        "empty Stripe-Signature": lambda ref: card_wire(event(ref), ""),
        "v1 under another secret": lambda ref: (body := event(ref)) and card_wire(body, card_signed(body, "whsec_x")),
        "truncated v1": lambda ref: (body := event(ref)) and card_wire(body, card_signed(body)[:-2]),
        "v1 of another event": lambda ref: card_wire(event(ref), card_signed(event(ref, amount=AMOUNT + 1))),
        "amount altered after signing": lambda ref: (body := event(ref)) and card_wire(
            body.replace(f'"amount_received":{AMOUNT}'.encode(), b'"amount_received":1'), card_signed(body)),
        "a replay signed an hour ago": lambda ref: (body := event(ref)) and card_wire(
            body, card_signed(body, at=int(time.time()) - 3600)),
        "the timestamp moved under its v1": lambda ref: (body := event(ref)) and card_wire(
            body, card_signed(body, at=int(time.time()) - 3600).replace(
                f"t={int(time.time()) - 3600}", f"t={int(time.time())}")),
        "another account's event, signed": lambda ref: (body := event(ref, account="acct_other")) and card_wire(
            body, card_signed(body)),
        # Stripe's test-mode v0 scheme is never what we verify.
        "only a v0 signature": lambda ref: (body := event(ref)) and card_wire(
            body, card_signed(body).replace("v1=", "v0=")),
    }


# ---- The table -----------------------------------------------------------------------------

class Provider(NamedTuple):
    forgeries: Callable[[str], dict[str, Callable[[str], Wire]]]  # from the attempt's provider_ref
    genuine: Callable[[str, str], Wire]  # (attempt_ref, provider_ref)
    refusal: Callable[[httpx.Response], object]  # what the provider is answered for a forgery


PROVIDERS: dict[str, Provider] = {
    "vnpay": Provider(lambda _: VNPAY_FORGERIES, lambda ref, _: vnpay_wire(vnpay_params(ref)),
                      lambda answer: (answer.status_code, answer.json()["RspCode"])),
    "momo": Provider(lambda _: MOMO_FORGERIES, lambda ref, _: momo_wire(momo_fields(ref)),
                     lambda answer: answer.status_code),
    "vietqr": Provider(lambda _: VIETQR_FORGERIES,
                       lambda ref, _: (body := vietqr.notification(ref)) and vietqr_wire(body, vietqr_signed(body)),
                       lambda answer: (answer.status_code, answer.json()["code"])),
    "card": Provider(card_forgeries, lambda ref, provider_ref: (body := card_event(ref, provider_ref)) and card_wire(
        body, card_signed(body)), lambda answer: answer.status_code),
}
REFUSED = {"vnpay": (200, "97"), "momo": 400, "vietqr": (401, "401"), "card": 400}
CASES = [(provider, forgery) for provider, spec in PROVIDERS.items() for forgery in spec.forgeries("pi_x")]


def send(api_url: str, provider: str, wire: Wire) -> httpx.Response:
    return httpx.request(wire.method, f"{api_url}/callbacks/{provider}", params=wire.query, headers=wire.headers,
                         content=wire.body, timeout=30)


def waiting_attempt(client: stripe.StripeClient, provider: str, database_url: str) -> tuple[str, str, str]:
    """An intent with an attempt at ``provider`` that a success would settle: (intent id,
    attempt reference, the provider's reference for it). A card attempt is one the card
    declined: a verified success for it would still be booked."""
    if provider != "card":
        intent_id, confirmed = awaiting(client, provider)
        return intent_id, confirmed.latest_attempt, ""
    intent = create(client)
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    attempt_ref = client.v1.payment_intents.retrieve(intent.id).latest_attempt
    with psycopg.connect(database_url) as conn:
        [(provider_ref,)] = conn.execute("SELECT provider_ref FROM gateway.payment_attempts WHERE attempt_ref = %s",
                                         (attempt_ref,)).fetchall()
    return intent.id, attempt_ref, provider_ref


def agency_transfers(database_url: str, agency: str) -> int:
    """The ledger transfers that touch any of the agency's accounts, in any mode."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM ledger.transfers t JOIN ledger.accounts d ON d.id = t.debit_account_id"
            " JOIN ledger.accounts c ON c.id = t.credit_account_id WHERE d.code LIKE %(like)s OR c.code LIKE %(like)s",
            {"like": f"agency:%{agency}:%"}).fetchone()[0]


@pytest.mark.parametrize(("provider", "forgery"), CASES, ids=[f"{p}: {f}" for p, f in CASES])
def test_a_forged_callback_moves_no_money(provider, forgery, client, agency, api_url, api_database_url) -> None:
    spec = PROVIDERS[provider]
    intent_id, attempt_ref, provider_ref = waiting_attempt(client, provider, api_database_url)
    status = client.v1.payment_intents.retrieve(intent_id).status
    answer = send(api_url, provider, spec.forgeries(provider_ref)[forgery](attempt_ref))
    assert spec.refusal(answer) == REFUSED[provider], answer.text
    assert agency_transfers(api_database_url, agency) == 0
    assert ledger_transfers(api_database_url, attempt_ref) == []
    assert client.v1.payment_intents.retrieve(intent_id).status == status


@pytest.mark.parametrize("provider", PROVIDERS)
def test_after_the_forgeries_the_genuine_message_books_the_payment_once(provider, client, agency, api_url,
                                                                         api_database_url) -> None:
    spec = PROVIDERS[provider]
    intent_id, attempt_ref, provider_ref = waiting_attempt(client, provider, api_database_url)
    refusals = [spec.refusal(send(api_url, provider, forge(attempt_ref)))
                for forge in spec.forgeries(provider_ref).values()]
    assert set(refusals) == {REFUSED[provider]}
    assert agency_transfers(api_database_url, agency) == 0
    accepted = send(api_url, provider, spec.genuine(attempt_ref, provider_ref))
    assert spec.refusal(accepted) != REFUSED[provider] and accepted.status_code < 300, accepted.text
    assert len(ledger_transfers(api_database_url, attempt_ref)) == 1
    assert client.v1.payment_intents.retrieve(intent_id).status == "succeeded"
