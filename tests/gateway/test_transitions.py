"""PaymentIntent transitions as pure functions."""

from datetime import UTC, datetime

import msgspec
import pytest

from gateway.errors import UnexpectedState
from gateway.payments.model import CancellationReason, PaymentIntentCreate, PaymentIntentUpdate, Status
from gateway.payments.transitions import CANCELABLE, UPDATABLE, cancel_intent, create_intent, update_intent

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def new_intent(**changes):
    params = PaymentIntentCreate(amount=200_000, currency="vnd", metadata={"dossier": "H01-1", "dropped": None},
                                 service="1.000001", reference="H01-1", payer="Nguyễn Văn A")
    return msgspec.structs.replace(create_intent(params, agency_code="BTP", livemode=False, now=NOW), **changes)


def test_a_new_intent_awaits_a_payment_method():
    intent = new_intent()
    assert intent.status == Status.REQUIRES_PAYMENT_METHOD
    assert (intent.amount_minor, intent.currency, intent.metadata) == (200_000, "VND", {"dossier": "H01-1"})
    assert intent.id.startswith("pi_") and intent.client_secret.startswith(intent.id + "_secret_")


def test_update_replaces_given_fields_and_merges_metadata():
    intent = new_intent(metadata={"a": "1", "b": "2"})
    updated = update_intent(intent, PaymentIntentUpdate(amount=150_000, description=None, metadata={"b": None, "c": "3"}))
    assert (updated.amount_minor, updated.description, updated.metadata) == (150_000, None, {"a": "1", "c": "3"})
    assert updated.payer == intent.payer  # not given, not changed
    assert update_intent(intent, PaymentIntentUpdate(metadata=None)).metadata == {}


def test_cancel_records_when_and_why():
    canceled = cancel_intent(new_intent(), CancellationReason.DUPLICATE, now=NOW)
    assert (canceled.status, canceled.cancellation_reason, canceled.canceled_at) == (Status.CANCELED, "duplicate", NOW)


@pytest.mark.parametrize("status", sorted(set(Status) - UPDATABLE))
def test_no_update_once_money_moves(status):
    with pytest.raises(UnexpectedState, match=f"status of {status}"):
        update_intent(new_intent(status=status), PaymentIntentUpdate(amount=1))


@pytest.mark.parametrize("status", sorted(set(Status) - CANCELABLE))
def test_no_cancel_after_processing_starts(status):
    with pytest.raises(UnexpectedState) as refused:
        cancel_intent(new_intent(status=status), None, now=NOW)
    assert refused.value.code == "payment_intent_unexpected_state"
