"""A clock that can skip time, for the offline sandbox and the tests.

The real time plus an offset. ``monotonic`` moves with the offset, so the dispatcher sees
skipped time as time that passed; ``step_wall`` moves the wall clock alone, the way an NTP step
or a wrong system clock does. ``sleep`` waits in that time and skips it whenever nothing else is
going on, so a test waits for no pause (a chat's one message a second, a ``retry_after``) in
real time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ORIGIN = 100 * 365 * 86400.0
"""Added to ``monotonic``, so a clock set a year or decades back still reads above zero, as
``time.monotonic`` does: a rate limiter may take 0 to mean "long ago"."""
SETTLE = 3
"""Event-loop turns ``sleep`` lets pass before it skips time: what a woken sleeper starts (a
send) can register as holding time first."""
HELD_POLL = 0.002
"""Seconds of real time between looks at the holds while one holds time still."""


@dataclass
class VirtualClock:
    """Real time shifted by ``offset`` (time skipped) and ``skew`` (a wall clock gone wrong).

    ``skip_waits`` makes ``sleep`` skip time (the tests' clock) instead of waiting it out in
    real time (benchmarks, which measure real waits).
    """

    offset: timedelta = field(default_factory=timedelta)
    skew: timedelta = field(default_factory=timedelta)
    skip_waits: bool = False
    _holds: list[Callable[[], bool]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    _sleepers: list[tuple[float, int, asyncio.Future[None]]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    _serial: itertools.count[int] = field(
        default_factory=itertools.count, init=False, repr=False, compare=False
    )
    _skipper: asyncio.Task[None] | None = field(default=None, init=False, repr=False, compare=False)
    _asleep: set[asyncio.Task[Any]] = field(
        default_factory=set, init=False, repr=False, compare=False
    )

    def __call__(self) -> datetime:
        """The virtual now, tz-aware."""
        return datetime.now(UTC) + self.offset + self.skew

    def monotonic(self) -> float:
        """Seconds on a clock that skipped time moves but a wall-clock jump does not."""
        return ORIGIN + time.monotonic() + self.offset.total_seconds()

    def set(self, instant: datetime) -> None:
        """Make ``instant`` the virtual now, as if that much time had passed (or un-passed)."""
        self.offset = instant - datetime.now(UTC) - self.skew

    def advance_to(self, instant: datetime) -> None:
        """Skip forward to ``instant``; an instant in the past changes nothing."""
        self.offset += max(timedelta(0), instant - self())

    def step_wall(self, delta: timedelta) -> None:
        """Jump the wall clock by ``delta`` while no time passes."""
        self.skew += delta

    def hold_while(self, busy: Callable[[], bool]) -> None:
        """Skip no time while ``busy()``: something under way a skip must not overtake (a
        request on the wire, which the stand-in dates on arrival; an update being answered)."""
        self._holds.append(busy)

    @property
    def sleeping(self) -> bool:
        """Whether a ``sleep`` waits for its deadline: work the clock will wake, skipping
        time to it as soon as nothing holds time still."""
        return any(not woken.done() for _, _, woken in self._sleepers)

    def asleep(self, task: asyncio.Task[Any]) -> bool:
        """Whether ``task`` waits in ``sleep``: it does nothing until the clock wakes it."""
        return task in self._asleep

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time, skipping it when nothing else is going on.

        Sleepers wake one at a time in the order of their deadlines, each skip going to the
        deadline (so concurrent sleeps don't add up), and only while nothing holds time still
        (``hold_while``): what the last sleeper sent arrives before time moves on. While held,
        time runs in real time, and a sleep whose deadline real time reaches simply ends.
        """
        if not self.skip_waits:
            await asyncio.sleep(seconds)
            return
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        deadline = self.monotonic() + max(0.0, seconds)
        heapq.heappush(self._sleepers, (deadline, next(self._serial), woken))
        if self._skipper is None or self._skipper.done():
            self._skipper = loop.create_task(self._skip())
        task = asyncio.current_task()
        if task is not None:
            self._asleep.add(task)
        try:
            await woken
        finally:
            if task is not None:
                self._asleep.discard(task)

    async def _skip(self) -> None:
        """Wake the sleepers in deadline order, skipping time to each deadline when idle."""
        while self._sleepers:
            for _ in range(SETTLE):
                await asyncio.sleep(0)
            if not self._sleepers:
                return
            deadline, _, woken = self._sleepers[0]
            if woken.done():  # cancelled
                heapq.heappop(self._sleepers)
                continue
            ahead = deadline - self.monotonic()
            if ahead > 0 and any(busy() for busy in self._holds):
                await asyncio.sleep(min(ahead, HELD_POLL))
                continue
            heapq.heappop(self._sleepers)
            if ahead > 0:
                self.offset += timedelta(microseconds=math.ceil(ahead * 1e6))
            woken.set_result(None)
