"""Operating the bot: private files, backups, upgrades, /forget's traces and note sizes.

PRODUCT.md promises that the database and its backups are readable by the bot's own user only,
that ``/forget`` leaves no readable copy behind, and that a restart loses nothing; these tests
look at the files an operator (or an intruder with a copy of the volume) would see.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite
import pytest

from bot import texts
from bot.fakeapi import FakeBotApi
from bot.repo import (
    MAX_NOTE_TOTAL,
    MIGRATIONS,
    NoteFull,
    Repository,
    SchemaTooNew,
    migrate,
)
from schedules.nudges import place_occurrence
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    USER,
    VirtualClock,
    facenudge,
    onboarded,
    run_until_it_exits,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
A = 111
SECRET_NOTE = "my jaw clicks since the accident"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    opened = await Repository.open(tmp_path / "ops.db")
    yield opened
    await opened.close()


def schema(path: Path) -> set[tuple[str, str]]:
    """Every table, index and trigger with its SQL, to compare two databases."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    return {(name, " ".join(sql.split())) for name, sql in rows}


# --- files readable by the bot's user only ----------------------------------------------------


async def test_database_and_its_wal_are_created_readable_by_the_owner_only(tmp_path: Path) -> None:
    os.umask(old := os.umask(0o022))  # read the umask without changing it
    assert old & 0o044 == 0, "a 0600 result would prove nothing under this umask"
    path = tmp_path / "new.db"
    repo = await Repository.open(path)
    try:
        await repo.register(A, A, NOW)
        for each in (path, tmp_path / "new.db-wal", tmp_path / "new.db-shm"):
            assert mode(each) == 0o600, each.name
    finally:
        await repo.close()


async def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    await (await Repository.open(path)).close()
    path.chmod(0o644)
    await (await Repository.open(path)).close()
    assert mode(path) == 0o600


def backup_env(db: Path) -> dict[str, str]:
    return {"DATABASE_PATH": str(db)}


