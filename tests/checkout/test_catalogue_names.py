"""What the pages remember of the catalogue: for a few seconds, and never a refusal."""

from __future__ import annotations

import pytest

from catalogue.errors import NotFound
from gateway.checkout.catalogue_names import ShortMemory


class Reads:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, conn: object, code: str) -> str:
        self.count += 1
        if code == "UNKNOWN":
            raise NotFound("service_code", "unknown_service", code)
        return f"{code} v{self.count}"


async def test_a_name_is_read_again_only_after_its_time() -> None:
    now = [100.0]
    reads = Reads()
    memory = ShortMemory(reads, ttl_s=5, clock=lambda: now[0])
    assert await memory.get(None, "BCA") == "BCA v1"
    now[0] += 4.9
    assert await memory.get(None, "BCA") == "BCA v1"
    now[0] += 0.2
    assert await memory.get(None, "BCA") == "BCA v2"
    for _ in range(2):
        with pytest.raises(NotFound):
            await memory.get(None, "UNKNOWN")
    assert reads.count == 4
