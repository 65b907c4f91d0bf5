"""The priority rate limiter, with a controlled clock and recorded (not real) waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot import pacing
from bot.pacing import JSON, NUDGE, PriorityRateLimiter

RATE = 29.0
TELEGRAM_LIMIT = 30


class FakeTime:
    """A monotonic clock the test moves, and an ``asyncio.sleep`` that records and yields."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def limiter(fake: FakeTime) -> PriorityRateLimiter:
    return PriorityRateLimiter(RATE, clock=fake, sleep=fake.sleep)


async def send(
    lim: PriorityRateLimiter,
    chat_id: int,
    *,
    nudge: bool = True,
    callback: Any = None,
    endpoint: str = "sendMessage",
) -> object:
    async def ok() -> JSON:
        return {"chat": chat_id}

    return await lim.process_request(
        callback or ok, (), {}, endpoint, {"chat_id": chat_id}, NUDGE if nudge else None
    )


def recorder(fake: FakeTime) -> tuple[list[float], Callable[[], Coroutine[Any, Any, object]]]:
    """A send callback that notes when each send went out, on the fake clock, and those times."""
    sent: list[float] = []

    async def record() -> object:
        sent.append(fake.now)
        return True

    return sent, record


def busiest_second(sent: list[float]) -> int:
    """The most sends in any one second, as Telegram counts them (ending at each send)."""
    return max(sum(1 for s in sent if a - 1.0 < s <= a) for a in sent)


def test_nudges_to_different_chats_get_evenly_spaced_slots(fake: FakeTime) -> None:
    lim = limiter(fake)
    waits = [lim.book(chat, nudge=True) for chat in range(1, 61)]
    assert waits == pytest.approx([i / RATE for i in range(60)])
    # whatever the burst, no one-second window holds more than the rate
    starts = [fake.now + w for w in waits]
    assert max(sum(1 for s in starts if a <= s < a + 1) for a in starts) <= RATE


async def test_interactive_reply_is_not_delayed_by_queued_nudges(fake: FakeTime) -> None:
    lim = limiter(fake)
    for chat in range(1, 301):
        lim.book(chat, nudge=True)  # ten seconds of nudges already booked
    assert await send(lim, 9999, nudge=False) == {"chat": 9999}
    assert fake.sleeps == [0.0]
    # and it takes a slot: the next nudge is pushed back, so the total stays under the limit
    assert lim.book(10_000, nudge=True) == pytest.approx(301 / RATE)


async def test_unpaced_methods_never_wait(fake: FakeTime) -> None:
    lim = limiter(fake)
    for chat in range(1, 50):
        lim.book(chat, nudge=True)
    await send(lim, 1, endpoint="answerCallbackQuery")
    await send(lim, 1, endpoint="getUpdates")
    assert fake.sleeps == []


async def test_second_nudge_to_the_same_chat_waits_a_second(fake: FakeTime) -> None:
    lim = limiter(fake)
    await asyncio.gather(send(lim, 7), send(lim, 8), send(lim, 7))
    assert fake.sleeps[0] == pytest.approx(0.0)
    assert fake.sleeps[1] == pytest.approx(1 / RATE)
    assert fake.sleeps[2] >= 1.0
    # a reply to a chat also counts against that chat's second
    lim2 = limiter(fake)
    await send(lim2, 5, nudge=False)
    assert lim2.book(5, nudge=True) >= 1.0


def flooded_once(seconds: float) -> Callable[[], Coroutine[Any, Any, JSON]]:
    """A send that gets ``429 retry_after`` the first time and goes through the second."""
    attempts = 0

    async def callback() -> JSON:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RetryAfter(timedelta(seconds=seconds))
        return {"ok": attempts}

    return callback


async def test_retry_after_for_one_chat_pauses_that_chat_only_and_retries(
    fake: FakeTime,
) -> None:
    lim = limiter(fake)
    assert await send(lim, 1, callback=flooded_once(3)) == {"ok": 2}
    assert fake.sleeps[-1] >= 3.0  # the retry itself waited out retry_after
    # that chat waits, nudges and replies alike
    assert lim.book(1, nudge=False) >= 2.9
    assert lim.book(1, nudge=True) >= 2.9
    # everyone else goes on: a reply at once, a nudge in its normal slot
    assert lim.book(2, nudge=False) == 0.0
    assert lim.book(3, nudge=True) < 1.0
    fake.now += 10.0  # past the pause and the slots booked above
    assert lim.book(1, nudge=False) == 0.0


