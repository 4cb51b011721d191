"""What the day needs before the first citizen comes: the agencies' test keys, their webhook
endpoints at the demo's receiver, and a finance officer's console account."""

from __future__ import annotations

import stripe
from psycopg import AsyncConnection

from gateway.commands.common import cli_actor
from gateway.commands.keys import create_audited_key
from gateway.console import staff_store
from gateway.console.errors import StaffNotFound
from gateway.console.roles import Role
from gateway.keys.model import Mode

OFFICER_EMAIL = "demo.officer@example.gov.vn"
ENDPOINT_DESCRIPTION = "publicpay demo"


async def agency_secrets(conn: AsyncConnection, agencies: tuple[str, ...]) -> dict[str, str]:
    """A new test-mode key per agency, as `publicpay keys create --agency A` makes."""
    return {agency: (await create_audited_key(conn, agency, Mode.TEST, actor=cli_actor(), reason="publicpay demo"))[1]
            for agency in agencies}


async def officer_account(conn: AsyncConnection) -> tuple[str, str]:
    """The demo officer's e-mail and a fresh password: the account is created the first time,
    and its password reset on later runs (only its hash is kept, so it cannot be shown again)."""
    try:
        found = await staff_store.find_staff_by_email(conn, OFFICER_EMAIL)
    except StaffNotFound:
        _, password = await staff_store.create_staff(conn, OFFICER_EMAIL, Role.OFFICER, actor=cli_actor(),
                                                     reason="publicpay demo")
        return OFFICER_EMAIL, password
    _, password = await staff_store.reset_password(conn, found.id, actor=cli_actor(), reason="publicpay demo run")
    return OFFICER_EMAIL, password


def replace_webhook_endpoint(client: stripe.StripeClient, url: str) -> tuple[str, str]:
    """The agency's endpoint at the demo's receiver, after deleting any an earlier run left
    (its receiver is gone: deliveries to it would only fail and be retried for days).
    Returns the endpoint's id and signing secret."""
    for endpoint in client.v1.webhook_endpoints.list(params={"limit": 100}).auto_paging_iter():
        if endpoint.description == ENDPOINT_DESCRIPTION:
            client.v1.webhook_endpoints.delete(endpoint.id)
    created = client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["*"],
                                                         "description": ENDPOINT_DESCRIPTION})
    return created.id, created.secret


def disable_webhook_endpoint(client: stripe.StripeClient, endpoint_id: str) -> None:
    """Kept, with its deliveries, for the console and the next run to see; sent nothing more."""
    client.v1.webhook_endpoints.update(endpoint_id, params={"disabled": True})
