"""Rate limits: on the pages' look-ups by plate, decision number, customer code or
social-insurance number, per client address, so that the pages cannot be used to enumerate
people's fines and bills; on the API, per key, so that one agency's runaway client cannot
take the service from the others.

A sliding window in each server process's memory: with N worker processes a client gets
at most N times the limit, which still defeats enumeration (thousands of guesses) and a
runaway loop, and needs no shared store. Behind a proxy, run uvicorn with
``--forwarded-allow-ips`` so that the client address is the citizen's, not the proxy's.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_TRACKED_CLIENTS = 100_000  # beyond this the longest-idle client is forgotten


class RateLimited(Exception):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many requests; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class SlidingWindowLimit:
    """At most ``limit`` events per ``window_s`` seconds for each key."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        assert limit >= 1 and window_s > 0
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, key: str) -> None:
        """Count one event for ``key``, or raise RateLimited (which counts nothing)."""
        now = self.clock()
        events = self._events.pop(key, None) or deque()
        while events and events[0] <= now - self.window_s:
            events.popleft()
        self._events[key] = events  # most recently seen last
        if len(events) >= self.limit:
            raise RateLimited(max(1, int(events[0] + self.window_s - now + 0.999)))
        events.append(now)
        while len(self._events) > MAX_TRACKED_CLIENTS:
            self._events.popitem(last=False)
