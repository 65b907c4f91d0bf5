"""Tracking end to end: /today, /stats with its chart, /pause and /resume, /export, /forget."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.fakeapi import FakeBotApi
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    USER,
    VirtualClock,
    nudges_for,
    onboarded,
    wait_text,
)

BERLIN = ZoneInfo("Europe/Berlin")
PNG = b"\x89PNG\r\n\x1a\n"


def _has_nudge(api: FakeBotApi, label: str) -> bool:
    return bool(nudges_for(api, label))


async def press(api: FakeBotApi, label: str, button: str) -> None:
    """Press a button on the newest nudge for a routine and wait for the edit."""
    nudge = api.message(USER, nudges_for(api, label)[-1])
    mark = api.mark()
    api.press(USER, nudge.message_id, nudge.callback_data_for(button))
    await api.wait_for_call("editMessageText", chat_id=USER, after=mark)


async def test_answers_show_in_today_stats_pause_resume_export_and_forget(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(
        server, clock, db, datetime(2026, 11, 26, 7, 59, 50, tzinfo=BERLIN), "Europe/Berlin"
    ) as chat:
        api, bot = chat.api, chat.bot
        for routine in ("supplements", "moisturize"):
            api.send_text(USER, f"/set {routine} 08:00")
            await wait_text(api, "set to 08:00", len(api.messages(USER)))
        for label in ("Facial yoga", "Calcium", "Moisturizing"):
            await api.wait_for(partial(_has_nudge, api, label), timeout=15)
        await press(api, "Facial yoga", "✅ Done")
        await press(api, "Calcium", "⏭ Skip")
        await press(api, "Moisturizing", "⏰ Snooze")

        since = len(api.messages(USER))
        api.send_text(USER, "/today")
        today = await wait_text(api, "Today", since)
        assert "Facial yoga — ✅ done" in today
        assert "Calcium + vitamin D — ⏭ skipped" in today
        assert "Moisturizing — ⏰ snoozed" in today

        mark = api.mark()
        api.send_text(USER, "/stats")
        await api.wait_for_call("sendPhoto", chat_id=USER, after=mark)
        photo = api.last_message(USER)
        assert photo.photo is not None
        assert (photo.photo.data or b"").startswith(PNG)
        caption = photo.caption or ""
        assert "Facial yoga\n  streak 1 (best 1) · 7 days 100% · 30 days 100%" in caption
        assert "Calcium + vitamin D\n  streak 0 (best 0) · 7 days — · 30 days —" in caption

        since = len(api.messages(USER))
        api.send_text(USER, "/pause 3")
        await wait_text(api, "Paused until", since)
        before = len(nudges_for(api, ""))
        clock.set(datetime(2026, 11, 27, 8, 0, 5, tzinfo=BERLIN))
        await bot.services.dispatcher.tick()
        await api.wait_until_idle()
        assert len(nudges_for(api, "")) == before
        paused_day = await bot.services.repo.nudges_on(USER, date(2026, 11, 27))
        assert {n.outcome.value for n in paused_day} == {"paused"}

        since = len(api.messages(USER))
        api.send_text(USER, "/resume")
        await wait_text(api, "Welcome back", since)
        clock.set(datetime(2026, 11, 28, 8, 0, 5, tzinfo=BERLIN))
        await bot.services.dispatcher.tick()
        await api.wait_for(lambda: len(nudges_for(api, "")) == before + 3, timeout=10)

        mark = api.mark()
        api.send_text(USER, "/export")
        await api.wait_for_call("sendDocument", chat_id=USER, after=mark)
        document = api.last_message(USER).document
        assert document is not None
        assert document.data is not None
        rows = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig"))))
        history = await bot.services.repo.history(USER)
        assert len(rows) == len(history) >= 9
        day_one = {r["routine"]: r["outcome"] for r in rows if r["date"] == "2026-11-26"}
        assert day_one["yoga"] == "done"
        assert day_one["supplements"] == "skipped"
        # snoozed at 21:00, and the pause began before it came back
        assert day_one["moisturize"] == "paused"

        since = len(api.messages(USER))
        api.send_text(USER, "/forget")
        await wait_text(api, "deletes everything", since)
        confirm = api.last_message(USER)
        yes = confirm.callback_data_for("Yes, delete everything")
        api.press(USER, confirm.message_id, yes)
        await api.wait_for(lambda: "everything I held on you is deleted" in (confirm.text or ""))
        counts = await bot.services.repo.count_rows(USER)
        assert counts == dict.fromkeys(counts, 0)
        assert await bot.services.repo.get_user(USER) is None

        mark = api.mark()
        api.press(USER, confirm.message_id, yes, strict=False)
        await api.wait_for_call("answerCallbackQuery", after=mark)
        await api.wait_until_idle()
        assert await bot.services.repo.get_user(USER) is None


async def test_done_early_from_today_is_not_nudged_later(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(
        server, clock, db, datetime(2026, 11, 26, 7, 0, tzinfo=BERLIN), "Europe/Berlin"
    ) as chat:
        api, bot = chat.api, chat.bot
        since = len(api.messages(USER))
        api.send_text(USER, "/today")
        today = await wait_text(api, "Today", since)
        assert "08:00 🧘 Facial yoga — 🕒 later today" in today
        view = api.last_message(USER)
        api.press(USER, view.message_id, view.callback_data_for("✅ Facial yoga 08:00"))
        await api.wait_for(lambda: "Facial yoga — ✅ done" in (view.text or ""))
        assert "✅ Facial yoga 08:00" not in view.button_labels

        clock.set(datetime(2026, 11, 26, 9, 0, 5, tzinfo=BERLIN))
        await bot.services.dispatcher.tick()
        await api.wait_until_idle()
        assert nudges_for(api, "Calcium")
        assert not nudges_for(api, "Facial yoga")
