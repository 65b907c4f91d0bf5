"""Concurrent updates: different users at once, one user's updates in order, and a throttle.

PTB handles one update at a time unless told otherwise, so every update waits for the previous
one's round trips to Telegram (about 4 updates a second at 150 ms) and one flooding chat delays
everyone. ``UserLanes`` is the ``BaseUpdateProcessor`` PTB calls for every update: updates from
different users run side by side, while one user's updates queue on that user's lane and run in
the order they arrived (a ``/set`` then a ``/plan`` always shows the new time). Before an update
joins its lane, the user's token bucket decides whether it runs at all: a burst, then a steady
rate; past it the update is dropped at once (it never waits in a lane), and the user hears
"slow down" at most once a minute. Expensive commands (``/stats``, ``/export``) take a token
from a second, tighter bucket as well.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Set
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Generic, TypeVar

from telegram import Update
from telegram.ext import BaseUpdateProcessor

EXPENSIVE_COMMANDS: Final = frozenset({"stats", "export"})
"""Commands whose answer is rendered (a chart, a CSV), so they get their own tighter limit."""

MAX_CONCURRENT: Final = 128
"""Updates in progress at once: half of PTB's 256-connection pool, so that however busy the
handlers are, the dispatcher's sends still find a connection instead of a pool timeout."""

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class TokenBucket:
    """``capacity`` tokens that refill at ``rate`` a second; each admitted update takes one."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    @classmethod
    def full(cls, capacity: float, rate: float, now: float) -> TokenBucket:
        """A bucket nobody has drawn from yet."""
        return cls(capacity, rate, capacity, now)

    def take(self, now: float) -> bool:
        """Refill for the time gone by, then take a token if there is one."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def refilled_by(self, now: float) -> bool:
        """Whether the bucket is full again by ``now`` (so forgetting it changes nothing)."""
        return self.tokens + (now - self.stamp) * self.rate >= self.capacity


class Verdict(Enum):
    """What the throttle decides about one update."""

    RUN = "run"
    DROP = "drop"
    DROP_AND_TELL = "drop and tell"


@dataclass(frozen=True, slots=True)
class Limits:
    """The throttle's numbers: a burst of ``burst`` then ``per_second``; tighter for rendering."""

    burst: float = 10
    per_second: float = 1.0
    expensive_burst: float = 2
    expensive_per_second: float = 1 / 20
    notice_every: float = 60.0


class Throttle:
    """Per-user token buckets, and when each user was last told to slow down."""

    _PRUNE_AT: Final = 10_000

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._buckets: dict[int, TokenBucket] = {}
        self._expensive: dict[int, TokenBucket] = {}
        self._told: dict[int, float] = {}

    def admit(self, user_id: int, now: float, *, expensive: bool = False) -> Verdict:
        """Run the update, or drop it (telling the user at most once per ``notice_every``)."""
        lim = self.limits
        # an expensive update needs a token from its own bucket first, then from the usual one
        ok = not expensive or _take(
            self._expensive, user_id, lim.expensive_burst, lim.expensive_per_second, now
        )
        ok = ok and _take(self._buckets, user_id, lim.burst, lim.per_second, now)
        if len(self._buckets) + len(self._expensive) > self._PRUNE_AT:
            self._prune(now)
        if ok:
            return Verdict.RUN
        told = self._told.get(user_id)
        if told is not None and now - told < lim.notice_every:
            return Verdict.DROP
        self._told[user_id] = now
        return Verdict.DROP_AND_TELL

    def _prune(self, now: float) -> None:
        """Forget full buckets and old notices, so memory follows active users, not all users."""
        self._buckets = {k: b for k, b in self._buckets.items() if not b.refilled_by(now)}
        self._expensive = {k: b for k, b in self._expensive.items() if not b.refilled_by(now)}
        horizon = now - self.limits.notice_every
        self._told = {k: t for k, t in self._told.items() if t > horizon}


def _take(
    buckets: dict[int, TokenBucket], user_id: int, burst: float, per_second: float, now: float
) -> bool:
    """Take a token from the user's bucket; a user not seen lately starts with a full one."""
    bucket = buckets.get(user_id)
    if bucket is None:
        bucket = buckets[user_id] = TokenBucket.full(burst, per_second, now)
    return bucket.take(now)


def sender_of(update: object) -> int | None:
    """The lane an update belongs to: its user, else its chat, else none (runs unordered)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


def is_expensive(update: Update) -> bool:
    """A ``/stats`` or ``/export`` command (also as ``/stats@botname``)."""
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return False
    words = message.text[1:].split(maxsplit=1)
    return bool(words) and words[0].split("@", 1)[0].lower() in EXPENSIVE_COMMANDS


Notify = Callable[[Update], Awaitable[None]]
K = TypeVar("K")


@dataclass(slots=True)
class _Lane:
    lock: asyncio.Lock
    users: int = 0


class KeyedLanes(Generic[K]):
    """One FIFO lock per key, kept only while something holds or waits for it."""

    def __init__(self) -> None:
        self._lanes: dict[K, _Lane] = {}

    @asynccontextmanager
    async def hold(self, key: K) -> AsyncIterator[None]:
        """Wait for the key's earlier holders (in arrival order), then hold it."""
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(asyncio.Lock())
        lane.users += 1
        try:
            async with lane.lock:
                yield
        finally:
            lane.users -= 1
            if lane.users == 0:
                del self._lanes[key]


class UserLanes(BaseUpdateProcessor):
    """Runs different users' updates concurrently and each user's in arrival order."""

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT,
        *,
        throttle: Throttle | None = None,
        slow_down: Notify | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.throttle = throttle or Throttle()
        self._slow_down = slow_down
        self._clock = clock
        self._lanes: KeyedLanes[int] = KeyedLanes()
        self._handling: set[asyncio.Task[Any]] = set()

    @property
    def handling(self) -> Set[asyncio.Task[Any]]:
        """The tasks handling an update now (past the throttle and their lane's queue): the
        tests' virtual clock skips no time while one of them is at work."""
        return self._handling

    async def initialize(self) -> None:
        """Nothing to set up; required by the interface."""

    async def shutdown(self) -> None:
        """Nothing to release; required by the interface."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Throttle, then run the update on its sender's lane."""
        key = sender_of(update)
        if key is None:
            await self._handle(coroutine)
            return
        if isinstance(update, Update) and (update.message or update.callback_query):
            verdict = self.throttle.admit(key, self._clock(), expensive=is_expensive(update))
            if verdict is not Verdict.RUN:
                if isinstance(coroutine, Coroutine):
                    coroutine.close()
                if verdict is Verdict.DROP_AND_TELL:
                    _log.info("throttled a user sending too fast", extra={"user_id": key})
                    if self._slow_down is not None:
                        await self._tell(update)
                else:
                    _log.debug("update dropped by the throttle", extra={"user_id": key})
                return
        async with self._lanes.hold(key):
            await self._handle(coroutine)

    async def _handle(self, coroutine: Awaitable[Any]) -> None:
        """Run an update's handlers, known as ``handling`` meanwhile."""
        task = asyncio.current_task()
        if task is None:
            await coroutine
            return
        self._handling.add(task)
        try:
            await coroutine
        finally:
            self._handling.discard(task)

    async def _tell(self, update: Update) -> None:
        """Say "slow down"; a failure here must not become an unhandled task error."""
        assert self._slow_down is not None
        try:
            await self._slow_down(update)
        except Exception:
            _log.warning("could not send the slow-down notice", exc_info=True)