async def test_retry_after_across_several_chats_pauses_every_lane(fake: FakeTime) -> None:
    lim = limiter(fake)
    for chat in (1, 2, 3):
        await send(lim, chat, nudge=False, callback=flooded_once(3))
    assert lim.book(4, nudge=False) >= 2.9
    assert lim.book(5, nudge=True) >= 2.9


async def test_a_flooders_own_429s_never_add_up_to_a_global_pause(fake: FakeTime) -> None:
    lim = limiter(fake)
    await send(lim, 1, nudge=False)
    for _ in range(3):  # the flooder's second reply each time: that chat's own limit
        fake.now += 0.1
        await send(lim, 1, nudge=False, callback=flooded_once(1))
    for chat in (2, 3):  # and two nudges that arrival jitter pushed over the window
        await send(lim, chat, callback=flooded_once(1))
    assert lim.book(4, nudge=False) == 0.0  # everyone else goes on
    assert lim.book(5, nudge=True) < 1.0


async def test_retry_after_without_a_chat_pauses_every_lane(fake: FakeTime) -> None:
    lim = limiter(fake)

    answer = flooded_once(2)
    assert await lim.process_request(answer, (), {}, "answerCallbackQuery", {}, None) == {"ok": 2}
    assert lim.book(7, nudge=False) >= 1.9
    assert lim.book(8, nudge=True) >= 1.9


async def test_retry_after_on_an_unpaced_call_sleeps_then_retries(fake: FakeTime) -> None:
    lim = limiter(fake)
    calls = 0

    async def flood_once() -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RetryAfter(timedelta(seconds=2))
        return True

    assert await send(lim, 1, callback=flood_once, endpoint="answerCallbackQuery") is True
    assert fake.sleeps == [pytest.approx(2.1)]


async def test_persistent_flood_gives_up_after_max_retries(fake: FakeTime) -> None:
    lim = PriorityRateLimiter(RATE, max_retries=2, clock=fake, sleep=fake.sleep)
    calls = 0

    async def always_flooded() -> object:
        nonlocal calls
        calls += 1
        raise RetryAfter(timedelta(seconds=1))

    with pytest.raises(RetryAfter):
        await send(lim, 1, callback=always_flooded)
    assert calls == 3


async def test_replies_during_a_burst_never_push_a_window_over_telegrams_limit() -> None:
    """Nudges already booked don't move when a reply jumps in, so the limiter checks what went."""
    fake = FakeTime()

    async def advancing_sleep(seconds: float) -> None:
        fake.sleeps.append(seconds)
        fake.now += max(0.0, seconds)

    lim = PriorityRateLimiter(RATE, clock=fake, sleep=advancing_sleep)
    sent, record = recorder(fake)

    for chat in range(1, 61):
        lim.book(chat, nudge=True)  # a whole batch books its slots up front
    for chat in range(1, 61):
        if chat % 10 == 0:
            await send(lim, 50_000 + chat, nudge=False, callback=record)
        await send(lim, chat, callback=record)
    assert len(sent) == 66
    assert busiest_second(sent) <= TELEGRAM_LIMIT
    assert lim.book(99, nudge=False) == 0.0


async def test_sends_last_second_counts_what_went_out_in_the_window(fake: FakeTime) -> None:
    lim = limiter(fake)
    assert lim.sends_last_second() == 0
    for chat in range(10):
        await send(lim, chat)
        fake.now += 0.05
    await send(lim, 99, nudge=False)
    assert lim.sends_last_second() == 11
    fake.now += pacing.WINDOW + pacing.WINDOW_MARGIN
    assert lim.sends_last_second() == 0


async def step(times: int = 5) -> None:
    """Let the tasks waiting on the fake clock look at it again."""
    for _ in range(times):
        await asyncio.sleep(0)


