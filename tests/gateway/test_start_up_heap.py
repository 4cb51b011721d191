"""A served worker's start-up objects leave the garbage collector's full collections; what is
made afterwards is still collected."""

import asyncio
import gc
import weakref

from gateway.app import app_from_environment
from gateway.start_up_heap import freeze_start_up_objects


class Node:
    def __init__(self) -> None:
        self.itself = self  # a cycle: only the collector can free it


def test_freezing_keeps_start_up_objects_out_of_collections_and_collects_later_garbage() -> None:
    made_at_start_up = Node()
    try:
        asyncio.run(freeze_start_up_objects())
        assert gc.get_freeze_count() > 0
        assert all(tracked is not made_at_start_up for tracked in gc.get_objects()), "frozen: out of every generation"
        later = Node()
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None, "garbage made after the freeze must still be collected"
    finally:
        gc.unfreeze()


def test_the_served_app_freezes_once_started(monkeypatch) -> None:
    monkeypatch.setenv("PUBLICPAY_DATABASE_URL", "postgresql://unused")  # nothing connects here
    assert freeze_start_up_objects in app_from_environment().on_startup
