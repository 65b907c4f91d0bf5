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

from bot.fakeapi import FakeBotApi
from bot.repo import USER_TABLES
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    USER,
    RunningBot,
    VirtualClock,
    jump,
    make_settings,
    nudges_for,
    onboard,
    wait_text,
)

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY_EVENING = datetime(2026, 11, 29, 19, 0, 5, tzinfo=BERLIN)
QUERY = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
FULL_SCAN = re.compile(rf"^SCAN ({'|'.join(USER_TABLES)})\b(?! USING (COVERING )?INDEX)")


async def say(api: FakeBotApi, text: str, expect: str) -> None:
    since = len(api.messages(USER))
    api.send_text(USER, text)
    await wait_text(api, expect, since)


async def press(api: FakeBotApi, message_id: int, label: str) -> None:
    mark = api.mark()
    message = api.message(USER, message_id)
    api.press(USER, message_id, message.callback_data_for(label))
    await api.wait_for_call("answerCallbackQuery", after=mark)


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
    api = server.api
    statements: set[str] = set()
    eight = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    clock.set(eight - timedelta(hours=1))
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        other_users(db, 3000)
        await bot.services.repo.trace(statements.add)
        await onboard(api, "Europe/Berlin")
        await say(api, "/timezone Europe/Berlin", "Your plan")
        for text, expect in (
            ("/plan", "Your plan"),
            ("/set moisturize 08:00 21:00", "08:00"),
            ("/off supplements", "off"),
            ("/on supplements", "on"),
            ("/snooze 15", "15"),
            ("/nag 20 2", "20"),
            ("/today", "Today"),
        ):
            await say(api, text, expect)
        today = api.last_message(USER)
        await press(api, today.message_id, today.button_labels[0])

        await jump(bot, clock, eight + timedelta(seconds=2))
        await api.wait_for(lambda: len(nudges_for(api, "Facial yoga")) == 1)
        yoga = nudges_for(api, "Facial yoga")[0]
        await press(api, yoga, "⏰ Snooze")
        await jump(bot, clock, eight + timedelta(minutes=16))  # the snooze comes back
        await api.wait_for(lambda: len(nudges_for(api, "Facial yoga")) == 2)
        await press(api, nudges_for(api, "Facial yoga")[-1], "✅ Done")
        await press(api, nudges_for(api, "Facial yoga")[-1], "⏭ Skip")  # already recorded
        await jump(bot, clock, eight + timedelta(minutes=40))  # a nag of another routine
        api.send_text(USER, "felt good", reply_to=yoga)
        await wait_text(api, "Note saved")

        await say(api, "/pause 2", "")
        await say(api, "/resume", "")
        await say(api, "/stats", "")
        await say(api, "/export", "")
        await jump(bot, clock, eight + timedelta(days=1, hours=1))  # yesterday's nudges expire
        await jump(bot, clock, SUNDAY_EVENING)  # the weekly summary
        await api.wait_for(lambda: "week" in (api.last_message(USER).text or "").lower())
        await bot.services.repo.release_stale(None, clock())  # what start-up runs
        api.block(USER)
        await api.wait_until_idle()
        api.unblock(USER)
        await say(api, "/forget", "")
        forget = api.last_message(USER)
        await press(api, forget.message_id, forget.button_labels[0])
        await api.wait_until_idle()

    queries = sorted(s for s in statements if QUERY.match(s))
    assert len(queries) > 30  # the flow above really ran the bot's statements
    scans: list[str] = []
    with closing(sqlite3.connect(db)) as conn:
        for sql in queries:
            plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            scans += [f"{row[3]}  <-  {sql}" for row in plan if FULL_SCAN.match(row[3])]
    assert scans == []
