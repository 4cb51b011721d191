"""Re-query from the console: ask the provider's adapter about a payment attempt the
gateway knows, as the nightly run and the quiet-attempt job do."""

from __future__ import annotations

from psycopg import AsyncConnection

from gateway.payments import attempt_store
from gateway.provider_setup import Providers
from providers.errors import ProviderError
from providers.model import PaymentStatus
from providers.protocol import PaymentQuery
from reconciliation.engine import QueryStatus


def adapter_status_query(providers: Providers, conn: AsyncConnection) -> QueryStatus:
    async def query_status(provider: str, attempt_ref: str) -> PaymentStatus:
        adapter = providers.adapters.get(provider)
        if adapter is None:
            raise ProviderError(f"no adapter for provider {provider!r}")
        # A provider is asked about an attempt by its reference and creation time (VNPAY
        # needs both); a reference the gateway never issued cannot be asked about.
        attempt = await attempt_store.find_attempt(conn, attempt_ref)
        if attempt is None:
            raise ProviderError(f"the gateway has no payment attempt {attempt_ref!r} to ask {provider} about")
        return await adapter.query_payment(PaymentQuery(attempt_ref=attempt_ref, created_at=attempt.created_at,
                                                        provider_ref=attempt.provider_ref))

    return query_status
