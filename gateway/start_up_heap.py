"""A server worker's start-up objects, kept out of the garbage collector's full collections.

What a worker makes as it starts (modules, the app with its routes, schemas and templates,
the pools) is some 140,000 objects that live as long as the worker does. CPython's full
collection walks every one of them each time it runs; measured in a worker under the API
benchmark's load, one took 144 ms, during which every request the worker holds waits: a
latency spike of the whole worker, for nothing, since none of it is garbage. ``gc.freeze()``
moves them to a generation the collector never walks (they are still freed by reference
counting if ever let go); the objects requests make are collected as before.
"""

from __future__ import annotations

import gc


async def freeze_start_up_objects() -> None:
    """An ``on_startup`` hook, run once the app has started (after its lifespan opened the
    pools and started the background jobs)."""
    gc.collect()  # start-up's own garbage is freed now, not frozen for the worker's life
    gc.freeze()
