"""Reading what a receipt shows: the succeeded PaymentIntent, the attempt that paid it,
and the catalogue's names for the service and the agency."""

from __future__ import annotations

from psycopg import AsyncConnection

from catalogue.errors import CatalogueError
from gateway.checkout import catalogue_names
from gateway.checkout.receipt import Receipt, verification_code
from gateway.payments import attempt_store
from gateway.payments.model import PaymentIntent, Status


async def receipt_for(conn: AsyncConnection, intent: PaymentIntent, key: bytes) -> Receipt | None:
    """The receipt of a succeeded payment; None before it has succeeded."""
    if intent.status != Status.SUCCEEDED or intent.latest_attempt_ref is None:
        return None
    attempt = await attempt_store.get_attempt(conn, intent.latest_attempt_ref)
    paid_at = attempt.resolved_at or attempt.created_at
    agency = await catalogue_names.agency_or_none(conn, intent.agency_code)
    agency_names = (agency.name_vi, agency.name_en) if agency else (intent.agency_code, intent.agency_code)
    names = (intent.description or "", intent.description or "")
    if intent.service:
        try:
            service = await catalogue_names.services.get(conn, intent.service)
            names = (service.name_vi, service.name_en)
        except CatalogueError:
            pass  # a service since removed: the payment's own description stands
    return Receipt(
        number=intent.id, payer=intent.payer, service_code=intent.service, service_name_vi=names[0],
        service_name_en=names[1], agency_code=intent.agency_code, agency_name_vi=agency_names[0],
        agency_name_en=agency_names[1],
        reference=intent.reference, amount_minor=intent.amount_minor, currency=intent.currency,
        provider=attempt.provider, provider_ref=attempt.provider_ref, paid_at=paid_at,
        verification_code=verification_code(key, intent.id, intent.amount_minor, paid_at))

