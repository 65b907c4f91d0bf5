"""/summary on, off and alone, end to end: a stopped weekly summary can be turned back on."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.fakeapi import FakeBotApi
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, VirtualClock, onboarded, texts_to

BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY = datetime(2026, 11, 26, 7, 0, tzinfo=BERLIN)
SUNDAY_EVENING = datetime(2026, 11, 29, 19, 0, 5, tzinfo=BERLIN)


def summaries(api: FakeBotApi) -> list[str]:
    return [t for t in texts_to(api, USER) if "Your week" in t]


async def test_summary_off_then_on_again_from_the_next_sunday(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, THURSDAY, "Europe/Berlin") as chat:
        api, bot = chat.api, chat.bot
        commands = api.commands[next(iter(api.commands))]
        assert "summary" in {c["command"] for c in commands}
        assert "/summary — weekly summary" in await chat.say("/help", "What I can do")

        state = await chat.say("/summary", "Weekly summary is on")
        assert "Sundays at 19:00, next Sun 29 Nov" in state

        refused = await chat.say("/summary maybe", "Nothing was changed")
        assert "/summary on" in refused
        user = await bot.services.repo.get_user(USER)
        assert user is not None
        assert user.weekly_summary

        await chat.say("/summary off", "no more weekly summaries")
        assert "Weekly summary is off" in await chat.say("/summary", "Weekly summary")
        await chat.at(SUNDAY_EVENING)
        assert summaries(api) == []

        on = await chat.say("/summary on", "Weekly summary is on")
        assert "the next one comes Sun 06 Dec at 19:00" in on
        await chat.at(SUNDAY_EVENING + timedelta(days=7))
        assert len(summaries(api)) == 1
