"""Weekday plans end to end over HTTP: /set with days, /plan, /today, the dispatcher, /stats."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import texts
from bot.clock import VirtualClock
from bot.repo import MIGRATIONS, PlanEntry, Repository
from schedules.recurrence import EVERY_DAY
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, Chat, RunningBot, onboarded

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY_EVENING = datetime(2026, 11, 29, 20, 0, tzinfo=BERLIN)
"""A Sunday; the week after it runs Mon 30 Nov to Sun 6 Dec 2026."""


def morning(day: int, minute: int = 30) -> datetime:
    """07:<minute> (and a few seconds) Berlin time on ``day`` December 2026, or 30 November."""
    month, day = (11, 30) if day == 30 else (12, day)
    return datetime(2026, month, day, 7, minute, 2, tzinfo=BERLIN)


async def press_done(chat: Chat) -> None:
    """Press ✅ Done on the newest facial-yoga nudge and wait for its edit."""
    await chat.press(chat.nudges("Facial yoga")[-1], "✅ Done", expect="✅ done")


async def yoga(bot: RunningBot) -> PlanEntry:
    """The stored facial-yoga entry of the user's plan."""
    return {e.routine: e for e in await bot.services.repo.get_plan(USER)}[Routine.YOGA]


async def test_mon_wed_fri_sends_nothing_on_off_days_and_keeps_the_streak(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, SUNDAY_EVENING, "Europe/Berlin") as chat:
        bot = chat.bot
        await chat.say("/off all", "All your routines are off")
        confirmed = await chat.say("/set yoga 07:30 mon wed fri", "set to")
        assert "Facial yoga set to 07:30 on Mon Wed Fri. Next: Mon 30 Nov 07:30." in confirmed
        plan = await chat.say("/plan", "Your plan")
        assert "Facial yoga: 07:30 Mon Wed Fri — next Mon 30 Nov 07:30" in plan

        sent_on: list[str] = []
        for day in (30, 1, 2, 3, 4):
            await chat.at(morning(day))
            count = len(chat.nudges("Facial yoga"))
            if count > len(sent_on):
                sent_on.append(f"{morning(day):%a}")
                await press_done(chat)
            if day == 1:
                today = await chat.say("/today", "Today")
                assert "Tuesday 01 December" in today
                assert "Facial yoga rests today (Mon Wed Fri, next Wed 02 Dec 07:30)" in today
                assert "✅ Facial yoga" not in str(chat.last("Today").reply_markup)
        assert sent_on == ["Mon", "Wed", "Fri"]
        stored = await bot.services.repo.history(USER)
        assert {n.local_date for n in stored} == {
            date(2026, 11, 30),
            date(2026, 12, 2),
            date(2026, 12, 4),
        }

        await chat.at(morning(5, minute=45))
        caption = await chat.say("/stats", "Your stats")
        assert "Facial yoga\n  streak 3 (best 3) · 7 days 100% · 30 days 100%" in caption


