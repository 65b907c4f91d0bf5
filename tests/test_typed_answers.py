"""Typed answers end to end: "done" replied to a nudge, "done"/"skip" typed on their own."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import texts
from schedules.nudges import Outcome
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, RunningBot, VirtualClock, onboarded, texts_to

BERLIN = ZoneInfo("Europe/Berlin")
EIGHT = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
NINE = EIGHT + timedelta(hours=1)


async def outcomes(bot: RunningBot) -> dict[Routine, Outcome]:
    return {n.routine: n.outcome for n in await bot.services.repo.nudges_on(USER, EIGHT.date())}


async def test_a_reply_that_is_only_an_answer_records_it_like_the_button(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        bot = chat.bot
        await chat.at(EIGHT + timedelta(seconds=2))
        yoga = chat.nudges("Facial yoga")[0]

        ack = await chat.reply(yoga, "Did it ✅", "Nice work")
        assert ack == "🧘 Facial yoga · 08:00: Nice work! ✅"
        assert "✅ done" in (yoga.text or "")
        assert yoga.button_labels == []
        assert (await outcomes(bot))[Routine.YOGA] is Outcome.DONE
        assert [n.note for n in await bot.services.repo.history(USER)] == [None]

        await chat.reply(yoga, "done, but my jaw is sore", "Note saved")
        (stored,) = await bot.services.repo.history(USER)
        assert stored.note == "done, but my jaw is sore"
        assert stored.outcome is Outcome.DONE

        await chat.at(NINE + timedelta(seconds=2))
        pills = chat.nudges("Calcium")[0]
        assert await chat.reply(pills, "later", "Snoozed")
        assert "snoozed until 09:30" in (pills.text or "")
        assert "✅ Done" in pills.button_labels
        await chat.at(NINE + timedelta(minutes=30, seconds=5))
        again = chat.nudges("Calcium")
        assert len(again) == 2

        await chat.reply(again[-1], "SKIP!", "rest days count too")
        assert "⏭ skipped" in (again[-1].text or "")
        assert (await outcomes(bot))[Routine.SUPPLEMENTS] is Outcome.SKIPPED

        # a second typed answer changes nothing, exactly like a second press
        repeat = await chat.reply(again[-1], "done", "Already recorded")
        assert texts.OUTCOME_LABELS[Outcome.SKIPPED] in repeat
        assert (await outcomes(bot))[Routine.SUPPLEMENTS] is Outcome.SKIPPED


async def test_done_or_skip_typed_alone_answers_the_latest_open_nudge(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        bot = chat.bot
        none_yet = await chat.say("done", "no open nudge")
        assert "mark done" in none_yet
        assert await bot.services.repo.history(USER) == []

        await chat.at(EIGHT + timedelta(seconds=2))
        await chat.at(NINE + timedelta(seconds=2))
        pills = chat.nudges("Calcium")[0]
        yoga = chat.nudges("Facial yoga")[0]

        assert (
            await chat.say("Done.", "Nice work") == "💊 Calcium + vitamin D · 09:00: Nice work! ✅"
        )
        assert "✅ done" in (pills.text or "")
        assert await outcomes(bot) == {
            Routine.YOGA: Outcome.PENDING,
            Routine.SUPPLEMENTS: Outcome.DONE,
        }

        await chat.say("skip", "Facial yoga · 08:00: Skipped")
        assert "⏭ skipped" in (yoga.text or "")
        assert yoga.button_labels == []

        nothing_left = await chat.say("Skip", "no open nudge", only=True)
        assert "to skip" in nothing_left
        assert await outcomes(bot) == {
            Routine.YOGA: Outcome.SKIPPED,
            Routine.SUPPLEMENTS: Outcome.DONE,
        }

        today = await chat.say("/today", "Today")
        assert "Facial yoga — ⏭ skipped" in today
        assert "Calcium + vitamin D — ✅ done" in today


async def test_done_typed_after_deleting_the_nudge_still_counts(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        bot = chat.bot
        await chat.at(EIGHT + timedelta(seconds=2))
        chat.nudges("Facial yoga")[0].deleted = True  # gone from the chat

        assert await chat.say("did it", "Nice work") == "🧘 Facial yoga · 08:00: Nice work! ✅"
        assert (await outcomes(bot))[Routine.YOGA] is Outcome.DONE
        assert not [t for t in texts_to(chat.api, USER) if "went wrong" in t]
