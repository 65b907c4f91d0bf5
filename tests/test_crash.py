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
from tests.botapi_http import FakeBotApiServer
from tests.harness import TOKEN, USER, BotProcess, Phone, VirtualClock, newcomer, seed_users

KATHMANDU = ZoneInfo("Asia/Kathmandu")
START_UP = 15.0  # seconds a bot process may take to start polling on a busy machine
CAP = 4  # MAX_IN_FLIGHT for the kill -9 test: never more than this may repeat
HEAD_START = 1.5  # seconds between a bot process's start and its first nudge falling due


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


async def export_rows(phone: Phone) -> list[dict[str, str]]:
    """/export; the rows of the CSV file the bot sent."""
    await phone.say("/export", "Your records")
    doc = phone.last("Your records").document
    assert doc is not None
    assert doc.data is not None
    return list(csv.DictReader(io.StringIO(doc.data.decode("utf-8-sig"))))


async def test_done_survives_kill_9_and_is_not_sent_again(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    phone = Phone(api, patience=START_UP)
    due = datetime(2026, 11, 26, 8, 30, tzinfo=KATHMANDU)
    clock.set(due - timedelta(minutes=10))
    with bot_process(db, api, server.api_root, clock) as setting_up:
        await phone.say("/start", "Which time zone")
        await phone.say("Asia/Kathmandu", "Your plan")
        await phone.say("/set yoga 08:30", "Facial yoga set to 08:30")
        setting_up.kill()

    # back a moment before the nudge is due, however long the set-up took on a busy machine
    clock.set(due - timedelta(seconds=HEAD_START))
    with bot_process(db, api, server.api_root, clock) as first:
        await api.wait_for(lambda: bool(phone.nudges("Facial yoga")), timeout=20)
        assert timedelta(0) <= clock() - due < timedelta(seconds=5)
        [nudge] = phone.nudges("Facial yoga")
        await phone.press(nudge, "✅ Done", expect="✅ done")
        first.kill()

    with bot_process(db, api, server.api_root, clock) as second:
        plan = await phone.say("/plan", "Your plan")
        assert "Facial yoga: 08:30" in plan
        rows = await export_rows(phone)
        await api.wait_until_idle(quiet=0.5)
        assert len(phone.nudges("Facial yoga")) == 1
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
    async with newcomer(server, clock, db) as seeding:
        await seed_users(seeding.bot.services, users, at=time(8, 0), zone="UTC")

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
    phone = Phone(api, patience=START_UP)
    day = datetime(2026, 11, 26, tzinfo=UTC)
    clock.set(day.replace(hour=5))
    with bot_process(db, api, server.api_root, clock) as first:
        await phone.say("/start", "Which time zone")
        await phone.say("UTC", "Your plan")
        await phone.say("/set supplements 05:10", "Calcium + vitamin D set to 05:10")
        await phone.say("/set yoga 08:00", "Facial yoga set to 08:00")
        first.kill()

    # down from 05:00 to 08:20: supplements (3 h 10 min late) are missed, yoga (20 min) goes out
    clock.set(day.replace(hour=8, minute=20))
    with bot_process(db, api, server.api_root, clock) as second:
        await api.wait_for(lambda: bool(phone.nudges("Facial yoga")), timeout=START_UP)
        rows = await export_rows(phone)
        await api.wait_until_idle(quiet=0.5)
        assert len(phone.nudges("Facial yoga")) == 1
        assert phone.nudges("Calcium") == []
        got = sorted((r["routine"], r["scheduled"], r["outcome"]) for r in rows)
        assert got == [("supplements", "05:10", "missed"), ("yoga", "08:00", "pending")]
        await stop_cleanly(second)

    with bot_process(db, api, server.api_root, clock) as third:
        await phone.say("/help", "What I can do")
        await api.wait_until_idle(quiet=0.5)
        assert len(phone.nudges("Facial yoga")) == 1
        await stop_cleanly(third)
