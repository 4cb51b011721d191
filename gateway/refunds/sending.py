"""Asking a provider to refund, or how a refund it was asked for went."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from gateway.payments.model import Attempt
from gateway.refunds.model import Refund, provider_refund_ref
from providers.errors import ProviderRejected, ProviderUnavailable
from providers.protocol import ProviderAdapter, RefundRequest, RefundResult, RefundState

log = logging.getLogger(__name__)


async def ask_provider(adapters: Mapping[str, ProviderAdapter], refund: Refund, attempt: Attempt, *,
                       asked_before: bool) -> RefundResult | None:
    """The provider's answer, or None when it did not give one (asked again later)."""
    adapter = adapters[attempt.provider]
    request = RefundRequest(
        refund_ref=provider_refund_ref(refund.id), attempt_ref=attempt.attempt_ref, provider_ref=attempt.provider_ref or "",
        amount_minor=refund.amount_minor, payment_amount_minor=attempt.amount_minor, currency=refund.currency,
        payment_created_at=attempt.created_at, requested_at=refund.created_at)
    try:
        return await (adapter.query_refund(request) if asked_before else adapter.refund(request))
    except ProviderUnavailable as problem:
        log.warning("%s did not answer about refund %s: %s", attempt.provider, refund.id, problem.reason)
        return None
    except ProviderRejected as refused:
        log.warning("%s refused refund %s: %s %s", attempt.provider, refund.id, refused.code, refused.reason)
        return RefundResult(refund_ref=request.refund_ref, state=RefundState.FAILED, amount_minor=refund.amount_minor,
                            currency=refund.currency, failure_code=refused.code)
