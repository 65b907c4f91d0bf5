"""Keep under Telegram's flood limits without starving the people talking to the bot.

PTB's ``AIORateLimiter`` is one FIFO: a user's reply waits behind every queued nudge (9 s
measured behind 300). This limiter has two lanes. Broadcast nudges (``rate_limit_args=NUDGE``)
take evenly spaced slots under a global rate and at most one per chat per second; interactive
requests skip that queue and push the next nudge slot back. Every send also checks what really
went out in the last second, both lanes, so a window never holds more than Telegram's limit.
Nudges may fill the whole window, but never take room a reply is waiting for: a reply waits at
most until the oldest send of a full window ages out (a slot, about 34 ms), then goes first.
The window is counted a little longer than a second, because Telegram dates a send when it
arrives: a few milliseconds of jitter would otherwise put one send too many in its window.
A nudge that starts late (a busy event loop, a slow claim) does not lose its slot for good:
the schedule may run up to ``CATCH_UP`` behind the clock, and the next nudges make the time up.
A ``429 retry_after`` caused by one chat (a reply burst to a flooding user, say) pauses that
chat's lane only, so nobody else waits for it, and keeps that chat's replies paced at one a
second for a while; a 429 on a request without a chat, or 429s for several chats within a few
seconds, is Telegram's global limit and pauses every lane. Either way the request is retried
after the pause.

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
from collections.abc import Awaitable, Callable, Coroutine
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
WINDOW: Final = 1.0
"""The sliding window Telegram counts sends in."""
WINDOW_MARGIN: Final = 0.02
"""Seconds added to every window we count (the overall second, one chat's second): Telegram
dates a send when it arrives, and a few ms of jitter would put a 31st send in a window we
counted exactly full, or two sends to one chat less than a second apart. Each 429 that neither
explains widens it by ``MARGIN_STEP``, up to ``MARGIN_MAX``; each ``MARGIN_RELAX`` without one
narrows it a step back. Every 10 ms costs 1 % of the rate, so it grows by steps, not doubling."""
MARGIN_STEP: Final = 0.01
MARGIN_MAX: Final = 0.1
"""The widest margin: 30 sends in 1.1 s is still 91 % of Telegram's limit."""
MARGIN_RELAX: Final = 60.0
"""Seconds without a jitter 429 after which a widened margin narrows a step."""
CATCH_UP: Final = 0.2
"""How far the nudge schedule may run behind the clock before a late start loses its slot."""
HOT_CHAT: Final = 60.0
"""Seconds a chat that drew its own 429 stays paced at one send a second, replies included."""
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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second
        self.round_trip = FIRST_ROUND_TRIP
        """Seconds a paced request takes on the wire, smoothed over the recent ones."""
        self._interval = 1.0 / per_second
        self._per_chat = per_chat_interval
        self._max_retries = max_retries
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[object, float] = {}
        self._chat_paused: dict[object, float] = {}
        self._chat_hot: dict[object, float] = {}
        self._replies_waiting = 0
        self._sent_to: dict[object, float] = {}
        self.margin = WINDOW_MARGIN
        """Seconds added to each window counted; widened while arrivals jitter more."""
        self._widened_at = -math.inf
        self._floods: deque[tuple[float, object]] = deque()
        self._cap = max(WINDOW_LIMIT, math.ceil(per_second))
        self._recent: deque[float] = deque()

    async def initialize(self) -> None:
        """Nothing to set up; required by the interface."""

    async def shutdown(self) -> None:
        """Nothing to release; required by the interface."""

    def book(self, chat_id: object, *, nudge: bool) -> float:
        """Book the next send slot and return how long to wait for it."""
        now = self._clock()
        chat_next = self._chat_next.get(chat_id, 0.0)
        paused = max(self._paused_until, self._chat_paused.get(chat_id, 0.0))
        if not nudge:
            # a reply goes now, unless its chat is paused or drew its own 429 lately: Telegram
            # allows short bursts to one chat, but not to one it has just told to slow down
            hot = self._chat_hot.get(chat_id, 0.0) > now
            start = max(now, paused, chat_next if hot else now)
            self._next_slot = max(self._next_slot, now) + self._interval
            # with the margin, as for nudges: a hot chat's replies exactly a second apart would
            # draw another 429 whenever the first one took longer on the wire
            self._chat_next[chat_id] = max(chat_next, start + self._per_chat + self.margin)
            return start - now
        # a schedule a little behind (a late start) catches up; one idle for longer starts now
        slot = self._next_slot if self._next_slot >= now - CATCH_UP else now
        slot = max(slot, self._paused_until)
        start = max(slot, self._chat_paused.get(chat_id, 0.0), chat_next)
        if start == slot:
            self._next_slot = slot + self._interval
        # else this chat must wait anyway: it keeps no one else's slot, and the window check
        # (what really went out) keeps its late send under the overall limit. The chat's second
        # is counted with the margin here too: a second nudge booked before the first went out
        # would otherwise arrive a second after it only if both took as long on the wire
        self._chat_next[chat_id] = max(start, now) + self._per_chat + self.margin
        if len(self._chat_next) > 50_000:
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
            self._chat_paused = {k: v for k, v in self._chat_paused.items() if v > now}
            self._chat_hot = {k: v for k, v in self._chat_hot.items() if v > now}
            recent = now - self._per_chat
            self._sent_to = {k: v for k, v in self._sent_to.items() if v > recent}
        return max(0.0, start - now)

    def _flood(self, chat_id: object, delay: float, *, own: bool = False) -> None:
        """Record a 429 and pause its lane: that chat's, or every lane when it looks global.

        ``own``: the chat had a send within its second, so the 429 is that chat's limit and is
        no evidence of the global one (a flooder's replies must not pause everyone).
        """
        now = self._clock()
        until = now + delay + 0.1
        while self._floods and self._floods[0][0] <= now - GLOBAL_SPAN:
            self._floods.popleft()
        if chat_id is not None and not own:
            self._floods.append((now, chat_id))
        chats = {chat for _, chat in self._floods}
        if chat_id is None or len(chats) >= GLOBAL_CHATS:
            self._paused_until = max(self._paused_until, until)
            _log.warning("flood control: pausing every send for %.1f s", delay)
            return
        self._chat_paused[chat_id] = max(self._chat_paused.get(chat_id, 0.0), until)
        # the replies it still gets would otherwise go out in a burst and draw a 429 each
        self._chat_hot[chat_id] = now + HOT_CHAT
        _log.warning("flood control: pausing one chat for %.1f s", delay)

    def _wait_for_room(self, limit: int) -> float:
        """How long until fewer than ``limit`` sends started in the last window.

        Booked slots alone can't keep a window under Telegram's limit (a reply takes no slot of
        the nudges already booked), so this counts what really went out, both lanes.
        """
        now = self._prune()
        if len(self._recent) < limit:
            return 0.0
        if limit <= 0 or not self._recent:
            return WINDOW / self._cap
        return self._recent[len(self._recent) - limit] + WINDOW + self.margin - now

    async def _room(self, *, nudge: bool) -> None:
        """Wait until the window has room; a nudge also leaves room for every waiting reply."""
        if not nudge:
            self._replies_waiting += 1
        try:
            while True:
                limit = self._cap - self._replies_waiting if nudge else self._cap
                wait = self._wait_for_room(limit)
                if wait <= 0:
                    return
                await self._sleep(wait)
        finally:
            if not nudge:
                self._replies_waiting -= 1

    def sends_last_second(self) -> int:
        """Sends started in the last window, both lanes: how busy broadcasting is now.

        Lets optional traffic (a session's countdown) stand back while a popular minute drains.
        """
        self._prune()
        return len(self._recent)

    def _prune(self) -> float:
        """Forget sends older than the window; returns now."""
        now = self._clock()
        if self.margin > WINDOW_MARGIN and now - self._widened_at >= MARGIN_RELAX:
            self.margin = max(WINDOW_MARGIN, self.margin - MARGIN_STEP)
            self._widened_at = now
        while self._recent and self._recent[0] <= now - WINDOW - self.margin:
            self._recent.popleft()
        return now

    def _widen(self, sent_at: float) -> None:
        """Widen the margin after a 429 that the chat's own second does not explain.

        Our window count said there was room, so arrivals jitter more than the margin allows.
        """
        self.margin = min(MARGIN_MAX, self.margin + MARGIN_STEP)
        self._widened_at = sent_at
        _log.warning("flood control: counting windows %.0f ms longer", self.margin * 1000)

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
                await self._sleep(self.book(chat_id, nudge=nudge))
                # going over Telegram's limit pauses everyone, so even a reply waits when the
                # window is full; it then goes before any nudge
                await self._room(nudge=nudge)
                sent_at = self._clock()
                self._recent.append(sent_at)
                previous = self._sent_to.get(chat_id)
                self._sent_to[chat_id] = sent_at
                # the chat's next send keeps its second from when this one really went
                self._chat_next[chat_id] = max(
                    self._chat_next.get(chat_id, 0.0), sent_at + self._per_chat + self.margin
                )
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
                own = paced and previous is not None and sent_at - previous < self._per_chat
                self._flood(chat_id, delay, own=own)
                if paced and not own:
                    self._widen(sent_at)
                if not paced:
                    await self._sleep(delay + 0.1)
        raise AssertionError("unreachable")
