"""Tracking end to end: /today, /stats with its chart, /pause and /resume, /export, /forget.

Each story starts from the same morning: three nudges answered three ways.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import texts
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, Chat, VirtualClock, onboarded

BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY = datetime(2026, 11, 26, tzinfo=BERLIN)
PNG = b"\x89PNG\r\n\x1a\n"


@asynccontextmanager
async def answered_morning(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> AsyncIterator[Chat]:
    """A Berliner whose three routines all came at 08:00 on Thursday: done, skipped, snoozed."""
    async with onboarded(server, clock, db, THURSDAY.replace(hour=7), "Europe/Berlin") as chat:
        for routine in ("supplements", "moisturize"):
            await chat.say(f"/set {routine} 08:00", "set to 08:00")
        await chat.at(THURSDAY.replace(hour=8, second=5))
        await chat.press(chat.nudges("Facial yoga")[-1], texts.BUTTON_DONE)
        await chat.press(chat.nudges("Calcium")[-1], texts.BUTTON_SKIP)
        await chat.press(chat.nudges("Moisturizing")[-1], texts.BUTTON_SNOOZE)
        yield chat


async def paused_then_resumed(chat: Chat) -> int:
    """/pause 3 on Thursday, Friday 08:00 passes, /resume; returns the nudges sent before."""
    await chat.say("/pause 3", "Paused until")
    before = len(chat.nudges(""))
    await chat.at(THURSDAY.replace(hour=8, second=5) + timedelta(days=1))
    assert len(chat.nudges("")) == before
    await chat.say("/resume", "Welcome back")
    return before


async def test_answers_show_in_today(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with answered_morning(server, clock, db) as chat:
        today = await chat.say("/today", "Today")
        assert "Facial yoga — ✅ done" in today
        assert "Calcium + vitamin D — ⏭ skipped" in today
        assert "Moisturizing — ⏰ snoozed" in today


async def test_stats_show_the_answers_with_a_chart(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with answered_morning(server, clock, db) as chat:
        caption = await chat.say("/stats", "Your stats")
        photo = chat.last("Your stats")
        assert photo.photo is not None
        assert (photo.photo.data or b"").startswith(PNG)
        assert "Facial yoga\n  streak 1 (best 1) · 7 days 100% · 30 days 100%" in caption
        assert "Calcium + vitamin D\n  streak 0 (best 0) · 7 days — · 30 days —" in caption


async def test_a_paused_day_sends_nothing_and_resume_brings_the_nudges_back(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with answered_morning(server, clock, db) as chat:
        before = await paused_then_resumed(chat)
        paused_day = await chat.bot.services.repo.nudges_on(USER, date(2026, 11, 27))
        assert {n.outcome.value for n in paused_day} == {"paused"}
        await chat.at(THURSDAY.replace(hour=8, second=5) + timedelta(days=2))
        assert len(chat.nudges("")) == before + 3


async def test_export_holds_every_record_with_its_outcome(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with answered_morning(server, clock, db) as chat:
        await paused_then_resumed(chat)
        await chat.at(THURSDAY.replace(hour=8, second=5) + timedelta(days=2))
        await chat.say("/export", "Your records")
        document = chat.last("Your records").document
        assert document is not None
        assert document.data is not None
        rows = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig"))))
        history = await chat.bot.services.repo.history(USER)
        assert len(rows) == len(history) >= 9
        day_one = {r["routine"]: r["outcome"] for r in rows if r["date"] == "2026-11-26"}
        assert day_one["yoga"] == "done"
        assert day_one["supplements"] == "skipped"
        # snoozed at 08:00, and the pause began before it came back
        assert day_one["moisturize"] == "paused"


async def test_forget_deletes_everything_and_a_second_yes_changes_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with answered_morning(server, clock, db) as chat:
        bot = chat.bot
        await chat.say("/forget", "deletes everything")
        confirm = chat.last("deletes everything")
        yes = confirm.callback_data_for(texts.BUTTON_FORGET_YES)
        await chat.press(confirm, texts.BUTTON_FORGET_YES)
        assert "everything I held on you is deleted" in (confirm.text or "")
        counts = await bot.services.repo.count_rows(USER)
        assert counts == dict.fromkeys(counts, 0)
        assert await bot.services.repo.get_user(USER) is None

        # the confirmation has lost its buttons: press the stale one as an old client would
        await chat.press_data(confirm, yes)
        assert await bot.services.repo.get_user(USER) is None


async def test_done_early_from_today_is_not_nudged_later(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(
        server, clock, db, datetime(2026, 11, 26, 7, 0, tzinfo=BERLIN), "Europe/Berlin"
    ) as chat:
        today = await chat.say("/today", "Today")
        assert "08:00 🧘 Facial yoga — 🕒 later today" in today
        view = chat.last("Today")
        await chat.press(view, "✅ Facial yoga 08:00")
        assert "Facial yoga — ✅ done" in (view.text or "")
        assert "✅ Facial yoga 08:00" not in view.button_labels

        await chat.at(datetime(2026, 11, 26, 9, 0, 5, tzinfo=BERLIN))
        assert chat.nudges("Calcium")
        assert not chat.nudges("Facial yoga")
