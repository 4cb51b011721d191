"""What the gateway refuses. ``code`` and ``param`` are Stripe's, so the API can pass them on;
which HTTP status and error type each class becomes is decided in one table, in
gateway/api/errors.py."""

from __future__ import annotations


class GatewayError(Exception):
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code


class AuthenticationFailed(GatewayError):
    """No API key, a malformed one, or one that is unknown or revoked."""


class InvalidParameter(GatewayError):
    code = "parameter_invalid"


class ResourceMissing(GatewayError):
    code = "resource_missing"


class UnexpectedState(GatewayError):
    """The object's status does not allow the operation (cancelling a succeeded payment)."""


class IdempotencyMismatch(GatewayError):
    """An Idempotency-Key reused with other parameters or on another endpoint."""


class IdempotencyInFlight(GatewayError):
    """Another request with this Idempotency-Key is still running."""

    code = "idempotency_key_in_use"


class RateLimitExceeded(GatewayError):
    """The API key made more requests than its limit allows; retry later, as Stripe says."""

    code = "rate_limit"


class CardError(GatewayError):
    """The provider refused the payment (Stripe's ``card_error``, HTTP 402). Raised after the
    refusal was recorded on the PaymentIntent, whose API view rides along as Stripe's does."""

    def __init__(self, message: str, *, code: str, decline_code: str | None = None,
                 payment_intent: dict | None = None) -> None:
        super().__init__(message, code=code)
        self.decline_code = decline_code
        self.payment_intent = payment_intent


class ProviderUnavailableError(GatewayError):
    """The provider did not answer; the attempt's outcome is unknown until it is queried."""

    code = "provider_unavailable"
