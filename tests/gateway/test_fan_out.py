"""Writing an event fans it out, in its transaction, to one delivery per endpoint enabled for
it at that moment (a trigger on gateway.events), and wakes the delivery workers at commit."""

from datetime import UTC, datetime

import psycopg

from gateway.events.store import Origin, append_event
from gateway.identifiers import new_id
from gateway.keys.model import Scope
from gateway.webhooks.model import WebhookEndpoint
from gateway.webhooks.store import CHANNEL, insert_endpoint

TEST_BCA = Scope(agency_code="BCA", livemode=False)


async def add_endpoint(conn, *, events: list[str], agency_code: str = "BCA", livemode: bool = False,
                       status: str = "enabled") -> str:
    endpoint = WebhookEndpoint(
        agency_code=agency_code, id=new_id("we"), livemode=livemode, url="https://example.gov.vn/hook",
        enabled_events=events, description=None, metadata={}, status=status, api_version=None,
        secret="whsec_test", created_at=datetime.now(UTC))
    await insert_endpoint(conn, endpoint)
    return endpoint.id


async def deliveries(conn, event_id: str) -> set[str]:
    rows = await (await conn.execute(
        "SELECT endpoint_id FROM gateway.webhook_deliveries WHERE event_id = %s AND status = 'pending'"
        " AND next_attempt_at = created_at", (event_id,))).fetchall()
    return {endpoint_id for (endpoint_id,) in rows}


async def test_one_delivery_per_endpoint_enabled_for_the_event(conn):
    everything = await add_endpoint(conn, events=["*"])
    created = await add_endpoint(conn, events=["payment_intent.canceled", "payment_intent.created"])
    await add_endpoint(conn, events=["payment_intent.canceled"])
    await add_endpoint(conn, events=["*"], status="disabled")
    await add_endpoint(conn, events=["*"], livemode=True)
    await add_endpoint(conn, events=["*"], agency_code="BTC")
    async with conn.transaction():
        event = await append_event(conn, TEST_BCA, "payment_intent.created", {"object": {}}, Origin(),
                                   datetime.now(UTC))
    assert await deliveries(conn, event.id) == {everything, created}


async def test_workers_are_woken_at_commit_only_when_there_is_something_to_deliver(conn, database_url):
    await add_endpoint(conn, events=["payment_intent.canceled"])
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as listener:
        await listener.execute(f"LISTEN {CHANNEL}")
        async with conn.transaction():
            unwanted = await append_event(conn, TEST_BCA, "payment_intent.created", {}, Origin(), datetime.now(UTC))
        async with conn.transaction():
            wanted = await append_event(conn, TEST_BCA, "payment_intent.canceled", {}, Origin(), datetime.now(UTC))
        # Notifications arrive in commit order: a last one of ours marks the end.
        await conn.execute("SELECT pg_notify(%s, 'end')", (CHANNEL,))
        woken = [notify.payload async for notify in listener.notifies(timeout=5, stop_after=2)]
    assert await deliveries(conn, unwanted.id) == set()
    assert len(await deliveries(conn, wanted.id)) == 1
    assert woken == ["", "end"]
