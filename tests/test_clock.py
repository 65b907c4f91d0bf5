"""The tests' virtual clock: waits skip time in deadline order, and never under a hold."""

from __future__ import annotations

import asyncio
import time

from bot.clock import VirtualClock


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
    assert time.monotonic() - real < 1.0


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
