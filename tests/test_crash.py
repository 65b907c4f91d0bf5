"""The real bot in its own process: kill -9, restarts on the same database, SIGTERM."""

from __future__ import annotations

import csv
import io
import time as wall
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.fakeapi import FakeBotApi
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    TOKEN,
    USER,
    BotProcess,
    RunningBot,
    VirtualClock,
    make_settings,
    nudges_for,
    wait_text,
)

KATHMANDU = ZoneInfo("Asia/Kathmandu")
START_UP = 15.0  # seconds a bot process may take to start polling on a busy machine
CAP = 4  # MAX_IN_FLIGHT for the kill -9 test: never more than this may repeat


@contextmanager
def bot_process(
    db: Path, api: FakeBotApi, root: str, clock: VirtualClock, **env: str
) -> Iterator[BotProcess]:
    """A bot process that is killed if the test fails before stopping it itself."""
    proc = BotProcess(db, root, clock, **env)
    try:
        yield proc
    finally:
        if proc.running():
            proc.kill()
        api.release_long_polls()


async def stop_cleanly(proc: BotProcess) -> None:
    """SIGTERM: exit code 0, promptly, and the token appears nowhere in what it wrote."""
    began = wall.monotonic()
    code = await proc.terminate()
    err = proc.stderr()
    assert wall.monotonic() - began < 10
    assert code == 0, err[-2000:]
    assert TOKEN not in err
    assert TOKEN.split(":")[1] not in err
    assert "Traceback" not in err, err[-2000:]


async def export_rows(api: FakeBotApi, chat: int = USER) -> list[dict[str, str]]:
    mark = api.mark()
    api.send_text(chat, "/export")
    call = await api.wait_for_call("sendDocument", chat_id=chat, after=mark, timeout=START_UP)
    assert call.ok
    doc = next(m.document for m in reversed(api.messages(chat)) if m.document)
    assert doc is not None
    assert doc.data is not None
    return list(csv.DictReader(io.StringIO(doc.data.decode("utf-8-sig"))))


async def test_done_survives_kill_9_and_is_not_sent_again(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    due = datetime(2026, 11, 26, 8, 30, tzinfo=KATHMANDU)
    clock.set(due - timedelta(seconds=6))
    with bot_process(db, api, server.api_root, clock) as first:
        api.send_text(USER, "/start")
        await wait_text(api, "Which time zone", timeout=START_UP)
        api.send_text(USER, "Asia/Kathmandu")
        await wait_text(api, "Your plan")
        api.send_text(USER, "/set yoga 08:30")
        await wait_text(api, "Facial yoga set to 08:30")
        assert clock() < due, "set-up took too long for this test's head start"

        await api.wait_for(lambda: bool(nudges_for(api, "Facial yoga")), timeout=20)
        assert timedelta(0) <= clock() - due < timedelta(seconds=5)
        nudge = api.message(USER, nudges_for(api, "Facial yoga")[0])
        mark = api.mark()
        api.press(USER, nudge.message_id, nudge.callback_data_for("✅ Done"))
        await api.wait_for_call("editMessageText", chat_id=USER, after=mark)
        await api.wait_for(lambda: "✅ done" in (api.message(USER, nudge.message_id).text or ""))
        first.kill()

    with bot_process(db, api, server.api_root, clock) as second:
        since = len(api.messages(USER))
        api.send_text(USER, "/plan")
        plan = await wait_text(api, "Your plan", since, timeout=START_UP)
        assert "Facial yoga: 08:30" in plan
        rows = await export_rows(api)
        await api.wait_until_idle(quiet=0.5)
        assert len(nudges_for(api, "Facial yoga")) == 1
        assert len(api.calls_to("sendMessage", chat_id=USER)) == len(api.messages(USER)) - 1
        yoga = [(r["date"], r["scheduled"], r["outcome"]) for r in rows if r["routine"] == "yoga"]
        assert yoga == [("2026-11-26", "08:30", "done")]
        await stop_cleanly(second)


async def test_kill_9_mid_burst_repeats_only_sends_on_the_wire_and_loses_none(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    users = list(range(2001, 2041))
    due = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    clock.set(due - timedelta(hours=1))
    async with RunningBot(make_settings(db, server.api_root), clock) as seeding:
        services = seeding.services
        for uid in users:
            user, _ = await services.repo.register(uid, uid, clock())
            member = await services.actions.set_zone(user, "UTC")
            await services.actions.set_times(member, Routine.YOGA, [time(8, 0)])

    def delivered() -> Counter[int]:
        """Nudges each user can see in their chat (a send cut off by the kill may still land)."""
        return Counter(
            {
                uid: n
                for uid in users
                if (n := sum("Reply to this message" in (m.text or "") for m in api.messages(uid)))
            }
        )

    api.round_trip = 0.15
    clock.set(due + timedelta(seconds=1))
    with bot_process(db, api, server.api_root, clock, MAX_IN_FLIGHT=str(CAP)) as first:
        await api.wait_for(lambda: sum(delivered().values()) >= 10, timeout=START_UP)
        first.kill()
        on_the_wire = api.requests_in_flight
    assert sum(delivered().values()) < len(users), "killed too late to test anything"
    assert 0 < on_the_wire <= CAP + 1  # + the pending long poll

    with bot_process(db, api, server.api_root, clock) as second:
        await api.wait_for(lambda: set(delivered()) == set(users), timeout=START_UP)
        await api.wait_until_idle(quiet=0.5)
        counts = delivered()
        twice = [uid for uid, n in counts.items() if n > 1]
        assert max(counts.values()) <= 2, counts
        await stop_cleanly(second)
    assert len(twice) <= min(on_the_wire, CAP), f"more repeated than was on the wire: {twice}"


async def test_down_across_a_due_time_catches_up_once_and_misses_beyond_the_window(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    day = datetime(2026, 11, 26, tzinfo=UTC)
    clock.set(day.replace(hour=5))
    with bot_process(db, api, server.api_root, clock) as first:
        await onboard_slowly(api)
        api.send_text(USER, "/set supplements 05:10")
        await wait_text(api, "Calcium + vitamin D set to 05:10")
        api.send_text(USER, "/set yoga 08:00")
        await wait_text(api, "Facial yoga set to 08:00")
        first.kill()

    # down from 05:00 to 08:20: supplements (3 h 10 min late) are missed, yoga (20 min) goes out
    clock.set(day.replace(hour=8, minute=20))
    with bot_process(db, api, server.api_root, clock) as second:
        await api.wait_for(lambda: bool(nudges_for(api, "Facial yoga")), timeout=START_UP)
        rows = await export_rows(api)
        await api.wait_until_idle(quiet=0.5)
        assert len(nudges_for(api, "Facial yoga")) == 1
        assert nudges_for(api, "Calcium") == []
        got = sorted((r["routine"], r["scheduled"], r["outcome"]) for r in rows)
        assert got == [("supplements", "05:10", "missed"), ("yoga", "08:00", "pending")]
        await stop_cleanly(second)

    with bot_process(db, api, server.api_root, clock) as third:
        since = len(api.messages(USER))
        api.send_text(USER, "/help")
        await wait_text(api, "What I can do", since, timeout=START_UP)
        await api.wait_until_idle(quiet=0.5)
        assert len(nudges_for(api, "Facial yoga")) == 1
        await stop_cleanly(third)


async def onboard_slowly(api: FakeBotApi) -> None:
    """onboard() with room for a cold start."""
    api.send_text(USER, "/start")
    await wait_text(api, "Which time zone", timeout=START_UP)
    api.send_text(USER, "UTC")
    await wait_text(api, "Your plan")
