"""What a provider's word does to a payment (gateway.payments.outcomes.decide): settling
writes only the intent's fields a verdict may change, so no verdict may change another."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from gateway.payments.model import Attempt, AttemptFlag, AttemptStatus, PaymentIntent, Status
from gateway.payments.outcomes import SETTLED_INTENT_FIELDS, Result, decide
from providers.model import PaymentState

AT = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


@st.composite
def payments(draw) -> tuple[PaymentIntent, Attempt]:
    attempt_ref = "PAattempt0000000000000001"
    intent = PaymentIntent(
        agency_code="MOJ", id="pi_1", livemode=draw(st.booleans()), status=draw(st.sampled_from(Status)),
        amount_minor=150_000, currency="VND", client_secret="pi_1_secret_x", description=draw(st.none() | st.text()),
        receipt_email=None, payment_method_types=["vnpay", "card"], metadata=draw(st.dictionaries(st.text(), st.text())),
        service=None, reference=draw(st.none() | st.text()), payer=None, cancellation_reason=None, canceled_at=None,
        created_at=AT, quote=draw(st.none() | st.just({"allocations": []})),
        payment_method=draw(st.none() | st.just("vnpay")), next_action=draw(st.none() | st.just({"type": "redirect"})),
        latest_attempt_ref=draw(st.sampled_from([attempt_ref, "PAanotherattempt000000001", None])))
    status = draw(st.sampled_from(AttemptStatus))
    attempt = Attempt(
        attempt_ref=attempt_ref, agency_code="MOJ", intent_id="pi_1", livemode=intent.livemode, provider="vnpay",
        status=status, amount_minor=150_000, currency="VND", payment_method="vnpay", return_url=None,
        provider_ref=draw(st.none() | st.just("14000001")), failure_code=None,
        flag=draw(st.none() | st.sampled_from(AttemptFlag)), created_at=AT,
        resolved_at=None if status == AttemptStatus.PENDING else AT, idempotency_key=None)
    return intent, attempt


results = st.builds(Result, state=st.sampled_from(PaymentState), provider_ref=st.none() | st.just("14000002"),
                    amount_minor=st.none() | st.sampled_from([150_000, 140_000]),
                    currency=st.none() | st.sampled_from(["VND", "USD"]),
                    failure_code=st.none() | st.just("24"), decline_code=st.none() | st.just("insufficient_funds"))


@given(payments(), results)
def test_a_verdict_changes_only_the_intents_settled_fields(payment, result):
    intent, attempt = payment
    verdict = decide(intent, attempt, result, now=AT)
    changed = {name for name in PaymentIntent.__struct_fields__ if getattr(verdict.intent, name) != getattr(intent, name)}
    assert changed <= set(SETTLED_INTENT_FIELDS)
