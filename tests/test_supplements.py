"""Supplements against the article's targets end to end: /dose, Done presses, food, /stats."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from schedules.supplements import Dose
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, VirtualClock, onboarded

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 26)
EIGHT = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)


async def test_a_dose_and_three_done_presses_show_the_days_calcium_against_the_target(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        await chat.say("/set supplements 08:00 08:01 08:02", "set to 08:00, 08:01, 08:02")
        reply = await chat.say("/dose calcium 400 vitd 200", "Noted")
        assert "400 mg calcium and 200 IU vitamin D" in reply
        assert "Food counts too" in reply
        assert "I don't give medical advice on doses" in reply

        await chat.at(EIGHT + timedelta(minutes=2, seconds=5))
        assert len(chat.nudges("Calcium")) == 3
        first = chat.nudges("Calcium")[0]
        assert (
            "After this dose: +600 mg from food to reach 1,000 mg calcium; "
            "+300 IU to reach 500 IU vitamin D." in (first.text or "")
        )

        for nudge in chat.nudges("Calcium"):
            await chat.press(nudge, "✅ Done")

        added = await chat.say("+200 IU salmon", "Added 200 IU vitamin D (salmon)")
        assert "So far today: 1,200 mg calcium, 800 IU vitamin D" in added

        caption = await chat.say("/stats", "Your stats")
        assert "Thu 26: 1,200 / 1,000 mg ✅ · 800 IU ✅" in caption
        assert "1,000–1,300 mg calcium and at least 500 IU vitamin D" in caption
        assert "Food counts too" in caption
        assert "I don't give medical advice on doses" in caption
        assert len(caption) <= 1024


async def test_food_counts_and_the_next_nudge_says_what_is_left(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        await chat.say("/set supplements 08:00", "set to 08:00")
        await chat.say("/dose calcium 500 vitd 400 pills 2", "(2 pills)")
        added = await chat.say("+300 mg yogurt", "Added 300 mg calcium (yogurt)")
        assert "So far today: 300 mg calcium, 0 IU vitamin D" in added

        await chat.at(EIGHT + timedelta(seconds=5))
        nudge = chat.nudges("Calcium")[0]
        assert "+200 mg from food to reach 1,000 mg calcium; +100 IU" in (nudge.text or "")

        # a reply to the nudge that is food is food, not a note
        await chat.reply(nudge, "+200 mg cheese", "So far today: 500 mg calcium")
        assert (await chat.bot.services.repo.nudges_on(USER, DAY))[0].note is None


async def test_bad_doses_and_food_get_a_clear_answer_and_change_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        usage = await chat.say("/dose", "No dose is set yet")
        assert "/dose calcium 600 vitd 400" in usage
        await chat.say("/dose calcium 600 vitd 400", "Noted")
        for bad in (
            "/dose calcium lots",
            "/dose vitd 400mg",
            "/dose calcium 90000",
            "/dose iron 5",
        ):
            reply = await chat.say(bad, "Nothing was changed")
            assert "Now each ✅ counts as 600 mg calcium and 400 IU vitamin D" in reply
        for bad in ("+300 yogurt", "+300 g cheese", "+0 mg", "+300 IU calcium"):
            await chat.say(bad, "Nothing was recorded")
        repo = chat.bot.services.repo
        assert await repo.doses(USER) == [(DAY, Dose(600, 400))]
        assert await repo.food_since(USER, DAY) == []
        stats = await chat.say("/stats", "Your stats")
        assert "Thu 26: 0 / 1,000 mg below · 0 IU below" in stats
