"""PaymentIntents through a real server, driven by Stripe's own client."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import stripe

from gateway.keys.model import Mode

STRIPE_FIXTURES = Path("/work/shared/data/stripe/fixtures3.json")
PORTAL_FIELDS = {"service", "service_inputs", "reference", "payer", "latest_attempt"}


def create(client, **params):
    return client.v1.payment_intents.create(params={"amount": 200_000, "currency": "vnd"} | params)


def test_create_and_retrieve(client):
    created = create(client, description="Lệ phí cấp hộ chiếu", metadata={"dossier": "H01.22-0001"},
                     reference="H01.22-0001", payer="Nguyễn Văn A", receipt_email="a@example.vn")
    assert created.id.startswith("pi_") and created.client_secret.startswith(created.id + "_secret_")
    assert (created.object, created.status, created.amount, created.currency) == (
        "payment_intent", "requires_payment_method", 200_000, "vnd")
    assert created.livemode is False and created.payment_method_types == ["card"]
    fetched = client.v1.payment_intents.retrieve(created.id)
    assert fetched.to_dict() == created.to_dict()
    assert (fetched.service, fetched.reference, fetched.payer) == (None, "H01.22-0001", "Nguyễn Văn A")
    assert fetched.metadata.to_dict() == {"dossier": "H01.22-0001"}


def test_has_every_top_level_field_of_stripes_own_object(client):
    stripes = json.loads(STRIPE_FIXTURES.read_text())["resources"]["payment_intent"]
    ours = create(client).to_dict()
    assert set(ours) == set(stripes) | PORTAL_FIELDS


def test_expanding_a_property_that_is_always_null_here_answers_null(client):
    nulls = ["latest_charge", "customer", "review"]
    created = create(client, expand=nulls)
    assert (created.latest_charge, created.customer, created.review) == (None, None, None)
    fetched = client.v1.payment_intents.retrieve(created.id, params={"expand": nulls})
    assert fetched.to_dict() == created.to_dict()
    [listed] = client.v1.payment_intents.list(params={"limit": 1, "expand": ["data.latest_charge"]}).data
    assert listed.id == created.id and listed.latest_charge is None
    canceled = client.v1.payment_intents.cancel(created.id, params={"expand": ["latest_charge"]})
    assert canceled.status == "canceled"
    # An id here, not an object: refused, as is a list's path without its data. prefix.
    for ask in (lambda: client.v1.payment_intents.retrieve(created.id, params={"expand": ["payment_method"]}),
                lambda: client.v1.payment_intents.list(params={"expand": ["latest_charge"]})):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            ask()
        assert (refused.value.http_status, refused.value.param) == (400, "expand")


def test_update_merges_metadata_and_clears_with_empty_values(client):
    intent = create(client, metadata={"a": "1", "b": "2"}, description="old")
    updated = client.v1.payment_intents.update(intent.id, params={"amount": 150_000, "description": "",
                                                                  "metadata": {"b": "", "c": "3"}})
    assert (updated.amount, updated.description) == (150_000, None)
    assert updated.metadata.to_dict() == {"a": "1", "c": "3"}


def test_cancel_then_no_more_changes(client):
    intent = create(client)
    canceled = client.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "requested_by_customer"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "requested_by_customer")
    assert canceled.canceled_at >= intent.created
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.update(intent.id, params={"amount": 1})
    assert (refused.value.http_status, refused.value.code) == (400, "payment_intent_unexpected_state")


def test_unknown_id_is_a_404_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_000000000000000000000000")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_parameter_errors_name_the_parameter(client):
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        create(client, colour="blue")
    assert (unknown.value.http_status, unknown.value.code, unknown.value.param) == (400, "parameter_unknown", "colour")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.create(params={"currency": "vnd"})
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "amount")
    with pytest.raises(stripe.InvalidRequestError) as bad_currency:
        create(client, currency="xyz")
    assert bad_currency.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as too_small:
        create(client, amount=0)
    assert too_small.value.param == "amount"


def test_an_agency_sees_only_its_own_objects(client, stripe_client, new_secret, agency):
    intent = create(client)
    other = stripe_client(new_secret(agency + "X"))
    with pytest.raises(stripe.InvalidRequestError) as missing:
        other.v1.payment_intents.retrieve(intent.id)
    assert missing.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):
        other.v1.payment_intents.cancel(intent.id)
    assert other.v1.payment_intents.list().data == []


def test_test_and_live_objects_never_mix(client, stripe_client, new_secret, agency):
    test_intent = create(client)
    live = stripe_client(new_secret(agency, Mode.LIVE))
    live_intent = create(live)
    assert live_intent.livemode is True
    assert [p.id for p in live.v1.payment_intents.list().data] == [live_intent.id]
    assert [p.id for p in client.v1.payment_intents.list().data] == [test_intent.id]
    with pytest.raises(stripe.InvalidRequestError):
        live.v1.payment_intents.retrieve(test_intent.id)


def test_list_pages_newest_first_in_both_directions(client):
    ids = [create(client, amount=1000 + n).id for n in range(7)]
    newest_first = ids[::-1]
    first = client.v1.payment_intents.list(params={"limit": 3})
    assert ([p.id for p in first.data], first.has_more, first.object, first.url) == (
        newest_first[:3], True, "list", "/v1/payment_intents")
    second = client.v1.payment_intents.list(params={"limit": 3, "starting_after": first.data[-1].id})
    assert [p.id for p in second.data] == newest_first[3:6] and second.has_more
    last = client.v1.payment_intents.list(params={"limit": 3, "starting_after": second.data[-1].id})
    assert [p.id for p in last.data] == newest_first[6:] and not last.has_more
    back = client.v1.payment_intents.list(params={"limit": 2, "ending_before": second.data[0].id})
    assert [p.id for p in back.data] == newest_first[1:3] and back.has_more
    assert [p.id for p in client.v1.payment_intents.list(params={"limit": 2}).auto_paging_iter()] == newest_first
    assert len(client.v1.payment_intents.list().data) == 7  # default limit 10


@pytest.mark.parametrize("params, param", [({"limit": 0}, "limit"), ({"limit": 101}, "limit"),
                                           ({"starting_after": "pi_nothere"}, "starting_after")])
def test_list_refuses_bad_paging(client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.list(params=params)
    assert refused.value.param == param


def test_paging_is_stable_while_others_insert(client):
    for n in range(5):
        create(client, amount=1000 + n)
    first = client.v1.payment_intents.list(params={"limit": 2})
    with ThreadPoolExecutor(4) as pool:
        new = list(pool.map(lambda n: create(client, amount=5000 + n).id, range(8)))
    rest = [p.id for p in client.v1.payment_intents.list(params={"limit": 2, "starting_after": first.data[-1].id})
            .auto_paging_iter()]
    seen = [p.id for p in first.data] + rest
    assert len(seen) == len(set(seen)) == 5 and not set(new) & set(seen)
