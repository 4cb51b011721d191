"""Idempotency-Key with Stripe's semantics, through the real server."""

import asyncio
import uuid

import httpx
import psycopg
import pytest


def key() -> str:
    return uuid.uuid4().hex


def count_intents(database_url: str, agency: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM gateway.payment_intents WHERE agency_code = %s",
                            (agency,)).fetchone()[0]


def test_the_first_response_is_replayed(http, api_database_url, agency):
    headers = {"Idempotency-Key": key()}
    first = http.post("/v1/payment_intents", data={"amount": "1000", "currency": "vnd"}, headers=headers)
    again = http.post("/v1/payment_intents", data={"currency": "vnd", "amount": "1000"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    assert count_intents(api_database_url, agency) == 1


def test_other_parameters_or_endpoint_with_the_same_key_are_refused(http):
    headers = {"Idempotency-Key": key()}
    intent = http.post("/v1/payment_intents", data={"amount": "1000", "currency": "vnd"}, headers=headers).json()
    changed = http.post("/v1/payment_intents", data={"amount": "2000", "currency": "vnd"}, headers=headers)
    assert changed.status_code == 400 and changed.json()["error"]["type"] == "idempotency_error"
    elsewhere = http.post(f"/v1/payment_intents/{intent['id']}/cancel", headers=headers)
    assert elsewhere.status_code == 400 and elsewhere.json()["error"]["type"] == "idempotency_error"


def test_refusals_after_the_request_started_are_replayed_too(http):
    intent = http.post("/v1/payment_intents", data={"amount": "1000", "currency": "vnd"}).json()
    http.post(f"/v1/payment_intents/{intent['id']}/cancel")
    headers = {"Idempotency-Key": key()}
    first = http.post(f"/v1/payment_intents/{intent['id']}/cancel", headers=headers)
    again = http.post(f"/v1/payment_intents/{intent['id']}/cancel", headers=headers)
    assert first.status_code == again.status_code == 400
    assert first.json()["error"]["code"] == "payment_intent_unexpected_state"
    assert again.content == first.content and again.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.parametrize("refused", [
    {"amount": "1000", "currency": "xyz"},  # refused by the database's list of currencies
    {"amount": "1000", "currency": "vnd", "service": "BCA-KHONG-CO"},  # refused by pricing
])
def test_a_create_refused_after_validation_stores_its_refusal(http, api_database_url, agency, refused):
    headers = {"Idempotency-Key": key()}
    first = http.post("/v1/payment_intents", data=refused, headers=headers)
    again = http.post("/v1/payment_intents", data=refused, headers=headers)
    assert first.status_code == again.status_code == 400
    assert first.json()["error"]["type"] == "invalid_request_error"
    assert again.content == first.content and again.headers.get("Idempotent-Replayed") == "true"
    assert count_intents(api_database_url, agency) == 0


def test_nothing_is_stored_for_a_request_that_failed_validation(http, api_database_url, agency):
    headers = {"Idempotency-Key": key()}
    invalid = http.post("/v1/payment_intents", data={"amount": "lots", "currency": "vnd"}, headers=headers)
    assert invalid.status_code == 400
    valid = http.post("/v1/payment_intents", data={"amount": "1000", "currency": "vnd"}, headers=headers)
    assert valid.status_code == 200 and "Idempotent-Replayed" not in valid.headers
    assert count_intents(api_database_url, agency) == 1


def test_keys_are_scoped_per_api_key(http, api_url, new_secret, agency):
    headers = {"Idempotency-Key": key()}
    mine = http.post("/v1/payment_intents", data={"amount": "1000", "currency": "vnd"}, headers=headers).json()
    other = httpx.post(f"{api_url}/v1/payment_intents", data={"amount": "1000", "currency": "vnd"},
                       headers=headers, auth=(new_secret(agency), ""))
    assert other.status_code == 200 and other.json()["id"] != mine["id"]


async def test_a_request_still_in_flight_makes_the_same_key_conflict(api_url, secret, api_database_url, agency):
    async with httpx.AsyncClient(base_url=api_url, auth=(secret, ""), timeout=10) as http:
        intent = (await http.post("/v1/payment_intents", data={"amount": "1000", "currency": "vnd"})).json()
        headers = {"Idempotency-Key": key()}
        update = {"description": "Lệ phí trước bạ"}
        # Hold the intent's row, so that an update with the key waits inside its transaction.
        async with await psycopg.AsyncConnection.connect(api_database_url) as blocker:
            await blocker.execute("SELECT 1 FROM gateway.payment_intents WHERE id = %s FOR UPDATE", (intent["id"],))
            first = asyncio.create_task(http.post(f"/v1/payment_intents/{intent['id']}", data=update, headers=headers))
            await wait_for_lock_wait(api_database_url)
            conflict = await http.post(f"/v1/payment_intents/{intent['id']}", data=update, headers=headers)
            assert conflict.status_code == 409
            assert conflict.json()["error"] == {"type": "idempotency_error", "code": "idempotency_key_in_use",
                                                "message": conflict.json()["error"]["message"]}
            await blocker.rollback()
        assert (await first).status_code == 200
        replay = await http.post(f"/v1/payment_intents/{intent['id']}", data=update, headers=headers)
        assert replay.content == (await first).content


async def wait_for_lock_wait(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for _ in range(100):
            waiting = await (await conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )).fetchone()
            if waiting[0]:
                return
            await asyncio.sleep(0.05)
    pytest.fail("the first request never waited for the row lock")


async def test_concurrent_requests_with_one_key_create_one_intent(api_url, secret, api_database_url, agency):
    headers = {"Idempotency-Key": key()}
    async with httpx.AsyncClient(base_url=api_url, auth=(secret, ""), timeout=10) as http:
        responses = await asyncio.gather(*(
            http.post("/v1/payment_intents", data={"amount": "1000", "currency": "vnd"}, headers=headers)
            for _ in range(12)))
    assert {r.status_code for r in responses} <= {200, 409}
    assert len({r.json()["id"] for r in responses if r.status_code == 200}) == 1
    assert count_intents(api_database_url, agency) == 1


def test_a_key_expires_after_24_hours(http, api_database_url):
    headers = {"Idempotency-Key": key()}
    first = http.post("/v1/payment_intents", data={"amount": "1000", "currency": "vnd"}, headers=headers).json()
    with psycopg.connect(api_database_url, autocommit=True) as conn:
        conn.execute("UPDATE gateway.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = %s",
                     (headers["Idempotency-Key"],))
    fresh = http.post("/v1/payment_intents", data={"amount": "2000", "currency": "vnd"}, headers=headers)
    assert fresh.status_code == 200 and fresh.json()["id"] != first["id"] and "Idempotent-Replayed" not in fresh.headers
