"""The status page never says "paid" before the PaymentIntent has succeeded."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from gateway.checkout.status_view import KINDS, view_status
from gateway.payments.model import PaymentIntent, Status

NEXT_ACTIONS = st.sampled_from([
    None,
    {"type": "redirect_to_url", "redirect_to_url": {"url": "http://bank.example/pay", "return_url": None}},
    {"type": "vietqr_display_qr_code",
     "vietqr_display_qr_code": {"data": "000201010212", "reference": "DVC123", "amount": 1, "currency": "vnd"}},
])


def intent(status: Status, next_action: dict | None, error: dict | None) -> PaymentIntent:
    return PaymentIntent(agency_code="BCA", id="pi_x", livemode=False, status=status, amount_minor=150_000,
                         currency="VND", client_secret="pi_x_secret", description=None, receipt_email=None,
                         payment_method_types=["vnpay"], metadata={}, service=None, reference=None, payer=None,
                         cancellation_reason=None, canceled_at=None, created_at=datetime.now(UTC),
                         next_action=next_action, last_payment_error=error)


@given(st.sampled_from(list(Status)), NEXT_ACTIONS, st.sampled_from([None, {"code": "card_declined"}]),
       st.booleans())
def test_only_a_succeeded_intent_reads_as_paid(status: Status, action: dict | None, error: dict | None,
                                               sandbox: bool) -> None:
    view = view_status(intent(status, action, error), sandbox=sandbox)
    assert view.kind in KINDS
    assert (view.kind == "succeeded") == (status == Status.SUCCEEDED)
    # Every page still waiting for the provider reloads itself; a finished one does not.
    assert (view.refresh_s is not None) == (view.kind in ("transfer", "at_provider", "processing"))


def test_a_vietqr_transfer_shows_the_code_and_the_reference_to_type() -> None:
    qr = {"type": "vietqr_display_qr_code",
          "vietqr_display_qr_code": {"data": "000201", "reference": "DVC123", "amount": 1, "currency": "vnd"}}
    view = view_status(intent(Status.REQUIRES_ACTION, qr, None), sandbox=True)
    assert view.kind == "transfer" and view.transfer_reference == "DVC123"
    assert view.qr_data_uri.startswith("data:image/svg+xml")
    assert view.sandbox_bank_url == "/sandbox/vietqr/transfer?payload=000201"
    assert view_status(intent(Status.REQUIRES_ACTION, qr, None), sandbox=False).sandbox_bank_url is None
