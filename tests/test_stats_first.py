"""/stats for a brand-new user, and the one line that says what habit strength is."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    VirtualClock,
    onboarded,
)

BERLIN = ZoneInfo("Europe/Berlin")
EIGHT = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)


async def test_new_user_gets_a_friendly_first_answer_then_a_chart_that_explains_strength(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        api = chat.api

        first = await chat.say("/stats", "Nothing to chart yet")
        assert "your first nudge: 🧘 Facial yoga, Thu 26 Nov at 08:00." in first
        assert "streak 0" not in first
        assert "0%" not in first
        assert "habit strength" in first
        assert api.calls_to("sendPhoto") == []

        await chat.say("/off all", "All your routines are off")
        assert "/on all" in await chat.say("/stats", "Nothing to chart yet")
        await chat.say("/on all", "All your routines are on")

        await chat.at(EIGHT + timedelta(seconds=2))
        assert chat.nudges("Facial yoga")
        await chat.say("done", "Nice work")

        caption = await chat.say("/stats", "Your stats")
        assert "Facial yoga\n  streak 1 (best 1)" in caption
        strength_lines = [line for line in caption.splitlines() if "Strength" in line]
        assert len(strength_lines) == 1
        assert "each done day raises it, each missed day lowers it" in strength_lines[0]
