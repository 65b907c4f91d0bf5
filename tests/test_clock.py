"""The tests' virtual clock: waits skip time in deadline order, and never under a hold; the
bot's waits on it keep Telegram's limits and its back-off, as the stand-in sees them."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import VirtualClock
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, onboarded

MORNING = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


async def test_concurrent_sleeps_skip_to_their_deadlines_in_order_without_adding_up() -> None:
    clock = VirtualClock(skip_waits=True)
    start = clock.monotonic()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic() - start))

    real = time.monotonic()
    await asyncio.gather(sleeper("late", 2.0), sleeper("early", 1.0), sleeper("latest", 30.0))
    assert [name for name, _ in woke] == ["early", "late", "latest"]
    assert [round(at) for _, at in woke] == [1, 2, 30]  # 30 s in all, not 33
    assert time.monotonic() - real < 10.0  # skipped: waited, it would take 30 s


async def test_a_sleep_moves_the_wall_clock_by_as_much() -> None:
    clock = VirtualClock(skip_waits=True)
    before = clock()
    await clock.sleep(90.0)
    assert 90.0 <= (clock() - before).total_seconds() < 91.0


async def test_no_time_is_skipped_while_a_hold_says_busy() -> None:
    clock = VirtualClock(skip_waits=True)
    busy = True
    clock.hold_while(lambda: busy)
    start = clock.monotonic()
    sleeping = asyncio.create_task(clock.sleep(60.0))
    await asyncio.sleep(0.05)
    assert not sleeping.done()
    assert clock.monotonic() - start < 1.0  # only real time passed
    busy = False
    await asyncio.wait_for(sleeping, 1.0)
    assert clock.monotonic() - start >= 60.0


async def test_a_held_sleep_ends_when_real_time_reaches_its_deadline() -> None:
    clock = VirtualClock(skip_waits=True)
    clock.hold_while(lambda: True)
    real = time.monotonic()
    await asyncio.wait_for(clock.sleep(0.05), 1.0)
    assert time.monotonic() - real >= 0.05


async def test_a_cancelled_sleeper_does_not_hold_up_the_next() -> None:
    clock = VirtualClock(skip_waits=True)
    start = clock.monotonic()
    first = asyncio.create_task(clock.sleep(5.0))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.wait_for(clock.sleep(10.0), 1.0)
    assert first.cancelled()
    assert 10.0 <= clock.monotonic() - start < 11.0


async def test_without_skip_waits_a_sleep_takes_real_time() -> None:
    clock = VirtualClock()
    real = time.monotonic()
    start = clock.monotonic()
    await clock.sleep(0.05)
    assert time.monotonic() - real >= 0.05
    assert clock.monotonic() - start < 1.0


async def test_three_nudges_due_at_once_reach_one_chat_a_second_apart_in_virtual_time(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, MORNING, "UTC") as chat:
        for routine in ("supplements", "moisturize"):
            await chat.say(f"/set {routine} 08:00", "set to 08:00")
        await clock.sleep(1.1)  # the answers' second passes
        chat.api.enforce_limits()
        mark = chat.api.mark()
        await chat.at(MORNING.replace(hour=8, second=1))
        await chat.api.wait_for(lambda: len(chat.nudges("")) == 3)
        sends = [c for c in chat.api.calls[mark:] if c.method == "sendMessage"]
        assert [c.status for c in sends] == [200, 200, 200]
        assert all(b.time - a.time >= 1.0 for a, b in itertools.pairwise(sends))
        assert chat.api.rejected_by_limits == 0


async def test_a_retrys_back_off_is_kept_in_virtual_time(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, MORNING, "UTC") as chat:
        chat.api.fail_next("sendMessage", 502, times=2, chat_id=USER)
        await chat.at(MORNING.replace(hour=8, second=1))
        await chat.api.wait_for(lambda: bool(chat.nudges("Facial yoga")))
        attempts = [
            c
            for c in chat.api.calls_to("sendMessage", chat_id=USER)
            if "Reply to this message" in (c.text or "")  # a nudge
        ]
        assert [c.status for c in attempts] == [502, 502, 200]
        gaps = [b.time - a.time for a, b in itertools.pairwise(attempts)]
        assert gaps[0] >= 1.0  # the first back-off
        assert gaps[1] >= 2.0  # doubled
        assert clock() - MORNING.replace(hour=8, second=1) >= timedelta(seconds=3)
