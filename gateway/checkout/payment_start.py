"""Turning what a citizen chose into a PaymentIntent of the agency that owns the service,
priced by the catalogue, exactly as an agency's API call would create it."""

from __future__ import annotations

from psycopg import AsyncConnection

from catalogue import store as catalogue_store
from catalogue.errors import Conflict
from catalogue.model import Quote
from catalogue.quoting import price_service
from gateway.events.store import Origin
from gateway.keys.model import Scope
from gateway.payments.model import PaymentIntent, PaymentIntentCreate
from gateway.payments.operations import create_payment_intent


class AmountChanged(Conflict):
    """What the citizen saw is no longer what the catalogue charges (a bill was paid
    meanwhile, the base salary changed): show the new amount, take nothing."""

    def __init__(self, quote: Quote) -> None:
        super().__init__("amount", "amount_changed", f"the amount is now {quote.total_minor}")
        self.quote = quote


async def start_payment(
    conn: AsyncConnection,
    service_code: str,
    inputs: dict[str, str],
    *,
    expected_minor: int,
    livemode: bool,
    reference: str | None,
    request_id: str | None,
) -> PaymentIntent:
    service = await catalogue_store.get_service(conn, service_code)
    quote = await price_service(conn, service_code, inputs)
    if quote.total_minor != expected_minor:
        raise AmountChanged(quote)
    params = PaymentIntentCreate(
        amount=quote.total_minor, currency=quote.currency.lower(), service=service.code, service_inputs=inputs,
        reference=reference, description=service.name_vi, payment_method_types=list(service.providers))
    async with conn.transaction():
        return await create_payment_intent(conn, Scope(agency_code=service.agency_code, livemode=livemode), params,
                                           Origin(request_id=request_id))