async def test_nudges_fill_the_window_but_a_waiting_reply_goes_first(fake: FakeTime) -> None:
    lim = limiter(fake)
    first = fake.now
    for chat in range(TELEGRAM_LIMIT):  # with no reply waiting, nudges may use every slot
        await send(lim, chat)
        fake.now += 0.01
    assert lim.sends_last_second() == TELEGRAM_LIMIT
    nudge = asyncio.ensure_future(send(lim, 4000))
    reply = asyncio.ensure_future(send(lim, 5000, nudge=False))
    await step()
    assert not nudge.done()
    assert not reply.done()  # the window is full: even a reply waits, never a 429
    # the oldest send ages out (counted a little longer than a second, for arrival jitter)
    fake.now = first + pacing.WINDOW + pacing.WINDOW_MARGIN + 0.001
    await step()
    assert reply.done()
    assert not nudge.done()  # the reply took the slot, though the nudge asked first
    fake.now += 0.01
    await step()
    assert nudge.done()
    assert lim.sends_last_second() == TELEGRAM_LIMIT


async def test_a_late_start_does_not_cost_the_nudges_their_rate() -> None:
    """Every wait overshoots by 5 ms (a busy event loop); the schedule makes the time up."""
    fake = FakeTime()

    async def late_sleep(seconds: float) -> None:
        fake.now += max(0.0, seconds) + 0.005

    lim = PriorityRateLimiter(RATE, clock=fake, sleep=late_sleep)
    sent, record = recorder(fake)

    for chat in range(1, 301):
        await send(lim, chat, callback=record)
    span = sent[-1] - sent[0]
    assert len(sent) / span >= RATE * 0.98  # one at a time, it was 1 / (1/29 + 5 ms) = 25/s
    assert busiest_second(sent) <= TELEGRAM_LIMIT


def test_a_schedule_idle_for_longer_than_catch_up_starts_afresh(fake: FakeTime) -> None:
    lim = limiter(fake)
    assert lim.book(1, nudge=True) == 0.0
    fake.now += 3 / RATE  # three slots late, within CATCH_UP: they go at once, then spaced
    assert [lim.book(chat, nudge=True) for chat in range(2, 6)] == pytest.approx(
        [0.0, 0.0, 0.0, 1 / RATE]
    )
    fake.now += 60.0  # idle for a minute: no burst to make up for it
    waits = [lim.book(chat, nudge=True) for chat in range(10, 14)]
    assert waits == pytest.approx([i / RATE for i in range(4)])


async def test_a_chat_that_drew_a_429_gets_its_replies_one_a_second(fake: FakeTime) -> None:
    lim = limiter(fake)
    await send(lim, 1, nudge=False)
    assert lim.book(1, nudge=False) == 0.0  # short bursts to one chat are allowed
    await send(lim, 1, nudge=False, callback=flooded_once(1))
    fake.now += 5.0
    # Telegram told that chat to slow down: its replies now keep a second (and the margin for
    # arrival jitter) apart
    assert lim.book(1, nudge=False) == 0.0
    assert lim.book(1, nudge=False) == pytest.approx(1.0 + lim.margin)
    assert lim.book(2, nudge=False) == 0.0  # other chats still get theirs at once
    assert lim.book(2, nudge=False) == 0.0
    fake.now += pacing.HOT_CHAT
    assert lim.book(1, nudge=False) == 0.0
    assert lim.book(1, nudge=False) == 0.0


async def test_a_429_no_chat_limit_explains_widens_the_window_until_a_quiet_minute(
    fake: FakeTime,
) -> None:
    lim = limiter(fake)
    assert lim.margin == pacing.WINDOW_MARGIN
    await send(lim, 1, nudge=False)
    fake.now += 0.1
    await send(lim, 1, nudge=False, callback=flooded_once(1))  # that chat's own second
    assert lim.margin == pacing.WINDOW_MARGIN
    # a first message to a chat still drew a 429: the overall window, by arrival jitter
    await send(lim, 2, callback=flooded_once(1))
    assert lim.margin == pytest.approx(pacing.WINDOW_MARGIN + pacing.MARGIN_STEP)
    for chat in range(3, 20):
        fake.now += 0.2  # keeps the window from filling, as real time would
        await send(lim, chat, callback=flooded_once(1))
    assert lim.margin == pytest.approx(pacing.MARGIN_MAX)
    fake.now += pacing.MARGIN_RELAX + 1
    assert lim.sends_last_second() == 0
    assert lim.margin == pytest.approx(pacing.MARGIN_MAX - pacing.MARGIN_STEP)  # a step a minute
    for _ in range(10):
        fake.now += pacing.MARGIN_RELAX + 1
        lim.sends_last_second()
    assert lim.margin == pacing.WINDOW_MARGIN
