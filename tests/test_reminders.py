"""Snooze length, repeat-until-answered (/nag) and the weekly summary, end to end."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, VirtualClock, onboarded, texts_to

BERLIN = ZoneInfo("Europe/Berlin")
EIGHT = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)


async def test_snooze_waits_the_chosen_minutes_and_keeps_the_daily_time(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        await chat.say("/snooze 15", "Snooze now waits 15 minutes")
        await chat.at(EIGHT + timedelta(seconds=2))
        [nudge] = chat.nudges("Facial yoga")
        await chat.press(nudge, "⏰ Snooze", expect="snoozed until 08:15")

        await chat.at(EIGHT + timedelta(minutes=14))
        assert len(chat.nudges("Facial yoga")) == 1
        await chat.at(EIGHT + timedelta(minutes=15, seconds=5))
        assert len(chat.nudges("Facial yoga")) == 2

        plan = await chat.say("/plan", "Your plan")
        assert "Facial yoga: 08:00 — next Fri 27 Nov 08:00" in plan


async def test_nag_resends_an_unanswered_nudge_at_most_n_times(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        await chat.say("/nag 20 2", "every 20 min, at most 2 times")
        await chat.at(EIGHT + timedelta(seconds=2))
        for minutes in (20, 40, 60, 80):
            await chat.at(EIGHT + timedelta(minutes=minutes, seconds=2))
        copies = chat.nudges("Facial yoga")
        assert len(copies) == 3
        # only the newest copy keeps its buttons; the older ones point to it
        assert ["Sent again below" in (c.text or "") for c in copies] == [True, True, False]
        assert [c.reply_markup is not None for c in copies] == [False, False, True]
        assert "(again)" in (copies[-1].text or "")

        await chat.say("/nag off", "won't be re-sent")
        await chat.at(EIGHT + timedelta(days=1, seconds=2))
        await chat.at(EIGHT + timedelta(days=1, minutes=21))
        assert len(chat.nudges("Facial yoga")) == 4


async def test_weekly_summary_on_sunday_evening_and_its_opt_out(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    thursday = EIGHT - timedelta(hours=1)
    async with onboarded(server, clock, db, thursday, "Europe/Berlin") as chat:
        api = chat.api
        await chat.say("/off moisturize", "Moisturizing is off")
        await chat.say("/off supplements", "Calcium + vitamin D is off")
        await chat.at(EIGHT + timedelta(seconds=2))
        [nudge] = chat.nudges("Facial yoga")
        await chat.press(nudge, "✅ Done", expect="✅ done")

        for day in (1, 2, 3):  # the bot runs on: Friday's to Sunday's nudges go out unanswered
            await chat.at(EIGHT + timedelta(days=day, seconds=2))
        sunday = datetime(2026, 11, 29, 19, 0, 5, tzinfo=BERLIN)
        await chat.at(sunday - timedelta(minutes=1))
        assert not [t for t in texts_to(api, USER) if "Your week" in t]
        await chat.at(sunday)
        summary = chat.last("Your week")
        # Thu done; Fri and Sat missed; Sunday's is still open, so it doesn't count yet
        assert "Your week: 33% of your nudges done." in (summary.text or "")
        await chat.press(summary, "Stop weekly summaries")
        await api.wait_for(lambda: not summary.button_labels)

        await chat.at(sunday + timedelta(days=7))
        weekly = [m for m in api.messages(USER) if "Your week" in (m.text or "")]
        assert len(weekly) == 1


async def test_nothing_is_resent_while_paused(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        bot = chat.bot
        await chat.say("/nag 20 3", "every 20 min")
        await chat.at(EIGHT + timedelta(seconds=2))
        await chat.say("/pause 2", "Paused until")
        await chat.at(EIGHT + timedelta(minutes=21))
        await chat.at(EIGHT + timedelta(days=1, seconds=2))
        assert len(chat.nudges("Facial yoga")) == 1
        first = await bot.services.repo.nudges_on(USER, EIGHT.date())
        # the holiday doesn't count against the nudge that was waiting for its re-send
        assert {n.routine.value: n.outcome.value for n in first}["yoga"] == "paused"


async def test_pause_without_days_lasts_until_resume(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        await chat.say("/pause", "Paused until you send /resume")
        plan = await chat.say("/plan", "Your plan")
        assert "Paused until you send /resume" in plan
        await chat.at(EIGHT + timedelta(days=30, seconds=2))
        assert chat.nudges("") == []
        await chat.say("/resume", "Welcome back")
        await chat.at(EIGHT + timedelta(days=31, seconds=2))
        assert len(chat.nudges("Facial yoga")) == 1
