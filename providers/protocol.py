"""The one interface every provider adapter implements, and the values it speaks.

The gateway builds a request Struct, calls the adapter, and persists what comes back;
adapters keep no state between calls. Calls that go over the network are ``async`` and
raise :class:`providers.errors.ProviderUnavailable` when the outcome is unknown; parsing
callbacks and settlement files is pure.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Protocol, runtime_checkable

import msgspec

from providers.model import PaymentState, PaymentStatus, SettlementLine

PositiveMinor = Annotated[int, msgspec.Meta(gt=0)]


def _require_money(amount_minor: int) -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValueError(f"amounts are positive integers of minor units, not {amount_minor!r}")


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"{moment} has no time zone: providers need the instant")


class StartPayment(msgspec.Struct, frozen=True, kw_only=True):
    """Our payment attempt, as the provider needs it to take the money."""

    attempt_ref: str  # our id for this attempt; the provider echoes it back in every message
    amount_minor: PositiveMinor
    currency: str
    description: str  # ASCII, no diacritics: several providers sign it raw
    return_url: str  # where the payer's browser comes back to
    notify_url: str  # our callback endpoint, for providers that take it per request (MoMo)
    client_ip: str = "127.0.0.1"
    created_at: datetime  # aware; VNPAY needs it again to query the payment
    payment_method: str | None = None  # card only: a PaymentMethod id such as pm_card_visa

    def __post_init__(self) -> None:
        # Constructing a Struct does not check Meta constraints (decoding does): check here.
        _require_money(self.amount_minor)
        _require_aware(self.created_at)


class Redirect(msgspec.Struct, frozen=True, kw_only=True, tag="redirect"):
    """Send the payer's browser to the provider's page."""

    url: str


class QrCode(msgspec.Struct, frozen=True, kw_only=True, tag="qr_code"):
    """Show a QR for the payer's app; ``payload`` is what the QR encodes."""

    payload: str
    svg: str
    url: str | None = None  # a web page that does the same (MoMo's payUrl)
    deeplink: str | None = None  # opens the payer's app directly, on a phone


class CardResult(msgspec.Struct, frozen=True, kw_only=True, tag="card"):
    """The acquirer's synchronous answer to a card payment."""

    provider_ref: str
    state: PaymentState
    amount_minor: int | None = None  # what the acquirer took (Stripe's amount_received); None on a decline
    currency: str | None = None
    failure_code: str | None = None  # Stripe's error code, e.g. card_declined
    decline_code: str | None = None  # Stripe's decline_code, e.g. insufficient_funds


StartResult = Redirect | QrCode | CardResult


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A callback or return-URL hit exactly as it arrived: nothing in it is trusted."""

    query: Mapping[str, str] = {}
    headers: Mapping[str, str] = {}  # names in lowercase
    body: bytes = b""


class CallbackEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A verified provider message about one attempt. The gateway still compares amount
    and currency with the attempt's, and applies each ``event_key`` once."""

    provider: str
    event_key: str  # the same for every copy of one provider event, different across events
    attempt_ref: str | None  # None when the provider message names no reference we issued
    provider_ref: str
    amount_minor: int
    currency: str
    outcome: PaymentState
    occurred_at: datetime | None = None
    failure_code: str | None = None
    reference_candidates: tuple[str, ...] = ()  # VietQR: every reference found in the description
    raw: dict[str, str] = {}


class CallbackAnswer(enum.StrEnum):
    """What the gateway decided about a callback; each provider spells it its own way."""

    ACCEPTED = "accepted"
    ALREADY_CONFIRMED = "already_confirmed"
    ORDER_NOT_FOUND = "order_not_found"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_SIGNATURE = "invalid_signature"
    UNKNOWN_ERROR = "unknown_error"


class CallbackReply(msgspec.Struct, frozen=True, kw_only=True):
    """The HTTP answer the provider expects for a :class:`CallbackAnswer`."""

    status_code: int
    body: bytes = b""
    media_type: str = "application/json"


class PaymentQuery(msgspec.Struct, frozen=True, kw_only=True):
    attempt_ref: str
    created_at: datetime  # the attempt's: VNPAY's vnp_TransactionDate
    provider_ref: str | None = None  # when known; the card adapter otherwise searches by attempt_ref

    def __post_init__(self) -> None:
        _require_aware(self.created_at)


class RefundRequest(msgspec.Struct, frozen=True, kw_only=True):
    refund_ref: str  # our id for the refund; providers that take one use it for idempotency
    attempt_ref: str
    provider_ref: str  # the provider's id of the payment being refunded
    amount_minor: PositiveMinor
    payment_amount_minor: PositiveMinor  # equal to amount_minor: a full refund
    currency: str
    payment_created_at: datetime  # the attempt's created_at: VNPAY names the payment by it
    requested_at: datetime
    reason: str = "Hoan tien"
    requested_by: str = "publicpay"

    def __post_init__(self) -> None:
        _require_money(self.amount_minor)
        _require_money(self.payment_amount_minor)
        if self.amount_minor > self.payment_amount_minor:
            raise ValueError(f"refund of {self.amount_minor} exceeds the payment's {self.payment_amount_minor}")
        _require_aware(self.payment_created_at)
        _require_aware(self.requested_at)

    @property
    def is_full(self) -> bool:
        return self.amount_minor == self.payment_amount_minor


class RefundState(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundResult(msgspec.Struct, frozen=True, kw_only=True):
    refund_ref: str
    state: RefundState
    amount_minor: int
    currency: str
    provider_ref: str | None = None
    failure_code: str | None = None


@runtime_checkable
class ProviderAdapter(Protocol):
    """One bank or intermediary. ``code`` names it in accounts (``provider:<code>:clearing``)."""

    code: str

    async def start_payment(self, request: StartPayment) -> StartResult: ...

    def parse_callback(self, message: InboundMessage) -> CallbackEvent:
        """Verify (signature first, in constant time) and parse; raise SignatureInvalid,
        UnknownMerchant or MalformedMessage with a reason."""
        ...

    def callback_reply(self, answer: CallbackAnswer) -> CallbackReply: ...

    async def query_payment(self, query: PaymentQuery) -> PaymentStatus: ...

    async def refund(self, request: RefundRequest) -> RefundResult: ...

    async def query_refund(self, request: RefundRequest) -> RefundResult: ...

    async def fetch_settlement(self, day: date) -> bytes:
        """The provider's settlement file for the business day, in its own format (what
        ``parse_settlement`` reads); ProviderRejected when it has none for the day yet."""
        ...

    def parse_settlement(self, content: bytes) -> list[SettlementLine]: ...
