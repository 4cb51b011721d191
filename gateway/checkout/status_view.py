"""What the status page says about a payment, from the PaymentIntent alone: it says
"paid" only when the intent has ``succeeded``, which the gateway sets after verifying the
provider's signed confirmation (or its answer to a status query) — never on the word of
the payer's browser coming back from the provider."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlencode

import segno

from gateway.payments.model import PaymentIntent, Status

KINDS = ("succeeded", "transfer", "at_provider", "processing", "failed", "canceled", "not_started")
REFRESH_S = 3  # how often a waiting page asks whether anything changed (follow-status.js)


class StatusView(NamedTuple):
    kind: str  # one of KINDS; transfer: a VietQR code to pay; at_provider: gone to the provider's page
    refresh_s: int | None = None
    continue_url: str | None = None  # the provider's page, to go back to
    qr_data_uri: str | None = None  # the VietQR code as an image
    transfer_reference: str | None = None  # what to type as the transfer's content
    failure_code: str | None = None
    sandbox_bank_url: str | None = None  # sandbox mode: the simulated bank app that pays the code


@lru_cache(maxsize=512)
def qr_image(payload: str) -> str:
    """The code as an SVG data URI. Drawing one takes milliseconds (segno tries every mask),
    and a waiting citizen's page shows the same one again and again."""
    return segno.make_qr(payload, error="m").svg_data_uri(scale=5)


def view_status(intent: PaymentIntent, *, sandbox: bool) -> StatusView:
    action = intent.next_action or {}
    match intent.status:
        case Status.SUCCEEDED:
            return StatusView("succeeded")
        case Status.CANCELED:
            return StatusView("canceled")
        case Status.REQUIRES_ACTION if action.get("type") == "vietqr_display_qr_code":
            qr = action["vietqr_display_qr_code"]
            return StatusView("transfer", refresh_s=REFRESH_S * 2, transfer_reference=qr["reference"],
                              qr_data_uri=qr_image(qr["data"]),
                              sandbox_bank_url=f"/sandbox/vietqr/transfer?{urlencode({'payload': qr['data']})}"
                              if sandbox else None)
        case Status.REQUIRES_ACTION if action.get("type") == "redirect_to_url":
            return StatusView("at_provider", refresh_s=REFRESH_S, continue_url=action["redirect_to_url"]["url"])
        case Status.REQUIRES_PAYMENT_METHOD | Status.REQUIRES_CONFIRMATION if intent.last_payment_error:
            return StatusView("failed", failure_code=intent.last_payment_error.get("code"))
        case Status.REQUIRES_PAYMENT_METHOD | Status.REQUIRES_CONFIRMATION:
            return StatusView("not_started")
    return StatusView("processing", refresh_s=REFRESH_S)
