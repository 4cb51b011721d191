"""Which payments this browser started: a signed cookie listing them (agency and id).

A payment's pages (choose how to pay, status, receipt) answer only to the browser that
started it, so that a payment id seen over someone's shoulder or in a shared link shows
nothing. The cookie holds no personal data, only ids, and is signed so it cannot be
extended to someone else's payment.
"""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import Cookie

from gateway.keys.model import Scope
from gateway.web.cookies import our_cookie, web_settings
from gateway.web.signed_values import seal, unseal
from gateway.web.signing_key import request_signing_key

COOKIE = "payments"
PURPOSE = "payments"
KEEP = 8  # the most recent payments a browser can come back to
MAX_AGE_S = 30 * 24 * 3600


def owned_payments(request: Request) -> list[tuple[str, str]]:
    """(agency_code, intent_id) pairs, newest first."""
    pairs = unseal(request_signing_key(request), PURPOSE, request.cookies.get(COOKIE), list[tuple[str, str]])
    return pairs or []


def owned_scope(request: Request, intent_id: str) -> Scope | None:
    livemode = web_settings(request).mode == "live"
    for agency_code, owned_id in owned_payments(request):
        if owned_id == intent_id:
            return Scope(agency_code=agency_code, livemode=livemode)
    return None


def remember_payment(request: Request, agency_code: str, intent_id: str) -> Cookie:
    pairs = [(agency_code, intent_id), *[pair for pair in owned_payments(request) if pair[1] != intent_id]][:KEEP]
    return our_cookie(request, COOKIE, seal(request_signing_key(request), PURPOSE, pairs), max_age_s=MAX_AGE_S)
