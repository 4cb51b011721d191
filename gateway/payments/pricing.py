"""A payment for a catalogue service must be for the calling agency's service and for
exactly what the catalogue prices it at, for the payer's inputs."""

from __future__ import annotations

import msgspec
from psycopg import AsyncConnection

from catalogue.errors import CatalogueError
from catalogue.quoting import price_service
from gateway.errors import InvalidParameter
from gateway.payments.model import PaymentIntent

# The catalogue names the field it refused; the API names the parameter that carried it.
CATALOGUE_FIELD_PARAMS = {"service_code": "service", "currency": "currency"}


async def quote_for(conn: AsyncConnection, intent: PaymentIntent) -> PaymentIntent:
    """``intent`` with its quote, or InvalidParameter naming what does not fit the catalogue."""
    if intent.service is None:
        return msgspec.structs.replace(intent, quote=None)
    try:
        quote = await price_service(conn, intent.service, intent.service_inputs, currency=intent.currency)
    except CatalogueError as exc:
        param = CATALOGUE_FIELD_PARAMS.get(exc.field, f"service_inputs[{exc.field}]")
        raise InvalidParameter(exc.reason, param=param, code=exc.code) from None
    if quote.agency_code != intent.agency_code:
        raise InvalidParameter(f"Service {intent.service} is not one of your agency's services.",
                               param="service", code="service_of_another_agency")
    if quote.total_minor != intent.amount_minor:
        raise InvalidParameter(
            f"Service {intent.service} costs {quote.total_minor} {quote.currency.lower()} for these inputs,"
            f" not {intent.amount_minor}.", param="amount", code="amount_mismatch")
    return msgspec.structs.replace(intent, quote=msgspec.to_builtins(quote))
