"""How every cookie of ours is set: HttpOnly, SameSite=Lax, path /, and Secure whenever the
page was served over https (always in live mode).

Lax rather than Strict: a citizen coming back from a provider's payment page is a
cross-site top-level navigation, and must still be recognised as the browser that started
the payment. Lax still withholds the cookies from cross-site POSTs.
"""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import Cookie

from gateway.settings import Settings


def web_settings(request: Request) -> Settings:
    return request.app.state.settings


def livemode(request: Request) -> bool:
    """The mode of what citizens do without a key (pages, dossiers): the gateway's own."""
    return web_settings(request).mode == "live"


def our_cookie(request: Request, key: str, value: str, *, max_age_s: int | None = None) -> Cookie:
    secure = request.url.scheme == "https" or web_settings(request).mode == "live"
    return Cookie(key=key, value=value, path="/", max_age=max_age_s, httponly=True, secure=secure, samesite="lax")
