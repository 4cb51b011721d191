"""What every checkout handler reads from a request: the form's fields, who the client is
(for the look-up limit), the mode, and a refusal from the catalogue in the page's words; and
the one-question look-up form the fine, bill and insurance journeys start with."""

from __future__ import annotations

import msgspec
from litestar import Request
from litestar.response import Redirect, Template
from psycopg import AsyncConnection

from catalogue.errors import CatalogueError
from gateway.api.request_id import request_id
from gateway.checkout.ownership import remember_payment
from gateway.checkout.payment_start import start_payment
from gateway.payments.model import PaymentIntent
from gateway.web.cookies import livemode
from gateway.web.form_errors import FieldError
from gateway.web.i18n import Translator
from gateway.web.templating import page_translator, render

MAX_FIELD_LENGTH = 200


async def form_text(request: Request, name: str) -> str:
    value = (await request.form()).get(name)
    return value[:MAX_FIELD_LENGTH] if isinstance(value, str) else ""


async def form_amount(request: Request, name: str = "expected_minor") -> int:
    """The amount the page showed; -1 (never a price) when missing or tampered with."""
    text = await form_text(request, name)
    return int(text) if text.isdigit() and len(text) <= 15 else -1


def check_lookup_limit(request: Request) -> None:
    """Count one look-up for this client address; RateLimited (the 429 page) past the limit."""
    client = request.client.host if request.client else "unknown"
    request.app.state.lookup_limit.check(client)


def origin_request_id(request: Request) -> str:
    return request_id(request.scope)


def refusal(t: Translator, field: str, error: CatalogueError, **values: object) -> FieldError:
    """The catalogue's refusal as a message on the page's field ``field``: the most specific
    text we have for (catalogue field, code), else for the code, else a general one."""
    for key in (f"checkout.errors.{error.field}.{error.code}", f"checkout.errors.{error.code}"):
        if t.has(key):
            return FieldError(field, t(key, **values))
    return FieldError(field, t("checkout.errors.unknown"))


class LookupForm(msgspec.Struct, frozen=True):
    """A journey's one-question look-up form (its texts are ``checkout.<journey>.*``), posted
    to ``action`` with its answer in ``field``."""

    journey: str
    action: str
    field: str

    def page(self, request: Request, value: str = "", errors: list[FieldError] | None = None) -> Template:
        return render(request, "checkout/lookup.html", status_code=400 if errors else 200, journey=self.journey,
                      action=self.action, field=self.field, value=value, errors=errors or [])

    def refused(self, request: Request, value: str, error: CatalogueError) -> Template:
        """The form again, with the catalogue's refusal of ``value`` on its field."""
        return self.page(request, value, [refusal(page_translator(request), self.field, error)])

    async def pay(self, request: Request, conn: AsyncConnection, service_code: str, inputs: dict[str, str], *,
                  value: str, reference: str | None) -> Redirect | Template:
        """Start paying ``service_code`` for ``inputs`` at the amount the page showed; a
        refusal (the amount changed since, the bill was paid) shows this form again."""
        check_lookup_limit(request)
        try:
            intent = await start_payment(conn, service_code, inputs, expected_minor=await form_amount(request),
                                         livemode=livemode(request), reference=reference,
                                         request_id=origin_request_id(request))
        except CatalogueError as error:
            return self.refused(request, value, error)
        return to_payment(request, intent)


def to_payment(request: Request, intent: PaymentIntent) -> Redirect:
    """After a payment is created: remember it in this browser and go to choosing how to pay."""
    return Redirect(f"/pay/{intent.id}", status_code=303,
                    cookies=[remember_payment(request, intent.agency_code, intent.id)])
