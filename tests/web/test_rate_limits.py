"""The look-up limit: never more than ``limit`` look-ups in any window, per client."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.web.rate_limits import SlidingWindowLimit, TooManyLookups


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
    with pytest.raises(TooManyLookups) as refused:
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
        except TooManyLookups as refused:
            recent = [t for t in allowed[client] if t > clock.now - 60]
            assert len(recent) == 5 and refused.retry_after_s >= 1
        else:
            allowed[client].append(clock.now)
            assert len([t for t in allowed[client] if t > clock.now - 60]) <= 5
