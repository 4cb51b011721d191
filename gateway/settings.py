"""Settings: one Struct, read once from ``PUBLICPAY_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

PREFIX = "PUBLICPAY_"


class SettingsError(ValueError):
    """A ``PUBLICPAY_*`` variable has a value we cannot use; the message names it."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # Unset means: start an embedded PostgreSQL under ``home``.
    database_url: str | None = None
    home: str = ".publicpay"
    mode: Literal["sandbox", "live"] = "sandbox"
    pool_min_size: Annotated[int, Meta(ge=1, le=500)] = 2
    pool_max_size: Annotated[int, Meta(ge=1, le=500)] = 20
    # How long a request waits for a database connection before it is answered 503 (retry):
    # while the database is down or restarting, requests fail fast instead of piling up.
    pool_timeout_ms: Annotated[int, Meta(ge=100, le=120_000)] = 5_000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Server logs: one JSON object per line (for the log pipeline), or plain text.
    log_format: Literal["json", "text"] = "json"
    # With a token set, /metrics answers only ``Authorization: Bearer <token>``.
    metrics_token: str | None = None
    # Webhook delivery: how long to wait for an endpoint, the first retry's delay (doubling
    # after each failure, up to an hour, for three days), and how often to look for work
    # when no notification arrives.
    webhook_timeout_ms: Annotated[int, Meta(ge=100, le=60_000)] = 10_000
    webhook_retry_base_ms: Annotated[int, Meta(ge=10, le=3_600_000)] = 30_000
    webhook_poll_ms: Annotated[int, Meta(ge=10, le=60_000)] = 1_000
    # The longest `serve` takes to stop after SIGTERM (gateway/commands/serve.py): requests
    # in flight have four fifths of it to finish, the background jobs the rest.
    shutdown_timeout_ms: Annotated[int, Meta(ge=1_000, le=3_600_000)] = 25_000
    # How often each server process voids pending ledger transfers past their timeout.
    ledger_expiry_poll_ms: Annotated[int, Meta(ge=10, le=3_600_000)] = 5_000
    # How long a server process trusts an API key it found active without looking again: a
    # revoked key stops working within this time. 0 looks the key up on every request.
    api_key_cache_ttl_ms: Annotated[int, Meta(ge=0, le=60_000)] = 5_000
    # Requests one API key may make per second to each server process (Stripe allows 100
    # in live mode); past it the API answers 429 with Stripe's ``rate_limit`` error.
    api_rate_limit_per_second: Annotated[int, Meta(ge=1, le=1_000_000)] = 100
    # Where citizens' browsers and providers reach us (return and callback URLs are built
    # on it); `publicpay serve` sets it from --host and --port when it is not given.
    public_url: Annotated[str, Meta(pattern="^https?://[^/]+$")] = "http://127.0.0.1:8000"
    # Provider credentials and endpoints: a JSON file {"vnpay": {...}, "momo": {...}, ...}
    # with the fields of each provider's config (providers/<code>/config.py). In sandbox
    # mode the sandboxes' endpoints under public_url/sandbox/<code> are the defaults.
    providers_file: str | None = None
    # The sandboxes' own server, which `publicpay serve` starts (internal): every payment's in
    # sandbox mode, test-mode payments' in live mode.
    sandbox_url: str | None = None
    # An attempt no provider has called back about after this long is queried; every
    # process looks for such attempts, and for refunds to send or follow, this often.
    attempt_query_after_ms: Annotated[int, Meta(ge=100, le=86_400_000)] = 15 * 60 * 1000
    status_poll_ms: Annotated[int, Meta(ge=10, le=3_600_000)] = 10_000
    # The sandboxes' delays (a late callback, retries after a failed one, a hung request)
    # are real ones times this: tests and demos shrink them.
    sandbox_time_scale: Annotated[float, Meta(gt=0, le=1)] = 1.0

    # The hosted pages (gateway/web): the key that signs CSRF tokens, the browser's list of
    # its payments and receipts' verification codes (unset: a random key kept in
    # $PUBLICPAY_HOME/web_secret, shared by the processes of one machine); how many
    # look-ups by plate, decision, customer or social-insurance number one client address
    # may make per minute and process; the providers' origins (space-separated) that a
    # form's redirect may reach in live mode, added to the CSP's form-action.
    web_secret: str | None = None
    lookup_limit_per_minute: Annotated[int, Meta(ge=1, le=10_000)] = 10
    web_form_action_origins: Annotated[str, Meta(pattern=r"^[a-z0-9 :/.\-]*$")] = ""

    # Nightly reconciliation (gateway/nightly.py): the time it runs in Asia/Ho_Chi_Minh
    # (HH:MM, or "off"), the providers it reconciles (space-separated codes), the settlement
    # bank whose account they pay into (bank:<code>:settlement), the inbox of settlement
    # files and bank statements (unset: $PUBLICPAY_HOME/reconciliation/inbox).
    reconciliation_at: Annotated[str, Meta(pattern=r"^(off|([01][0-9]|2[0-3]):[0-5][0-9])$")] = "01:30"
    reconciliation_providers: Annotated[str, Meta(pattern=r"^[a-z0-9 ]*$")] = "vnpay momo vietqr card"
    reconciliation_bank: Annotated[str, Meta(pattern=r"^[a-z0-9_-]{1,40}$")] = "main"
    reconciliation_inbox: str | None = None

    @property
    def home_path(self) -> Path:
        return Path(self.home)

    @property
    def reconciliation_provider_codes(self) -> list[str]:
        return self.reconciliation_providers.split()

    @property
    def reconciliation_hour_minute(self) -> tuple[int, int]:
        hour, minute = self.reconciliation_at.split(":")
        return int(hour), int(minute)

    def __post_init__(self) -> None:
        if self.pool_min_size > self.pool_max_size:
            raise msgspec.ValidationError(
                "pool_min_size must not exceed pool_max_size - at `$.pool_min_size`"
            )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; unknown ``PUBLICPAY_*`` names are errors."""
    environ = os.environ if environ is None else environ
    raw = {
        name[len(PREFIX):].lower(): value
        for name, value in environ.items()
        if name.startswith(PREFIX) and value != ""
    }
    try:
        # strict=False lets msgspec turn "20" into 20, as environment values are strings.
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_the_variable(str(exc), raw)) from None


def _name_the_variable(message: str, raw: dict[str, str]) -> str:
    # msgspec says "... - at `$.pool_max_size`"; operators know the variable, not the path.
    text, _, path = message.partition(" - at `$.")
    if path:
        field = path.rstrip("`")
        value = f" (got {raw[field]!r})" if field in raw else ""
        return f"{PREFIX}{field.upper()}: {text}{value}"
    if text.startswith("Object contains unknown field `"):
        field = text.split("`")[1]
        return f"{PREFIX}{field.upper()} is not a known setting"
    return text
