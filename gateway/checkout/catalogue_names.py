"""Services and agencies as the pages show them, remembered for a few seconds in each
server process: a service page, a payment's page and a receipt would otherwise read the
same rows on every view. Only what is displayed comes from here; prices are always
computed by the catalogue from the database (``catalogue.quoting``), so a fee change
can at worst show the old wording for ``TTL_S``, never charge the old amount."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from psycopg import AsyncConnection

from catalogue import store as catalogue_store
from catalogue.definitions import Service
from catalogue.errors import CatalogueError
from catalogue.model import Agency

TTL_S = 5.0
MAX_ENTRIES = 10_000  # the catalogue has hundreds of services; a flood of unknown codes is not cached
T = TypeVar("T")


class ShortMemory(Generic[T]):
    def __init__(self, read: Callable[[AsyncConnection, str], Awaitable[T]], ttl_s: float = TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.read, self.ttl_s, self.clock = read, ttl_s, clock
        self._entries: dict[str, tuple[float, T]] = {}

    async def get(self, conn: AsyncConnection, code: str) -> T:
        now = self.clock()
        cached = self._entries.get(code)
        if cached is not None and now < cached[0]:
            return cached[1]
        value = await self.read(conn, code)  # a refusal (unknown code) is raised, not remembered
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[code] = (now + self.ttl_s, value)
        return value


services: ShortMemory[Service] = ShortMemory(catalogue_store.get_service)
agencies: ShortMemory[Agency] = ShortMemory(catalogue_store.get_agency)


async def agency_or_none(conn: AsyncConnection, code: str) -> Agency | None:
    """The agency as the pages name it, or None for one that has API keys but no catalogue
    entry (yet): the pages then name it by its code, and its payments go on as any other."""
    try:
        return await agencies.get(conn, code)
    except CatalogueError:
        return None
