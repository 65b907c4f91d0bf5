"""Expensive renders (the /stats chart, the /export CSV) off the event loop, a few at a time.

A chart takes about 270 ms of CPU. Rendered on the event loop it stalls every other user; in
unbounded threads a burst of /stats starves the loop and the dispatcher of the GIL. So renders
run in worker threads behind a semaphore, and each user's last result is kept with the inputs
it was made from: asking again while nothing changed costs nothing.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable


class RenderPool:
    """At most ``workers`` renders at once; the last result per key is reused for equal inputs."""

    def __init__(self, workers: int = 2, keep: int = 256) -> None:
        self._slots = asyncio.Semaphore(workers)
        self._keep = keep
        self._last: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()

    async def render(self, key: Hashable, inputs: Hashable, make: Callable[[], bytes]) -> bytes:
        """``make()`` in a worker thread, unless ``key`` was last rendered from equal ``inputs``."""
        cached = self._last.get(key)
        if cached is not None and cached[0] == inputs:
            self._last.move_to_end(key)
            return cached[1]
        async with self._slots:
            data = await asyncio.to_thread(make)
        self._last[key] = (inputs, data)
        self._last.move_to_end(key)
        while len(self._last) > self._keep:
            self._last.popitem(last=False)
        return data

    def forget(self, key: Hashable) -> None:
        """Drop a key's result (its owner's data is gone)."""
        self._last.pop(key, None)
