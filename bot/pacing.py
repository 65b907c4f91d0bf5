"""Keep under Telegram's flood limits without starving the people talking to the bot.

PTB's ``AIORateLimiter`` is one FIFO: a user's reply waits behind every queued nudge (9 s
measured behind 300). This limiter has two lanes. Broadcast nudges (``rate_limit_args=NUDGE``)
take evenly spaced slots under a global rate and at most one per chat per second; interactive
requests skip that queue and push the next nudge slot back. A nudge also checks what really
went out in the last second, both lanes, and leaves room for a reply under Telegram's limit;
a reply waits only when that second is already full, since going over the limit draws a 429
that pauses everyone.
A ``429 retry_after`` caused by one chat (a reply burst to a flooding user, say) pauses that
chat's lane only, so nobody else waits for it; a 429 on a request without a chat, or 429s for
several chats within a few seconds, is Telegram's global limit and pauses every lane. Either
way the request is retried after the pause.

Sends are dated when they start: counting a send from when its answer returns, and counting the
ones in flight as well, books each send for a second plus a round trip and caps a real network at
1 / (1 + round trip) of the rate. The limiter also measures that round trip, which tells the
dispatcher how many sends to keep on the wire.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Final

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

NUDGE: Final = "nudge"
"""``rate_limit_args`` value marking a broadcast send."""

_SENDS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "editmessagetext", "sendchataction"}
)
_log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]

WINDOW_LIMIT: Final = 30
"""Telegram's overall limit for bulk sends in any one second."""
REPLY_HEADROOM: Final = 1
"""Slots of every window that nudges leave to replies, which never wait for the window."""
WINDOW: Final = 1.0
"""The sliding window Telegram counts sends in."""
FIRST_ROUND_TRIP: Final = 0.1
"""A guess until the first answers are timed."""
GLOBAL_CHATS: Final = 3
"""429s for this many different chats within ``GLOBAL_SPAN`` mean the global limit was hit."""
GLOBAL_SPAN: Final = 5.0
"""Seconds a 429 is remembered when telling one chat's flood from the global limit."""


def retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` as seconds whether PTB hands out an int or a timedelta."""
    value: object = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(str(value))


class PriorityRateLimiter(BaseRateLimiter[str]):
    """Paces nudges at ``per_second`` overall and one a second per chat; replies jump the queue."""

    def __init__(
        self,
        per_second: float = 29.0,
        per_chat_interval: float = 1.0,
        max_retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.round_trip = FIRST_ROUND_TRIP
        """Seconds a paced request takes on the wire, smoothed over the recent ones."""
        self._interval = 1.0 / per_second
        self._per_chat = per_chat_interval
        self._max_retries = max_retries
        self._clock = clock
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[object, float] = {}
        self._chat_paused: dict[object, float] = {}
        self._floods: deque[tuple[float, object]] = deque()
        self._cap = max(WINDOW_LIMIT, math.ceil(per_second))
        self._recent: deque[float] = deque()

    async def initialize(self) -> None:
        """Nothing to set up; required by the interface."""

    async def shutdown(self) -> None:
        """Nothing to release; required by the interface."""

    def _reserve(self, chat_id: object, *, nudge: bool) -> float:
        """Book the next send slot and return how long to wait for it."""
        now = self._clock()
        if not nudge:
            paused = max(self._paused_until, self._chat_paused.get(chat_id, 0.0))
            self._next_slot = max(self._next_slot, now) + self._interval
            self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), now + self._per_chat)
            return max(0.0, paused - now)
        slot = max(now, self._next_slot, self._paused_until)
        start = max(slot, self._chat_paused.get(chat_id, 0.0), self._chat_next.get(chat_id, 0.0))
        if start == slot:
            self._next_slot = slot + self._interval
        # else this chat must wait anyway: it keeps no one else's slot, and the window check
        # (what really went out) keeps its late send under the overall limit
        self._chat_next[chat_id] = start + self._per_chat
        if len(self._chat_next) > 50_000:
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
            self._chat_paused = {k: v for k, v in self._chat_paused.items() if v > now}
        return start - now

    def _flood(self, chat_id: object, delay: float) -> None:
        """Record a 429 and pause its lane: that chat's, or every lane when it looks global."""
        now = self._clock()
        until = now + delay + 0.1
        while self._floods and self._floods[0][0] <= now - GLOBAL_SPAN:
            self._floods.popleft()
        if chat_id is not None:
            self._floods.append((now, chat_id))
        chats = {chat for _, chat in self._floods}
        if chat_id is None or len(chats) >= GLOBAL_CHATS:
            self._paused_until = max(self._paused_until, until)
            _log.warning("flood control: pausing every send for %.1f s", delay)
            return
        self._chat_paused[chat_id] = max(self._chat_paused.get(chat_id, 0.0), until)
        _log.warning("flood control: pausing one chat for %.1f s", delay)

    def _wait_for_room(self, limit: int) -> float:
        """How long until fewer than ``limit`` sends started in the last window.

        Booked slots alone can't keep a window under Telegram's limit (a reply takes no slot of
        the nudges already booked), so this counts what really went out, both lanes.
        """
        now = self._prune()
        if len(self._recent) < limit:
            return 0.0
        if not self._recent:
            return WINDOW / self._cap
        return self._recent[len(self._recent) - limit] + WINDOW - now

    def sends_last_second(self) -> int:
        """Sends started in the last window, both lanes: how busy broadcasting is now.

        Lets optional traffic (a session's countdown) stand back while a popular minute drains.
        """
        self._prune()
        return len(self._recent)

    def _prune(self) -> float:
        """Forget sends older than the window; returns now."""
        now = self._clock()
        while self._recent and self._recent[0] <= now - WINDOW:
            self._recent.popleft()
        return now

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSON:
        """Wait for a slot (nudges) or go now (replies); honour 429 by pausing its lane."""
        chat_id = data.get("chat_id")
        paced = endpoint.lower() in _SENDS and chat_id is not None
        for attempt in range(self._max_retries + 1):
            if paced:
                nudge = rate_limit_args == NUDGE
                await asyncio.sleep(self._reserve(chat_id, nudge=nudge))
                # a nudge leaves a slot of every second to people; a reply only waits when the
                # second is full, since going over Telegram's limit pauses everyone
                limit = self._cap - REPLY_HEADROOM if nudge else self._cap
                while True:
                    wait = self._wait_for_room(limit)
                    if wait <= 0:
                        break
                    await asyncio.sleep(wait)
                self._recent.append(self._clock())
            started = self._clock()
            try:
                result = await callback(*args, **kwargs)
                if paced:
                    self.round_trip += (self._clock() - started - self.round_trip) / 8
                return result
            except RetryAfter as error:
                if attempt == self._max_retries:
                    raise
                delay = retry_seconds(error)
                self._flood(chat_id, delay)
                if not paced:
                    await asyncio.sleep(delay + 0.1)
        raise AssertionError("unreachable")
