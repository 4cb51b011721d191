"""Callbacks from a sandbox to the merchant, sent in the background the way providers do:
after an optional delay, retried on failure with growing pauses, given up after the last.

Each delivery attempt is recorded, so that a tester (and the tests) can see what was sent
and how the merchant answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import httpx
import msgspec

from providers.simulation.scenarios import CallbackPlan

Acknowledged = Callable[[httpx.Response], bool]
HeadersFor = Callable[[], Mapping[str, str]]


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    copy: int
    attempt: int
    status_code: int | None  # None: the merchant could not be reached
    acknowledged: bool


def answered_2xx(response: httpx.Response) -> bool:
    return 200 <= response.status_code < 300


class CallbackNotifier:
    """Owns the background tasks; :meth:`close` cancels what is still pending."""

    def __init__(self, retry_delays_s: tuple[float, ...], timeout_s: float = 10.0) -> None:
        self._retry_delays_s = retry_delays_s
        self._client = httpx.AsyncClient(timeout=timeout_s)
        self._tasks: set[asyncio.Task[None]] = set()
        self.deliveries: list[Delivery] = []

    def schedule(self, plan: CallbackPlan, url: str, *, content: bytes, headers: HeadersFor = dict,
                 acknowledged: Acknowledged = answered_2xx, method: str = "POST") -> None:
        """``headers`` is called for each attempt: a signature that includes the time of
        sending (Stripe's) must be fresh on a retry hours later."""
        for copy in range(plan.copies):
            task = asyncio.create_task(self._deliver(plan.delay_s, copy, method, url, content, headers,
                                                     acknowledged))
            self._tasks.add(task)  # a task only weakly referenced by the loop could be collected mid-flight
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delay_s: float, copy: int, method: str, url: str, content: bytes,
                       headers: HeadersFor, acknowledged: Acknowledged) -> None:
        await asyncio.sleep(delay_s)
        for attempt, pause_s in enumerate((0.0, *self._retry_delays_s)):
            await asyncio.sleep(pause_s)
            try:
                response = await self._client.request(method, url, content=content, headers=headers())
            except httpx.HTTPError:
                self.deliveries.append(Delivery(url=url, copy=copy, attempt=attempt, status_code=None,
                                                acknowledged=False))
                continue
            ok = acknowledged(response)
            self.deliveries.append(Delivery(url=url, copy=copy, attempt=attempt,
                                            status_code=response.status_code, acknowledged=ok))
            if ok:
                return

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()
