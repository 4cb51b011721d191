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


# Headers every other answer of the pages and the console carries: receipts (PDF), the
# console's CSV and JSON downloads, status polls and redirects hold citizens' and finance
# data, which no shared cache may keep, and no browser may read as another type. A response
# that says how it may be cached keeps its own (the static files: public, for a year).
FILE_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-store"}
NOSNIFF, NO_STORE = ((name.encode(), value.encode()) for name, value in FILE_HEADERS.items())
# Not pages of ours: the API and the providers' messages (for programs, with Stripe's
# headers), the probes, metrics and OpenAPI document. (The sandboxes, other companies'
# sites, are left alone altogether.)
NOT_PAGES = ("/v1/", "/callbacks/", "/schema", "/healthz", "/readyz", "/metrics")


def content_security_policy(form_action_origins: str = "") -> str:
    return f"{BASE_POLICY} {form_action_origins}".strip()


def security_headers_hook(form_action_origins: str = ""):
    # Encoded once: the hook runs on every response and must cost next to nothing.
    ours = [(b"content-security-policy", content_security_policy(form_action_origins).encode()),
            *((name.encode(), value.encode()) for name, value in HEADERS.items())]
    names = {name for name, _ in ours}

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope["path"].startswith("/sandbox/"):
            return
        headers = message.get("headers") or []
        content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
        if content_type.startswith(b"text/html"):
            message["headers"] = [*((n, v) for n, v in headers if n.lower() not in names), *ours]
        elif not scope["path"].startswith(NOT_PAGES):
            message["headers"] = with_file_headers(headers)

    return add_security_headers


def with_file_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    return [*((n, v) for n, v in headers if n.lower() != NOSNIFF[0]), NOSNIFF,
            *([NO_STORE] if NO_STORE[0] not in present else [])]
