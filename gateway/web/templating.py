"""The Jinja2 environment every page uses, and ``render``, which gives each template what
the base layout needs: ``t`` (the texts in the page's language), ``lang``, ``csrf_field``,
``path`` and ``static_url``.

Templates are looked up in these folders, in order; name yours under a folder of your
package's own (``checkout/…``, ``console/…``) so that two packages never shadow each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.datastructures import Cookie
from litestar.response import Template
from litestar.template import TemplateConfig
from markupsafe import Markup

from gateway.web.amount_in_words import amount_in_words
from gateway.web.csrf import CSRF_FIELD, form_token
from gateway.web.formatting import format_date, format_local_datetime, format_vnd
from gateway.web.i18n import LANGUAGE_COOKIE, Translator, all_messages, choose_language

GATEWAY = Path(__file__).parent.parent
TEMPLATE_DIRECTORIES = [GATEWAY / "web" / "templates", GATEWAY / "checkout" / "templates",
                        GATEWAY / "console" / "templates"]
STATIC_DIRECTORY = Path(__file__).parent / "static"
STATIC_PATH = "/static"


@cache
def static_url(name: str) -> str:
    """``/static/site.css?v=<hash>``: served with a year's cache, so a change must change the URL."""
    digest = hashlib.sha256((STATIC_DIRECTORY / name).read_bytes()).hexdigest()[:12]
    return f"{STATIC_PATH}/{name}?v={digest}"


def _configure(engine: JinjaTemplateEngine) -> None:
    environment = engine.engine
    environment.filters.update(vnd=format_vnd, local_datetime=format_local_datetime, local_date=format_date,
                               in_words=amount_in_words)
    environment.globals.update(static_url=static_url)
    environment.trim_blocks = environment.lstrip_blocks = True
    # Templates ship with the code: checking each file's mtime on every render (Jinja's
    # default) costs a stat per template per page, for changes that need a restart anyway.
    environment.auto_reload = False


def web_template_config() -> TemplateConfig:
    return TemplateConfig(directory=TEMPLATE_DIRECTORIES, engine=JinjaTemplateEngine, engine_callback=_configure)


def page_language(request: Request) -> str:
    return choose_language(request.cookies.get(LANGUAGE_COOKIE))


def page_translator(request: Request) -> Translator:
    return all_messages().translator(page_language(request))


def render(
    request: Request,
    template_name: str,
    *,
    status_code: int = 200,
    cookies: Iterable[Cookie] = (),
    headers: Mapping[str, str] | None = None,
    **context: object,
) -> Template:
    lang = page_language(request)
    token, csrf_cookie = form_token(request)
    context = {
        "t": all_messages().translator(lang),
        "lang": lang,
        "path": request.url.path,
        "csrf_field": Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token),
        **context,
    }
    return Template(template_name=template_name, context=context, status_code=status_code,
                    cookies=[*cookies, *([csrf_cookie] if csrf_cookie else [])], headers=dict(headers or {}))
