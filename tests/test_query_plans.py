"""Every query the dispatcher and the handlers run finds its rows through an index.

The test drives the real bot through every feature while the repository reports each statement
it runs, then asks SQLite for each one's plan. A plan step that scans a whole table of users,
plans or nudges would cost a full pass over 100,000 users' rows on every such update or tick.
The bot never runs ANALYZE, so SQLite plans from the schema alone and these plans are the ones
a 100,000-user database gets; the database here also holds a few thousand other users' rows.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.repo import USER_TABLES
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, VirtualClock, newcomer

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY_EVENING = datetime(2026, 11, 29, 19, 0, 5, tzinfo=BERLIN)
QUERY = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
FULL_SCAN = re.compile(rf"^SCAN ({'|'.join(USER_TABLES)})\b(?! USING (COVERING )?INDEX)")


def other_users(db: Path, count: int) -> None:
    """Rows of other users, so a table scan would have something to scan."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.executemany(
            "INSERT INTO users (user_id, chat_id, zone, joined_at) VALUES (?, ?, 'UTC', 0)",
            [(u, u) for u in range(1, count + 1)],
        )
        conn.executemany(
            "INSERT INTO routines (user_id, routine) VALUES (?, 'yoga')",
            [(u,) for u in range(1, count + 1)],
        )
        conn.executemany(
            "INSERT INTO slots (user_id, routine, local_time, next_due) "
            "VALUES (?, 'yoga', '08:00', ?)",
            [(u, 4_000_000_000 + u) for u in range(1, count + 1)],
        )


async def test_every_query_of_the_dispatcher_and_the_handlers_uses_an_index(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    statements: set[str] = set()
    eight = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    async with newcomer(server, clock, db, eight - timedelta(hours=1)) as chat:
        api, bot = chat.api, chat.bot
        other_users(db, 3000)
        await bot.services.repo.trace(statements.add)  # from the start: onboarding runs queries
        await chat.say("/start", expect="Which time zone")
        await chat.say("Europe/Berlin", expect="Your plan")
        await chat.say("/timezone Europe/Berlin", expect="Your plan")
        for text, expect in (
            ("/plan", "Your plan"),
            ("/set moisturize 08:00 21:00", "08:00"),
            ("/off supplements", "off"),
            ("/on supplements", "on"),
            ("/snooze 15", "15"),
            ("/nag 20 2", "20"),
            ("/today", "Today"),
        ):
            await chat.say(text, expect=expect)
        today = chat.last("Today")
        await chat.press(today, today.button_labels[0])

        await chat.at(eight + timedelta(seconds=2))
        await api.wait_for(lambda: len(chat.nudges("Facial yoga")) == 1)
        yoga = chat.nudges("Facial yoga")[0]
        await chat.press(yoga, "⏰ Snooze")
        await chat.at(eight + timedelta(minutes=16))  # the snooze comes back
        await api.wait_for(lambda: len(chat.nudges("Facial yoga")) == 2)
        snoozed = chat.nudges("Facial yoga")[-1]
        # two presses at once (Chat presses one at a time): the second finds it already recorded
        for button in ("✅ Done", "⏭ Skip"):
            api.press(USER, snoozed.message_id, snoozed.callback_data_for(button))
        await api.wait_until_idle()
        await chat.at(eight + timedelta(minutes=40))  # a nag of another routine
        await chat.reply(yoga, "felt good", expect="Note saved")

        await chat.say("/pause 2", expect="")
        await chat.say("/resume", expect="")
        await chat.say("/stats", expect="")
        await chat.say("/export", expect="")
        await chat.at(eight + timedelta(days=1, hours=1))  # yesterday's nudges expire
        await chat.at(SUNDAY_EVENING)  # the weekly summary
        await api.wait_for(lambda: "week" in (api.last_message(USER).text or "").lower())
        await bot.services.repo.release_stale(None, clock())  # what start-up runs
        api.block(USER)
        await api.wait_until_idle()
        api.unblock(USER)
        await chat.say("/forget", expect="Delete it all?")
        forget = chat.last("Delete it all?")
        await chat.press(forget, forget.button_labels[0])

    queries = sorted(s for s in statements if QUERY.match(s))
    assert len(queries) > 30  # the flow above really ran the bot's statements
    scans: list[str] = []
    with closing(sqlite3.connect(db)) as conn:
        for sql in queries:
            plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            scans += [f"{row[3]}  <-  {sql}" for row in plan if FULL_SCAN.match(row[3])]
    assert scans == []
