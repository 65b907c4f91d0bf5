"""The core story end to end, over real HTTP against the Bot API stand-in on 127.0.0.1."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, VirtualClock, newcomer, onboarded, texts_to

KATHMANDU = ZoneInfo("Asia/Kathmandu")


async def test_new_user_gets_welcome_disclaimer_zone_question_and_default_plan(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db) as chat:
        api = chat.api
        await chat.say("/start", expect="Which time zone")
        plan = await chat.say("kathmandu", expect="Your plan")
        assert "not medical advice" in texts_to(api, USER)[0]
        assert "Asia/Kathmandu" in plan
        assert "08:00" in plan
        assert "09:00" in plan
        assert "21:00" in plan
        commands = api.commands[next(iter(api.commands))]
        assert {c["command"] for c in commands} >= {"start", "plan", "set", "today", "faq"}


async def test_kathmandu_nudge_on_time_done_note_and_restart_without_repeat(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    due = datetime(2026, 11, 26, 8, 30, tzinfo=KATHMANDU)
    async with onboarded(server, clock, db, due - timedelta(minutes=5), "Asia/Kathmandu") as chat:
        # the time is set 1.5 s before it falls due, however long onboarding took
        clock.set(due - timedelta(seconds=1.5))
        await chat.say("/set yoga 08:30", expect="Facial yoga set to 08:30")
        await api.wait_for(lambda: bool(chat.nudges("Facial yoga")), timeout=10)
        lateness = clock() - due
        assert timedelta(0) <= lateness < timedelta(seconds=5)

        [nudge] = chat.nudges("Facial yoga")
        await chat.press(nudge, "✅ Done")
        assert chat.last("✅ done").message_id == nudge.message_id
        assert api.message(USER, nudge.message_id).reply_markup in (None, {"inline_keyboard": []})

        await chat.reply(nudge, "felt great, jaw a bit sore", expect="Note saved")

        sent_before = len(chat.nudges("Facial yoga"))
        await chat.restart()
        plan = await chat.say("/plan", expect="Your plan")
        assert "Facial yoga: 08:30" in plan
        await chat.say("/export", expect="Your records")
        assert len(chat.nudges("Facial yoga")) == sent_before == 1
        doc = chat.last("Your records").document
        assert doc is not None
        assert doc.data is not None
        rows = list(csv.DictReader(io.StringIO(doc.data.decode("utf-8-sig"))))
        yoga = [r for r in rows if r["routine"] == "yoga"]
        assert yoga == [
            {
                **yoga[0],
                "date": "2026-11-26",
                "scheduled": "08:30",
                "outcome": "done",
                "note": "felt great, jaw a bit sore",
            }
        ]
        assert yoga[0]["due"].startswith("2026-11-26T08:30+05:45")


async def test_downtime_nudge_sent_once_on_start_within_catch_up_and_missed_beyond(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    start = datetime(2026, 11, 26, 7, 0, tzinfo=KATHMANDU)
    async with onboarded(server, clock, db, start, "Asia/Kathmandu") as chat:
        api = chat.api
        await chat.say("/set yoga 07:30", expect="Facial yoga set to 07:30")
        await chat.say("/set supplements 04:00 07:45", expect="Calcium + vitamin D set to")

        # down from 07:00 to 08:10: yoga (07:30) and supplements (07:45) are within the 2 h window
        await chat.restart(at=datetime(2026, 11, 26, 8, 10, tzinfo=KATHMANDU))
        await api.wait_for(lambda: bool(chat.nudges("Calcium")), timeout=5)
        await api.wait_for(lambda: bool(chat.nudges("Facial yoga")), timeout=5)
        await api.wait_until_idle()
        assert len(chat.nudges("Facial yoga")) == 1
        assert len(chat.nudges("Calcium")) == 1

        # a third start sends nothing again
        await chat.restart()
        await api.wait_until_idle()
        assert len(chat.nudges("Facial yoga")) == 1
        history = await chat.bot.services.repo.history(USER)
        assert [
            (n.routine.value, n.local_time.strftime("%H:%M"), n.outcome.value) for n in history
        ] == [
            ("yoga", "07:30", "pending"),
            ("supplements", "07:45", "pending"),
        ]
