"""Every planned time is kept: users' stories over several simulated days, over real HTTP."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import texts
from bot.clock import VirtualClock
from schedules.nudges import Outcome
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, Chat, onboarded, texts_to

BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY = datetime(2026, 11, 26, tzinfo=BERLIN)
MOISTURIZING = texts.ROUTINE_NAMES[Routine.MOISTURIZE]
YOGA = texts.ROUTINE_NAMES[Routine.YOGA]


def row(at: str, routine: Routine, state: str) -> str:
    """A line of /today."""
    return f"{at} {texts.ROUTINE_ICONS[routine]} {texts.ROUTINE_NAMES[routine]} — {state}"


def berliner(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, start: datetime
) -> AbstractAsyncContextManager[Chat]:
    """A user onboarded in Berlin at ``start`` with the default plan."""
    return onboarded(server, clock, db, start, "Europe/Berlin")


async def outcomes_on(chat: Chat, day: date) -> dict[tuple[Routine, str], Outcome]:
    return {
        (n.routine, f"{n.local_time:%H:%M}"): n.outcome
        for n in await chat.bot.services.repo.nudges_on(USER, day)
    }


async def test_morning_and_evening_moisturizing_both_come_every_day(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with berliner(server, clock, db, THURSDAY.replace(hour=7)) as chat:
        await chat.say("/set moisturize 08:00 21:30", "08:00, 21:30")
        for day in range(3):
            morning = THURSDAY.replace(hour=8) + timedelta(days=day, seconds=2)
            await chat.at(morning)
            assert len(chat.nudges(MOISTURIZING)) == 2 * day + 1
            await chat.press(chat.nudges(MOISTURIZING)[-1], texts.BUTTON_DONE)
            await chat.at(morning.replace(hour=21, minute=30))
            assert len(chat.nudges(MOISTURIZING)) == 2 * day + 2
            await chat.press(chat.nudges(MOISTURIZING)[-1], texts.BUTTON_DONE)
        clock.set(THURSDAY.replace(hour=23, minute=59) + timedelta(days=2))
        today = await chat.say("/today", "Today")
        assert row("08:00", Routine.MOISTURIZE, "✅ done") in today
        assert row("21:30", Routine.MOISTURIZE, "✅ done") in today
        for day in range(3):
            done = await outcomes_on(chat, (THURSDAY + timedelta(days=day)).date())
            assert done[(Routine.MOISTURIZE, "08:00")] is Outcome.DONE
            assert done[(Routine.MOISTURIZE, "21:30")] is Outcome.DONE


async def test_a_new_time_after_done_early_is_still_nudged(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with berliner(server, clock, db, THURSDAY.replace(hour=7)) as chat:
        today = await chat.say("/today", "Today")
        assert row("08:00", Routine.YOGA, "🕒 later today") in today
        view = chat.last("Today")
        await chat.press(view, texts.done_early_button(Routine.YOGA, time(8, 0)))
        said = await chat.say("/set yoga 08:00 10:00", "set to")
        assert "Next: Thu 26 Nov 10:00" in said
        await chat.at(THURSDAY.replace(hour=10, second=2))
        assert len(chat.nudges(YOGA)) == 1


async def test_a_snooze_at_2350_comes_back_after_midnight_and_counts_for_its_day(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with berliner(server, clock, db, THURSDAY.replace(hour=22)) as chat:
        await chat.say("/set moisturize 23:50", "23:50")
        await chat.at(THURSDAY.replace(hour=23, minute=50, second=2))
        toast = await chat.press(chat.nudges(MOISTURIZING)[-1], texts.BUTTON_SNOOZE)
        assert toast == texts.press_ack(Outcome.SNOOZED, True, Outcome.SNOOZED)
        friday = THURSDAY + timedelta(days=1)
        await chat.at(friday.replace(minute=5))
        assert len(chat.nudges(MOISTURIZING)) == 1
        await chat.at(friday.replace(minute=20, second=5))
        copies = chat.nudges(MOISTURIZING)
        assert len(copies) == 2
        assert "Sent again below" in (copies[0].text or "")
        assert (await outcomes_on(chat, THURSDAY.date()))[
            (Routine.MOISTURIZE, "23:50")
        ] is Outcome.PENDING
        today = await chat.say("/today", "Today")
        assert row("23:50", Routine.MOISTURIZE, "🕒 later today") in today  # Friday's own 23:50
        await chat.press(copies[1], texts.BUTTON_DONE)
        assert (await outcomes_on(chat, THURSDAY.date()))[
            (Routine.MOISTURIZE, "23:50")
        ] is Outcome.DONE


async def test_today_plan_and_set_tell_the_truth_after_time_zone_and_pause_changes(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with berliner(server, clock, db, THURSDAY.replace(hour=10)) as chat:
        said = await chat.say("/set yoga 09:00", "set to 09:00")
        assert "Next: Fri 27 Nov 09:00" in said
        today = await chat.say("/today", "Today")
        assert row("09:00", Routine.YOGA, "🚫 not sent") in today
        assert row("21:00", Routine.MOISTURIZE, "🕒 later today") in today

        await chat.say("/timezone Asia/Tokyo", "Asia/Tokyo")  # 18:00 there
        today = await chat.say("/today", "Today")
        assert row("09:00", Routine.YOGA, "🚫 not sent") in today
        assert row("21:00", Routine.MOISTURIZE, "🕒 later today") in today
        assert "later today" not in today.split(MOISTURIZING)[0]

        await chat.say("/pause 3", "Paused")
        plan = await chat.say("/plan", "Your plan")
        assert f"{YOGA}: 09:00 — next Mon 30 Nov 09:00" in plan
        said = await chat.say("/set yoga 07:00", "set to 07:00")
        assert "Next: Mon 30 Nov 07:00" in said
        today = await chat.say("/today", "Today")
        assert row("21:00", Routine.MOISTURIZE, "🏖 paused") in today

        await chat.say("/pause", "Paused")
        plan = await chat.say("/plan", "Your plan")
        assert f"{YOGA}: 07:00 — paused" in plan
        await chat.say("/resume", "Welcome back")
        plan = await chat.say("/plan", "Your plan")
        assert f"{YOGA}: 07:00 — next Fri 27 Nov 07:00" in plan


async def test_no_weekly_summary_while_on_holiday_or_with_every_routine_off(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    sunday = THURSDAY + timedelta(days=3)
    async with berliner(server, clock, db, THURSDAY.replace(hour=12)) as chat:
        await chat.say("/pause 5", "Paused")
        await chat.at(sunday.replace(hour=19, second=5))
        assert not [t for t in texts_to(chat.api, USER) if "Your week" in t]
        await chat.say("/resume", "Welcome back")
        await chat.say("/off all", "off")
        await chat.at(sunday.replace(hour=19, second=5) + timedelta(days=7))
        assert not [t for t in texts_to(chat.api, USER) if "Your week" in t]
        await chat.say("/on all", "on")
        await chat.at(sunday.replace(hour=19, second=5) + timedelta(days=14))
        assert len([t for t in texts_to(chat.api, USER) if "Your week" in t]) == 1


async def test_a_press_on_a_three_day_old_nudge_is_too_old_and_changes_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with berliner(server, clock, db, THURSDAY.replace(hour=7)) as chat:
        for day in range(4):
            await chat.at(THURSDAY.replace(hour=8, second=5) + timedelta(days=day))
        old, _, yesterday, _ = chat.nudges(YOGA)
        toast = await chat.press(old, texts.BUTTON_DONE)
        assert toast == texts.TOO_OLD
        assert (await outcomes_on(chat, THURSDAY.date()))[(Routine.YOGA, "08:00")] is (
            Outcome.MISSED
        )
        # yesterday's is still answerable
        toast = await chat.press(yesterday, texts.BUTTON_DONE)
        assert toast == texts.press_ack(Outcome.DONE, True, Outcome.DONE)


async def test_a_note_stops_the_nagging(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with berliner(server, clock, db, THURSDAY.replace(hour=7)) as chat:
        await chat.say("/nag 20 3", "every 20 min")
        # a nag counts from when the nudge went out, which can be a second late (1 msg/s a chat)
        await chat.at(THURSDAY.replace(hour=8, second=5))
        await chat.at(THURSDAY.replace(hour=8, minute=20, second=30))
        assert len(chat.nudges(YOGA)) == 2
        await chat.say("did half of it", "Note saved", reply_to=chat.nudges(YOGA)[-1].message_id)
        for minutes in (40, 60, 80):
            await chat.at(THURSDAY.replace(hour=8, second=30) + timedelta(minutes=minutes))
        assert len(chat.nudges(YOGA)) == 2


async def test_an_emergency_written_as_a_reply_to_a_nudge_gets_help_and_is_kept_as_a_note(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with berliner(server, clock, db, THURSDAY.replace(hour=7)) as chat:
        await chat.at(THURSDAY.replace(hour=8, second=5))
        nudge = chat.nudges(YOGA)[-1]
        message = "did it but now one side of my face is numb"
        await chat.say(message, "Please get medical help now", reply_to=nudge.message_id)
        await chat.api.wait_for(lambda: "Note saved" in (chat.api.last_message(USER).text or ""))
        [stored] = [
            n for n in await chat.bot.services.repo.history(USER) if n.routine is Routine.YOGA
        ]
        assert stored.note == message
