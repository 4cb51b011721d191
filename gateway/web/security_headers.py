"""Headers every HTML page of ours carries, added in one ``before_send`` hook so that error
pages and the console get them too.

The Content-Security-Policy allows scripts and styles only from our own files (no inline
code, no other origin): the pages work without any script, the few that follow a status
load one small file of ours, and an injected ``<script>`` or ``style`` attribute is inert. ``form-action 'self'``: forms post to us only; a redirect to a provider after
a POST is same-origin in sandbox mode, and in live mode the providers' origins are added
(``PUBLICPAY_WEB_FORM_ACTION_ORIGINS``). The providers' sandbox pages under /sandbox/ stand
for other companies' sites and are left as they are.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

BASE_POLICY = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:;"
               " base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    # Pages show a citizen's fines, bills and receipts: no shared cache may keep them.
    "cache-control": "no-store",
}


def content_security_policy(form_action_origins: str = "") -> str:
    return f"{BASE_POLICY} {form_action_origins}".strip()


def security_headers_hook(form_action_origins: str = ""):
    policy = content_security_policy(form_action_origins)

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope["path"].startswith("/sandbox/"):
            return
        headers = MutableScopeHeaders.from_message(message)
        if not (headers.get("content-type") or "").startswith("text/html"):
            return
        headers["content-security-policy"] = policy
        for name, value in HEADERS.items():
            headers[name] = value

    return add_security_headers