async def test_days_change_alone_times_change_alone_and_daily_goes_back(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, SUNDAY_EVENING, "Europe/Berlin") as chat:
        bot = chat.bot

        answer = await chat.say("/set yoga weekends", "set to")
        assert "Facial yoga set to 08:00 on Sat Sun. Next: Sat 05 Dec 08:00." in answer
        assert (await yoga(bot)).days == frozenset({5, 6})

        answer = await chat.say("/set face yoga 07:00, 19:00", "set to")
        assert "Facial yoga set to 07:00, 19:00 on Sat Sun." in answer
        assert (await yoga(bot)).days == frozenset({5, 6})

        answer = await chat.say("/set yoga 7:00 mon-fri", "set to")
        assert "on Mon–Fri. Next: Mon 30 Nov 07:00." in answer
        answer = await chat.say("/set moisturize 08:00 21:30 daily", "set to")
        assert "Moisturizing set to 08:00, 21:30. Next: Sun 29 Nov 21:30." in answer
        plan = await chat.say("/plan", "Your plan")
        assert "Facial yoga: 07:00 Mon–Fri — next Mon 30 Nov 07:00" in plan
        assert "Moisturizing: 08:00, 21:30 — next Sun 29 Nov 21:30" in plan

        await chat.say("/set yoga 08:00 weekends", "set to")
        # Sunday 20:00 in Berlin is Monday 04:00 in Tokyo: the next weekend morning is Saturday's
        await chat.say("/timezone Asia/Tokyo", "Time zone set to")
        tokyo = datetime(2026, 12, 5, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
        assert (await yoga(bot)).next_due == tokyo

        await chat.say("/set yoga 07:00 daily", "set to")
        assert (await yoga(bot)).days == EVERY_DAY


async def test_bad_days_get_a_clear_answer_and_change_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, SUNDAY_EVENING, "Europe/Berlin") as chat:
        bot = chat.bot
        await chat.say("/set yoga 07:30 mon wed fri", "set to")
        before = await bot.services.repo.get_plan(USER)

        refused = await chat.say("/set yoga 8:00 funday", "Nothing was changed")
        assert "“funday” isn't a time I understand, nor a day" in refused
        assert "mon wed fri" in refused
        refused = await chat.say("/set yoga 8:00 mon-funday", "Nothing was changed")
        assert "“mon-funday”" in refused
        refused = await chat.say("/set yoga 25:00 mon", "Nothing was changed")
        assert "“25:00” isn't a time I understand" in refused
        assert "To set times" in await chat.say("/set yoga on", "To set times")
        assert "weekdays" in await chat.say("/set", "To set times")
        assert await bot.services.repo.get_plan(USER) == before

        helped = await chat.say("/help", "What I can do")
        assert "/set — set times and days: /set yoga 07:30 mon wed fri" in helped


async def test_a_wall_clock_jump_keeps_off_days_off(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, SUNDAY_EVENING, "Europe/Berlin") as chat:
        bot = chat.bot
        await chat.say("/set yoga 07:30 wed", "set to")
        await bot.services.dispatcher.tick()
        # the wall clock leaps a day ahead (Monday evening): next due times are derived again,
        # and Tuesday morning, an off day, must not become the next nudge
        clock.step_wall(timedelta(days=1))
        await bot.services.dispatcher.tick()
        assert (await yoga(bot)).next_due == morning(2).replace(second=0)


async def test_a_today_button_for_a_day_that_became_a_rest_day_changes_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, morning(30, minute=0), "Europe/Berlin") as chat:
        bot = chat.bot
        await chat.say("/today", "Today")
        shown = chat.last("Today")
        await chat.say("/set yoga tue thu", "set to")

        assert await chat.press(shown, "✅ Facial yoga 08:00") == texts.STALE_BUTTON
        assert await bot.services.repo.history(USER) == []


async def test_a_plan_stored_before_weekdays_existed_stays_daily(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    version = next(i for i, m in enumerate(MIGRATIONS) if "routines ADD COLUMN days" in m)
    with closing(sqlite3.connect(path)) as db:
        for script in MIGRATIONS[:version]:
            db.executescript(script)
        db.executescript(
            "INSERT INTO users (user_id, chat_id, zone, joined_at) VALUES (1, 1, 'UTC', 0);"
            "INSERT INTO routines (user_id, routine, enabled) VALUES (1, 'yoga', 1);"
            "INSERT INTO slots (user_id, routine, local_time, next_due) "
            "VALUES (1, 'yoga', '08:00', 0);"
        )
        db.execute(f"PRAGMA user_version = {version}")
        db.commit()
    repo = await Repository.open(path)
    try:
        [entry] = await repo.get_plan(1)
        assert (entry.times, entry.days) == ((time(8, 0),), EVERY_DAY)
    finally:
        await repo.close()
