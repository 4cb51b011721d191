"""Events: written with each change, read through /v1/events."""

import pytest
import stripe


def test_each_change_writes_its_event(client):
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "vnd"},
                                              options={"idempotency_key": "create-1"})
    client.v1.payment_intents.update(intent.id, params={"description": "Phạt vi phạm giao thông"})
    client.v1.payment_intents.update(intent.id, params={"description": "Phạt vi phạm giao thông"})  # no change
    client.v1.payment_intents.cancel(intent.id)
    events = client.v1.events.list()
    assert [e.type for e in events.data] == ["payment_intent.canceled", "payment_intent.updated",
                                             "payment_intent.created"]
    canceled, updated, created = events.data
    assert created.data.object.id == intent.id and created.data.object.status == "requires_payment_method"
    assert created.request.idempotency_key == "create-1" and created.request.id.startswith("req_")
    assert updated.data.previous_attributes.to_dict() == {"description": None}
    assert canceled.data.object.status == "canceled"
    assert canceled.data.previous_attributes.status == "requires_payment_method"
    assert (canceled.object, canceled.livemode, canceled.id[:4]) == ("event", False, "evt_")


def test_retrieve_and_filter_by_type(client):
    for _ in range(3):
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "vnd"})
    created = client.v1.events.list(params={"type": "payment_intent.created", "limit": 2})
    assert len(created.data) == 2 and created.has_more
    assert client.v1.events.list(params={"type": "payment_intent.canceled"}).data == []
    one = client.v1.events.retrieve(created.data[0].id)
    assert one.to_dict() == created.data[0].to_dict()


def test_events_of_another_agency_are_missing(client, stripe_client, new_secret, agency):
    client.v1.payment_intents.create(params={"amount": 1000, "currency": "vnd"})
    [event] = client.v1.events.list().data
    other = stripe_client(new_secret(agency + "X"))
    with pytest.raises(stripe.InvalidRequestError) as missing:
        other.v1.events.retrieve(event.id)
    assert missing.value.http_status == 404


def test_a_refused_change_writes_no_event(client):
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "vnd"})
    client.v1.payment_intents.cancel(intent.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(intent.id)
    assert len(client.v1.events.list().data) == 2


def test_a_create_refused_by_the_database_writes_no_event(client):
    # The intent and its event are one statement: an unknown currency (a foreign key) stops both.
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "xyz"})
    assert refused.value.param == "currency"
    assert client.v1.events.list().data == [] and client.v1.payment_intents.list().data == []
