"""Expensive renders: a few at a time off the event loop, reused while nothing changed."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.offload import RenderPool
from tests.botapi_http import FakeBotApiServer
from tests.harness import Chat, VirtualClock, onboarded

BERLIN = ZoneInfo("Europe/Berlin")


async def test_equal_inputs_reuse_the_last_result_and_changed_inputs_render_again() -> None:
    pool = RenderPool()
    made: list[str] = []

    def make(label: str) -> bytes:
        made.append(label)
        return label.encode()

    assert await pool.render(("stats", 1), ("day 1", 3), lambda: make("a")) == b"a"
    assert await pool.render(("stats", 1), ("day 1", 3), lambda: make("b")) == b"a"
    assert await pool.render(("stats", 2), ("day 1", 3), lambda: make("c")) == b"c"
    assert await pool.render(("stats", 1), ("day 1", 4), lambda: make("d")) == b"d"
    pool.forget(("stats", 1))
    assert await pool.render(("stats", 1), ("day 1", 4), lambda: make("e")) == b"e"
    assert made == ["a", "c", "d", "e"]


async def test_only_a_few_renders_run_at_once_and_the_loop_stays_free() -> None:
    pool = RenderPool(workers=2)
    running = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()

    def slow() -> bytes:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(5)
        with lock:
            running -= 1
        return b"png"

    tasks = [asyncio.create_task(pool.render(("stats", u), u, slow)) for u in range(6)]
    ticks = 0
    while running < 2:  # the event loop keeps turning while renders block their threads
        ticks += 1
        await asyncio.sleep(0.01)
    for _ in range(10):
        ticks += 1
        await asyncio.sleep(0.01)
    assert (running, peak) == (2, 2)
    assert ticks >= 10
    release.set()
    assert await asyncio.gather(*tasks) == [b"png"] * 6
    assert peak == 2


async def stats_photo(chat: Chat) -> bytes:
    """/stats; the chart's bytes."""
    await chat.say("/stats", "Your stats")
    photo = chat.last("Your stats").photo
    assert photo is not None
    assert photo.data is not None
    return photo.data


async def test_a_reused_stats_chart_never_hides_a_new_answer(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    eight = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    async with onboarded(server, clock, db, eight - timedelta(hours=1), "Europe/Berlin") as chat:
        await chat.at(eight + timedelta(seconds=2))
        [nudge] = chat.nudges("Facial yoga")
        first = await stats_photo(chat)
        assert await stats_photo(chat) == first
        await chat.press(nudge, "✅ Done", expect="✅ done")
        assert await stats_photo(chat) != first
