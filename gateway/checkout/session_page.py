"""The hosted page of a Checkout Session (its ``url``): the agency, the line items and the
total, then on to the payment pages every other journey uses, for the session's intent.

The session's id is its address, as Stripe's are: whoever has the link may pay it, and
sees only what the agency put in the session (its agency, line items and total), never
who pays or the agency's own references. Continuing to pay remembers the session's intent
in this browser (``ownership``), after which the payment's pages answer to it alone."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from psycopg import AsyncConnection

from gateway.api.dependencies import Connection
from gateway.checkout import catalogue_names
from gateway.checkout.ownership import remember_payment
from gateway.sessions import store
from gateway.sessions.model import CheckoutSession, Status
from gateway.sessions.operations import PAGE_PATH
from gateway.sessions.transitions import is_payable, success_destination
from gateway.web.cookies import livemode
from gateway.web.templating import render


async def _session(request: Request, conn: AsyncConnection, session_id: str) -> CheckoutSession:
    session = await store.find_session(conn, session_id, livemode=livemode(request))
    if session is None:
        raise NotFoundException()
    return session


def _state(session: CheckoutSession) -> str:
    """What the page says: payable, paid, or no longer payable (expired, or past its time
    before the expiry job has been round)."""
    if session.status == Status.COMPLETE:
        return "complete"
    return "open" if is_payable(session, datetime.now(UTC)) else "expired"


async def _page(request: Request, conn: AsyncConnection, session: CheckoutSession, *,
                continue_to_agency: bool = False) -> Template:
    agency = await catalogue_names.agency_or_none(conn, session.agency_code)
    return render(request, "checkout/session.html", session=session, agency=agency, state=_state(session),
                  success_url=success_destination(session), continue_to_agency=continue_to_agency)


@get(PAGE_PATH + "{session_id:str}")
async def session_page(request: Request, conn: Connection, session_id: FromPath[str]) -> Template:
    return await _page(request, conn, await _session(request, conn, session_id))


@post(PAGE_PATH + "{session_id:str}")
async def pay_session(request: Request, conn: Connection, session_id: FromPath[str]) -> Template | Redirect:
    """On to choosing how to pay the session's intent; a session no longer payable shows its page again."""
    session = await _session(request, conn, session_id)
    if _state(session) != "open":
        return await _page(request, conn, session)
    return Redirect(f"/pay/{session.payment_intent_id}", status_code=303,
                    cookies=[remember_payment(request, session.agency_code, session.payment_intent_id)])


@get(PAGE_PATH + "{session_id:str}/paid")
async def session_paid(request: Request, conn: Connection, session_id: FromPath[str]) -> Template | Redirect:
    """Where a session's payment ends: on to the agency's success_url, as Stripe sends the
    payer there once the payment is verified (by our script, see continue-to.js, or the
    page's link)."""
    session = await _session(request, conn, session_id)
    if session.status != Status.COMPLETE:
        return Redirect(PAGE_PATH + session_id, status_code=303)
    return await _page(request, conn, session, continue_to_agency=True)


async def paid_session_redirect(conn: AsyncConnection, agency_code: str, intent_id: str) -> Redirect | None:
    """For a paid intent that a Checkout Session owns: its page that continues to the agency."""
    session = await store.session_of_intent(conn, agency_code, intent_id)
    if session is None or session.status != Status.COMPLETE:
        return None
    return Redirect(f"{PAGE_PATH}{session.id}/paid", status_code=303)


HANDLERS = [session_page, pay_session, session_paid]
