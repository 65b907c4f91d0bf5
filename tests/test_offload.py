"""Expensive renders: a few at a time off the event loop, reused while nothing changed."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.fakeapi import FakeBotApi
from bot.offload import RenderPool
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    USER,
    RunningBot,
    VirtualClock,
    jump,
    make_settings,
    nudges_for,
    onboard,
)

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


async def stats_photo(api: FakeBotApi) -> bytes:
    mark = api.mark()
    api.send_text(USER, "/stats")
    await api.wait_for_call("sendPhoto", chat_id=USER, after=mark)
    photo = api.last_message(USER).photo
    assert photo is not None
    assert photo.data is not None
    return photo.data


async def test_a_reused_stats_chart_never_hides_a_new_answer(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    eight = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    clock.set(eight - timedelta(hours=1))
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await onboard(api, "Europe/Berlin")
        await jump(bot, clock, eight + timedelta(seconds=2))
        await api.wait_for(lambda: bool(nudges_for(api, "Facial yoga")))
        first = await stats_photo(api)
        assert await stats_photo(api) == first
        nudge = api.message(USER, nudges_for(api, "Facial yoga")[0])
        mark = api.mark()
        api.press(USER, nudge.message_id, nudge.callback_data_for("✅ Done"))
        await api.wait_for_call("editMessageText", chat_id=USER, after=mark)
        assert await stats_photo(api) != first
