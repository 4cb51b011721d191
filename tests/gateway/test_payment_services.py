"""A PaymentIntent for a catalogue service is checked against the catalogue: the service
exists and is the agency's, its inputs are valid, and the amount is exactly its price."""

import pytest
import stripe


@pytest.fixture
def bca(stripe_client, new_secret) -> stripe.StripeClient:
    """The Ministry of Public Security, from the seed catalogue the server loaded at start."""
    return stripe_client(new_secret("BCA"))


def create(client, **params):
    return client.v1.payment_intents.create(params={"currency": "vnd"} | params)


def refusal(client, **params) -> tuple[str | None, str | None]:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create(client, **params)
    assert refused.value.http_status == 400
    return refused.value.param, refused.value.code


def test_a_fixed_fee_service_at_its_price(bca):
    intent = create(bca, amount=135_000, service="BCA-GPLX-DOI", service_inputs={"dossier_number": "BCA-260101-0001"})
    assert (intent.service, intent.service_inputs.to_dict()) == ("BCA-GPLX-DOI", {"dossier_number": "BCA-260101-0001"})


def test_the_wrong_amount_for_a_fixed_fee_is_refused(bca):
    assert refusal(bca, amount=100_000, service="BCA-GPLX-DOI",
                   service_inputs={"dossier_number": "BCA-260101-0001"}) == ("amount", "amount_mismatch")


def test_an_unknown_service_or_another_agencys_is_refused(bca):
    assert refusal(bca, amount=1, service="BCA-KHONG-CO")[0] == "service"
    assert refusal(bca, amount=100_000, service="HNI-DKHKD", service_inputs={"dossier_number": "HNI-260101-0001"}) == (
        "service", "service_of_another_agency")


def test_a_missing_input_is_named(bca):
    assert refusal(bca, amount=135_000, service="BCA-GPLX-DOI")[0] == "service_inputs[dossier_number]"


def test_changing_the_amount_later_is_priced_again(bca):
    intent = create(bca, amount=135_000, service="BCA-GPLX-DOI", service_inputs={"dossier_number": "BCA-260101-0001"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        bca.v1.payment_intents.update(intent.id, params={"amount": 1})
    assert (refused.value.param, refused.value.code) == ("amount", "amount_mismatch")


def test_a_fine_is_the_decisions_amount_within_its_legal_range(bca):
    intent = create(bca, amount=5_000_000, service="BCA-XPVPHC-GT", service_inputs={"decision_number": "0012345/QĐ-XPVPHC"})
    assert intent.amount == 5_000_000
    param, code = refusal(bca, amount=2_000_000, service="BCA-XPVPHC-GT",
                          service_inputs={"decision_number": "0012348/QĐ-XPVPHC"})
    assert (param, code) == ("service_inputs[decision_number]", "amount_outside_legal_range")