async def test_backup_is_private_refuses_overwrite_and_the_live_database(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    repo = await Repository.open(db)
    await repo.register(A, A, NOW)
    try:
        target = tmp_path / "copy.db"
        first = await asyncio.to_thread(
            facenudge, "backup", str(target), cwd=tmp_path, **backup_env(db)
        )
        assert first.returncode == 0, first.stderr
        assert mode(target) == 0o600
        assert not (tmp_path / "copy.db-wal").exists()
        with closing(sqlite3.connect(target)) as copy:
            assert copy.execute("SELECT user_id FROM users").fetchall() == [(A,)]

        await repo.register(A + 1, A + 1, NOW)
        target.write_bytes(b"precious")
        again = await asyncio.to_thread(
            facenudge, "backup", str(target), cwd=tmp_path, **backup_env(db)
        )
        assert again.returncode == 1
        assert "already exists" in again.stderr
        assert "--force" in again.stderr
        assert again.stderr.count("\n") == 1
        assert target.read_bytes() == b"precious"

        forced = await asyncio.to_thread(
            facenudge, "backup", "--force", str(target), cwd=tmp_path, **backup_env(db)
        )
        assert forced.returncode == 0, forced.stderr
        assert mode(target) == 0o600
        with closing(sqlite3.connect(target)) as copy:
            assert len(copy.execute("SELECT user_id FROM users").fetchall()) == 2

        for live in (db, tmp_path / "." / "live.db", tmp_path / "live.db-wal"):
            refused = await asyncio.to_thread(
                facenudge, "backup", "--force", str(live), cwd=tmp_path, **backup_env(db)
            )
            assert refused.returncode == 1, live
            assert "live database" in refused.stderr
        assert await repo.get_user(A + 1) is not None  # the live database is intact
        assert [name for name in os.listdir(tmp_path) if "partial" in name] == []
    finally:
        await repo.close()


# --- upgrades ---------------------------------------------------------------------------------


async def test_a_database_from_a_newer_version_is_refused_and_left_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "future.db"
    await (await Repository.open(path)).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
        db.commit()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer than this FaceNudge knows"):
        await Repository.open(path)
    assert path.read_bytes() == before

    api = FakeBotApi()
    result = await run_until_it_exits(api, path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1].startswith("facenudge: the database is at schema version")
    assert "Traceback" not in result.stderr
    assert api.calls_to("sendMessage") == []


@pytest.mark.parametrize("version", range(len(MIGRATIONS)))
async def test_every_older_schema_upgrades_to_the_fresh_one(tmp_path: Path, version: int) -> None:
    fresh = tmp_path / "fresh.db"
    await (await Repository.open(fresh)).close()
    old = tmp_path / "old.db"
    with closing(sqlite3.connect(old)) as db:
        for script in MIGRATIONS[:version]:
            db.executescript(script)
        db.execute(f"PRAGMA user_version = {version}")
        db.commit()
    upgraded = await Repository.open(old)
    try:
        assert await upgraded.schema_version() == len(MIGRATIONS)
        await upgraded.register(A, A, NOW)  # and it works
    finally:
        await upgraded.close()
    assert schema(old) == schema(fresh)


TRIGGER = """
CREATE TABLE audit (user_id INTEGER, at TEXT);
CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN
    INSERT INTO audit (user_id, at) VALUES (new.user_id, 'joined');
    INSERT INTO audit (user_id, at) VALUES (new.user_id, 'twice; with a semicolon');
END;
"""


async def test_a_migration_with_a_trigger_runs_whole_and_a_failing_one_changes_nothing(
    tmp_path: Path,
) -> None:
    async with aiosqlite.connect(tmp_path / "m.db", isolation_level=None) as db:
        assert await migrate(db, (*MIGRATIONS, TRIGGER)) == len(MIGRATIONS) + 1
        await db.execute("INSERT INTO users (user_id, chat_id, joined_at) VALUES (1, 1, 0)")
        async with db.execute("SELECT at FROM audit ORDER BY rowid") as cursor:
            assert [r[0] for r in await cursor.fetchall()] == ["joined", "twice; with a semicolon"]

        broken = "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);"
        with pytest.raises(sqlite3.OperationalError):
            await migrate(db, (*MIGRATIONS, TRIGGER, broken))
        assert not db.in_transaction
        async with db.execute("PRAGMA user_version") as cursor:
            assert (await cursor.fetchone()) == (len(MIGRATIONS) + 1,)
        async with db.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'") as cur:
            assert await cur.fetchall() == []


# --- /forget and notes ------------------------------------------------------------------------


async def nudge_with_note(repo: Repository, user_id: int, text: str) -> int:
    """A user with one sent nudge (message 7) carrying ``text`` as its note; its message id."""
    await repo.register(user_id, user_id, NOW - timedelta(days=1))
    await repo.start_plan(
        user_id,
        "UTC",
        {Routine.YOGA: (time(12, 0),)},
        {(Routine.YOGA, time(12, 0)): NOW},
        None,
    )
    await repo.materialize_due(
        NOW,
        10,
        lambda slot: place_occurrence(
            slot.routine,
            slot.local_time,
            ZoneInfo("UTC"),
            slot.due,
            now=NOW,
            catch_up=timedelta(hours=2),
            paused_until=slot.paused_until,
        ),
    )
    [claim] = await repo.claim_sends(NOW, 10, timedelta(hours=2))
    await repo.record_sent(claim, 7, NOW)
    assert await repo.add_note(user_id, 7, text, NOW) is not None
    return 7


async def test_forget_leaves_no_readable_copy_in_the_database_or_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    repo = await Repository.open(path)
    try:
        await nudge_with_note(repo, A, SECRET_NOTE)
        files = (path, tmp_path / "f.db-wal")
        assert any(SECRET_NOTE.encode() in f.read_bytes() for f in files)
        assert await repo.forget(A) is True
        for each in files:  # read while the bot still runs, as a copy of the volume would
            assert SECRET_NOTE.encode() not in each.read_bytes(), each.name
    finally:
        await repo.close()


async def test_a_note_stops_growing_at_its_cap_and_keeps_what_it_had(repo: Repository) -> None:
    message = await nudge_with_note(repo, A, "x" * 1000)
    for _ in range(2):
        assert await repo.add_note(A, message, "y" * 1000, NOW) is not None
    with pytest.raises(NoteFull):
        await repo.add_note(A, message, "z" * 1000, NOW)
    [nudge] = await repo.history(A)
    assert nudge.note is not None
    assert len(nudge.note) == 3002
    assert "z" not in nudge.note
    room = MAX_NOTE_TOTAL - 3002 - 1
    assert await repo.add_note(A, message, "w" * room, NOW) is not None
    [nudge] = await repo.history(A)
    assert nudge.note is not None
    assert len(nudge.note) == MAX_NOTE_TOTAL


async def test_a_full_note_gets_a_friendly_answer(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    eight = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    async with onboarded(server, clock, db, eight - timedelta(hours=1), "Europe/Berlin") as chat:
        await chat.at(eight + timedelta(seconds=2))
        [nudge] = chat.nudges("Facial yoga")
        for n in range(MAX_NOTE_TOTAL // 1001):
            await chat.reply(nudge, str(n) * 1000, expect="Note saved")
        answer = await chat.reply(nudge, "one more" + "!" * 992, expect="note is full")
        [stored] = await chat.bot.services.repo.history(USER)
    assert answer == texts.note_full(MAX_NOTE_TOTAL)
    assert stored.note is not None
    assert "one more" not in stored.note


# --- onboarding in one transaction ------------------------------------------------------------


async def test_the_first_plan_zone_and_summary_are_written_together_or_not_at_all(
    repo: Repository,
) -> None:
    await repo.register(A, A, NOW)
    times = {Routine.YOGA: (time(8, 0),), Routine.MOISTURIZE: (time(21, 0),)}
    due = NOW + timedelta(hours=3)
    broken: dict[tuple[Routine, time], datetime] = {(Routine.YOGA, time(8, 0)): due}
    with pytest.raises(KeyError):  # the second routine has no due instant: fails midway
        await repo.start_plan(A, "Europe/Berlin", times, broken, NOW + timedelta(days=3))
    user = await repo.get_user(A)
    assert user is not None
    assert user.zone is None
    assert await repo.get_plan(A) == []
    assert await repo.next_wake() is None

    dues = {**broken, (Routine.MOISTURIZE, time(21, 0)): due + timedelta(hours=1)}
    await repo.start_plan(A, "Europe/Berlin", times, dues, NOW + timedelta(days=3))
    user = await repo.get_user(A)
    assert user is not None
    assert user.zone == "Europe/Berlin"
    plan = await repo.get_plan(A)
    assert [(e.routine, e.times, e.next_due) for e in plan] == [
        (Routine.YOGA, (time(8, 0),), due),
        (Routine.MOISTURIZE, (time(21, 0),), due + timedelta(hours=1)),
    ]
