"""Time-zone set-up end to end: location, offsets, cities, unknown places, changing zones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, VirtualClock, newcomer


async def test_location_offset_city_and_unknown_zone(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db, datetime(2026, 11, 26, 6, 0, tzinfo=UTC)) as chat:
        api, bot = chat.api, chat.bot
        ask = await chat.say("/start", expect="Which time zone")
        [[button, *_], *_] = chat.last("Which time zone").buttons
        assert button.get("request_location") is True
        assert "not medical advice" in (api.messages(USER)[0].text or "")

        answer = await chat.say("how much calcium do I need?", expect="1,000")
        assert "1,300" in answer
        assert "not medical advice" not in answer  # /start already said it
        assert (await bot.services.repo.get_user(USER)).zone is None  # type: ignore[union-attr]
        assert "Which time zone" in ask

        await chat.say("Mars/Olympus", expect="couldn't find a time zone")
        assert (await bot.services.repo.get_user(USER)).zone is None  # type: ignore[union-attr]

        plan = await chat.share_location(27.7172, 85.3240, expect="Your plan")
        assert "Asia/Kathmandu" in (chat.last("Time zone set").text or "")
        # 06:00 UTC is 11:45 in Kathmandu: today's 08:00 has passed
        assert "Facial yoga: 08:00 — next Fri 27 Nov 08:00" in plan

        await chat.say("/timezone UTC+5:45", expect="Your plan (UTC+05:45)")

        plan = await chat.say("/timezone new york", expect="Your plan (America/New_York)")
        changed = chat.last("Time zone set").text or ""
        assert "America/New_York" in changed
        assert "UTC-05:00" in changed
        # 06:00 UTC is 01:00 in New York: 08:00 is still ahead today there
        assert "Facial yoga: 08:00 — next Thu 26 Nov 08:00" in plan
        user = await bot.services.repo.get_user(USER)
        assert user is not None
        assert user.zone == "America/New_York"
        entries = await bot.services.repo.get_plan(USER)
        yoga = next(e for e in entries if e.routine.value == "yoga")
        assert yoga.next_due == datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
