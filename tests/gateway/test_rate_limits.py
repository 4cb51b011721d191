"""Rate limits: never more than ``limit`` events in any window, per client; an API key past
its limit is refused as Stripe refuses it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.keys.model import Mode
from gateway.keys.store import create_key
from gateway.rate_limits import RateLimited, SlidingWindowLimit
from gateway.settings import Settings
from tests.gateway.test_app import app_client


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_refuses_then_lets_the_window_slide() -> None:
    clock = Clock()
    limit = SlidingWindowLimit(3, 60, clock)
    for _ in range(3):
        limit.check("10.0.0.1")
        clock.now += 1
    with pytest.raises(RateLimited) as refused:
        limit.check("10.0.0.1")
    assert refused.value.retry_after_s == 57  # now 1003; the first look-up leaves the window at 1060
    limit.check("10.0.0.2")  # another client is not affected
    clock.now = 1060.5
    limit.check("10.0.0.1")


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.floats(min_value=0, max_value=30)), max_size=80))
def test_no_window_ever_holds_more_than_the_limit(events: list[tuple[str, float]]) -> None:
    clock = Clock()
    limit = SlidingWindowLimit(5, 60, clock)
    allowed: dict[str, list[float]] = {"a": [], "b": []}
    for client, pause in events:
        clock.now += pause
        try:
            limit.check(client)
        except RateLimited as refused:
            recent = [t for t in allowed[client] if t > clock.now - 60]
            assert len(recent) == 5 and refused.retry_after_s >= 1
        else:
            allowed[client].append(clock.now)
            assert len([t for t in allowed[client] if t > clock.now - 60]) <= 5


async def test_an_api_key_past_its_limit_gets_stripe_s_429_and_other_keys_do_not(database_url) -> None:
    async with app_client(database_url, Settings(api_rate_limit_per_second=3)) as (client, pool):
        async with pool.connection() as conn:
            busy = (await create_key(conn, "BCA", Mode.TEST))[1]
            quiet = (await create_key(conn, "BCA", Mode.TEST))[1]
        answers = [await client.get("/v1/payment_intents", headers={"Authorization": f"Bearer {busy}"})
                   for _ in range(4)]
        other = await client.get("/v1/payment_intents", headers={"Authorization": f"Bearer {quiet}"})
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    error = answers[-1].json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "rate_limit"
    assert "retry after 1 s" in error["message"]
    assert other.status_code == 200
