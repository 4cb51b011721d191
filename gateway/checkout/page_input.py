"""What every checkout handler reads from a request: the form's fields, who the client is
(for the look-up limit), the mode, and a refusal from the catalogue in the page's words."""

from __future__ import annotations

from litestar import Request
from litestar.response import Redirect, Template

from catalogue.errors import CatalogueError
from gateway.api.request_id import request_id
from gateway.checkout.ownership import remember_payment
from gateway.payments.model import PaymentIntent
from gateway.web.cookies import web_settings
from gateway.web.form_errors import FieldError
from gateway.web.i18n import Translator
from gateway.web.templating import render

MAX_FIELD_LENGTH = 200


async def form_text(request: Request, name: str) -> str:
    value = (await request.form()).get(name)
    return value[:MAX_FIELD_LENGTH] if isinstance(value, str) else ""


async def form_amount(request: Request, name: str = "expected_minor") -> int:
    """The amount the page showed; -1 (never a price) when missing or tampered with."""
    text = await form_text(request, name)
    return int(text) if text.isdigit() and len(text) <= 15 else -1


def check_lookup_limit(request: Request) -> None:
    """Count one look-up for this client address; TooManyLookups (the 429 page) past the limit."""
    client = request.client.host if request.client else "unknown"
    request.app.state.lookup_limit.check(client)


def livemode(request: Request) -> bool:
    return web_settings(request).mode == "live"


def origin_request_id(request: Request) -> str:
    return request_id(request.scope)


def refusal(t: Translator, field: str, error: CatalogueError, **values: object) -> FieldError:
    """The catalogue's refusal as a message on the page's field ``field``: the most specific
    text we have for (catalogue field, code), else for the code, else a general one."""
    for key in (f"checkout.errors.{error.field}.{error.code}", f"checkout.errors.{error.code}"):
        if t.has(key):
            return FieldError(field, t(key, **values))
    return FieldError(field, t("checkout.errors.unknown"))


def lookup_page(request: Request, journey: str, action: str, field: str, value: str = "",
                errors: list[FieldError] | None = None) -> Template:
    """A journey's one-question look-up form (its texts are ``checkout.<journey>.*``)."""
    return render(request, "checkout/lookup.html", status_code=400 if errors else 200, journey=journey,
                  action=action, field=field, value=value, errors=errors or [])


def to_payment(request: Request, intent: PaymentIntent) -> Redirect:
    """After a payment is created: remember it in this browser and go to choosing how to pay."""
    return Redirect(f"/pay/{intent.id}", status_code=303,
                    cookies=[remember_payment(request, intent.agency_code, intent.id)])
