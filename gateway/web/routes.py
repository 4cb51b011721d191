"""The web's own routes: the stylesheet and the language switch."""

from __future__ import annotations

from litestar import Request, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from gateway.web.cookies import our_cookie
from gateway.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from gateway.web.templating import STATIC_DIRECTORY, STATIC_PATH

YEAR_S = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only a path of this site: never ``//evil.example`` nor ``https://…`` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@get("/language/{code:str}", include_in_schema=False, sync_to_thread=False)
def switch_language(request: Request, code: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:
    """A plain link (no form, no JavaScript): the choice is a preference, not a state change
    worth a CSRF token; an unknown code falls back to Vietnamese."""
    cookies = [our_cookie(request, LANGUAGE_COOKIE, code, max_age_s=YEAR_S)] if code in LANGUAGES else []
    return Redirect(safe_next(next), status_code=303, cookies=cookies)


WEB_HANDLERS = [
    switch_language,
    create_static_files_router(path=STATIC_PATH, directories=[STATIC_DIRECTORY], include_in_schema=False,
                               cache_control=CacheControlHeader(max_age=YEAR_S, public=True)),
]
