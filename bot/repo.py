"""All SQL lives here: one aiosqlite connection, a versioned schema, short transactions.

The database is the schedule. ``slots`` hold each planned time's next due instant, ``nudges``
hold every occurrence with its delivery state and outcome, ``messages`` map every message sent
back to its nudge. Writes go through one lock and ``BEGIN IMMEDIATE`` because a shared
aiosqlite connection would otherwise let one coroutine's commit publish another's half-done
transaction; nothing awaits the network inside a transaction.

The files are private: the database (and so its ``-wal`` and ``-shm``, which SQLite creates with
the database's mode) and every backup are 0600, ``secure_delete`` overwrites deleted rows, and
``forget`` checkpoints the WAL so no copy of a forgotten user's text stays there.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from pathlib import Path

import aiosqlite

from schedules.lifecycle import (
    Answered,
    Claim,
    DayEnded,
    Delivery,
    Event,
    Failed,
    Failure,
    Noted,
    NudgeState,
    Released,
    Sent,
    advance,
)
from schedules.nudges import Occurrence, Outcome
from schedules.recurrence import EVERY_DAY, Weekdays, days_mask, mask_days
from schedules.routines import Routine
from schedules.supplements import Dose, Food, Nutrient
from schedules.today import next_send

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE users (
        user_id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        zone TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        joined_at INTEGER NOT NULL,
        paused_until INTEGER,
        snooze_minutes INTEGER NOT NULL DEFAULT 30,
        nag_minutes INTEGER,
        nag_times INTEGER NOT NULL DEFAULT 0,
        weekly_summary INTEGER NOT NULL DEFAULT 1,
        next_summary_at INTEGER
    );
    CREATE INDEX users_summary ON users(next_summary_at) WHERE next_summary_at IS NOT NULL;
    CREATE TABLE routines (
        user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        routine TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (user_id, routine)
    );
    CREATE TABLE slots (
        user_id INTEGER NOT NULL,
        routine TEXT NOT NULL,
        local_time TEXT NOT NULL,
        next_due INTEGER,
        PRIMARY KEY (user_id, routine, local_time),
        FOREIGN KEY (user_id, routine) REFERENCES routines(user_id, routine) ON DELETE CASCADE
    );
    CREATE INDEX slots_due ON slots(next_due) WHERE next_due IS NOT NULL;
    CREATE TABLE nudges (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        routine TEXT NOT NULL,
        local_date TEXT NOT NULL,
        local_time TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        day_end INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        send_at INTEGER,
        delivery TEXT NOT NULL DEFAULT 'queued',
        sends INTEGER NOT NULL DEFAULT 0,
        nags INTEGER NOT NULL DEFAULT 0,
        sent_at INTEGER,
        message_id INTEGER,
        answered_at INTEGER,
        note TEXT,
        UNIQUE (user_id, routine, local_date, local_time)
    );
    CREATE INDEX nudges_send ON nudges(send_at) WHERE send_at IS NOT NULL;
    CREATE INDEX nudges_open ON nudges(day_end) WHERE outcome IN ('pending', 'snoozed');
    CREATE TABLE messages (
        user_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        nudge_id INTEGER NOT NULL REFERENCES nudges(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, message_id)
    );
    CREATE INDEX messages_nudge ON messages(nudge_id);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    """
    ALTER TABLE nudges ADD COLUMN target_at INTEGER;
    ALTER TABLE nudges ADD COLUMN answer_until INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE nudges ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE nudges ADD COLUMN claimed_at INTEGER;
    UPDATE nudges SET target_at = send_at, answer_until = day_end + 86400;
    CREATE INDEX nudges_claimed ON nudges(claimed_at) WHERE delivery = 'sending';
    """,
    """
    CREATE TABLE yoga_sessions (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        nudge_id INTEGER REFERENCES nudges(id) ON DELETE SET NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER,
        local_date TEXT NOT NULL,
        step INTEGER NOT NULL DEFAULT 0,
        step_started_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'running',
        started_at INTEGER NOT NULL,
        ended_at INTEGER
    );
    CREATE UNIQUE INDEX yoga_running ON yoga_sessions(user_id) WHERE state = 'running';
    CREATE TABLE supplement_doses (
        user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        since TEXT NOT NULL,
        calcium_mg INTEGER NOT NULL,
        vitamin_d_iu INTEGER NOT NULL,
        pills INTEGER NOT NULL,
        PRIMARY KEY (user_id, since)
    );
    CREATE TABLE food_intake (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        local_date TEXT NOT NULL,
        nutrient TEXT NOT NULL,
        amount INTEGER NOT NULL,
        label TEXT NOT NULL,
        added_at INTEGER NOT NULL
    );
    CREATE INDEX food_day ON food_intake(user_id, local_date);
    """,
    # the yoga coach looks for running sessions every few seconds
    """
    CREATE INDEX yoga_sessions_running ON yoga_sessions(id) WHERE state = 'running';
    """,
    """
    ALTER TABLE routines ADD COLUMN days INTEGER NOT NULL DEFAULT 127;
    """,
)
"""Schema versions, applied in order; ``PRAGMA user_version`` records how many ran.

Each is an SQL script run whole by SQLite (so triggers with ``;`` inside are fine) in one
transaction with its version bump: append new ones, never edit one that has shipped.
"""

USER_TABLES = (
    "users",
    "routines",
    "slots",
    "nudges",
    "messages",
    "yoga_sessions",
    "supplement_doses",
    "food_intake",
)

MAX_NOTE_TOTAL = 4000
"""Characters a nudge's note may hold in all, replies joined: it still fits one message."""

_log = logging.getLogger(__name__)


class SchemaTooNew(Exception):
    """The database was written by a newer FaceNudge; the message is one line for the operator."""


class BackupRefused(Exception):
    """A backup that would overwrite something; the message says what and how to proceed."""


class NoteFull(Exception):
    """A reply that would take a nudge's note past :data:`MAX_NOTE_TOTAL`; nothing was stored."""


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 if missing, or take group and other bits off an existing one.

    SQLite gives the ``-wal`` and ``-shm`` files it creates the database file's mode.
    """
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if each.exists() and each.stat().st_mode & 0o077:
                try:
                    each.chmod(each.stat().st_mode & 0o700)
                except OSError:  # not ours to change: say so, and go on
                    _log.warning("%s is readable by others; chmod 600 it", each.name)
                else:
                    _log.warning("made %s readable by its owner only", each.name)


async def migrate(db: aiosqlite.Connection, migrations: Sequence[str]) -> int:
    """Bring a database up to ``len(migrations)``, each script atomic with its version bump.

    Raises :class:`SchemaTooNew` for a database that is further along than ``migrations``:
    using it could lose whatever the newer version stores. Returns the final version.
    """
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    if version > len(migrations):
        raise SchemaTooNew(
            f"the database is at schema version {version}, newer than this FaceNudge knows "
            f"({len(migrations)}): run the newer release, or restore a backup made for this one"
        )
    for number, script in enumerate(migrations[version:], start=version + 1):
        # executescript commits any open transaction first, so the script carries its own.
        try:
            await db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\n;\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except BaseException:
            if db.in_transaction:
                await db.rollback()
            raise
    return len(migrations)


def to_ts(instant: datetime) -> int:
    """A tz-aware instant as whole UTC epoch seconds, the database's only time format."""
    return int(instant.timestamp())


def from_ts(seconds: int) -> datetime:
    """UTC epoch seconds back to an aware datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def _opt_dt(seconds: int | None) -> datetime | None:
    return None if seconds is None else from_ts(seconds)


def _hhmm(at: time) -> str:
    return at.strftime("%H:%M")


def _time(text: str) -> time:
    return time.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class User:
    """A user's settings as stored."""

    user_id: int
    chat_id: int
    zone: str | None
    active: bool
    joined_at: datetime
    paused_until: datetime | None
    snooze_minutes: int
    nag_minutes: int | None
    nag_times: int
    weekly_summary: bool


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One routine of a user's plan with its times, its weekdays and when it next falls due."""

    routine: Routine
    enabled: bool
    times: tuple[time, ...]
    next_due: datetime | None
    days: Weekdays = EVERY_DAY
    dues: tuple[datetime | None, ...] = ()
    """Each time's own next due instant, in the order of ``times``."""

    def due_at(self, at: time) -> datetime | None:
        """The next due instant of one planned time."""
        return dict(zip(self.times, self.dues, strict=True)).get(at)

    def next_send(self, tz: tzinfo, paused_until: datetime | None) -> datetime | None:
        """When this routine really sends next, holiday mode applied (None: nothing to come)."""
        sends = (
            next_send(due, at, tz, paused_until, self.days)
            for at, due in zip(self.times, self.dues, strict=True)
        )
        return min((s for s in sends if s is not None), default=None)


@dataclass(frozen=True, slots=True)
class DueSlot:
    """A planned time whose next occurrence has come, with what is needed to place it."""

    user_id: int
    routine: Routine
    local_time: time
    due: datetime
    zone: str
    paused_until: datetime | None
    days: Weekdays = EVERY_DAY


@dataclass(frozen=True, slots=True)
class Claimed:
    """A nudge message the dispatcher has committed to sending now."""

    nudge_id: int
    user_id: int
    chat_id: int
    routine: Routine
    local_date: date
    local_time: time
    is_nag: bool
    nag_every: timedelta | None
    nag_times: int
    previous_message_id: int | None
    """The copy already in the chat (a snooze or nag re-sends), to take its buttons off."""


@dataclass(frozen=True, slots=True)
class Nudge:
    """A stored nudge as the user sees it in /today, /export and /stats."""

    nudge_id: int
    routine: Routine
    local_date: date
    local_time: time
    due: datetime
    outcome: Outcome
    delivery: Delivery
    sent_at: datetime | None
    answered_at: datetime | None
    note: str | None
    message_id: int | None
    sends: int = 0
    send_at: datetime | None = None
    """When its next message goes (a snooze's return, a nag, a retry), if one is queued."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of pressing a nudge button: the nudge after the press, and if it changed."""

    nudge: Nudge
    changed: bool
    too_old: bool = False


@dataclass(frozen=True, slots=True)
class Placement:
    """What one placing round did: nudges created, and slots parked because they raised."""

    placed: int
    parked: int


@dataclass(frozen=True, slots=True)
class Liveness:
    """The dispatcher's heartbeat and what it last saw of Telegram, for ``facenudge health``."""

    beat: datetime
    api_ok_at: datetime | None
    """The last successful Bot API call."""
    failing_since: datetime | None
    """When sends started failing with no success since; None while they succeed."""
    receiving: bool
    """Whether updates are being fetched (polling or the webhook is up)."""


@dataclass(frozen=True, slots=True)
class WeeklyDue:
    """A user whose weekly summary is due."""

    user_id: int
    chat_id: int
    zone: str
    due: datetime
    paused: bool
    any_enabled: bool


class SessionState(StrEnum):
    """Where a guided facial-yoga session ended up; the value is stored."""

    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class YogaSession:
    """A guided facial-yoga session: the move it is on, since when, and the message showing it."""

    session_id: int
    user_id: int
    nudge_id: int | None
    chat_id: int
    message_id: int | None
    local_date: date
    step: int
    step_started: datetime
    state: SessionState


_USER_COLUMNS = (
    "user_id, chat_id, zone, active, joined_at, paused_until, snooze_minutes, nag_minutes, "
    "nag_times, weekly_summary"
)
_NUDGE_COLUMNS = (
    "id, routine, local_date, local_time, due_at, outcome, delivery, sent_at, answered_at, note, "
    "message_id, sends, send_at"
)


_STATE_COLUMNS = (
    "outcome, delivery, send_at, target_at, day_end, answer_until, sends, nags, attempts"
)
_STATE_COLUMNS_N = ", ".join(f"n.{c.strip()}" for c in _STATE_COLUMNS.split(","))


def _state(row: sqlite3.Row) -> NudgeState:
    return NudgeState(
        outcome=Outcome(row["outcome"]),
        delivery=Delivery(row["delivery"]),
        send_at=_opt_dt(row["send_at"]),
        target_at=_opt_dt(row["target_at"]),
        day_end=from_ts(row["day_end"]),
        answer_until=from_ts(row["answer_until"]),
        sends=row["sends"],
        nags=row["nags"],
        attempts=row["attempts"],
    )


async def _write_state(
    db: aiosqlite.Connection, nudge_id: int, state: NudgeState, **columns: object
) -> None:
    """Store a nudge's state (and any extra columns given) after a transition."""
    extra = "".join(f", {name} = ?" for name in columns)
    await db.execute(
        "UPDATE nudges SET outcome = ?, delivery = ?, send_at = ?, target_at = ?, sends = ?, "
        f"nags = ?, attempts = ?{extra} WHERE id = ?",
        (
            state.outcome.value,
            state.delivery.value,
            to_ts(state.send_at) if state.send_at else None,
            to_ts(state.target_at) if state.target_at else None,
            state.sends,
            state.nags,
            state.attempts,
            *columns.values(),
            nudge_id,
        ),
    )


def _claimed(row: sqlite3.Row, state: NudgeState) -> Claimed:
    minutes = row["nag_minutes"]
    return Claimed(
        nudge_id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        routine=Routine(row["routine"]),
        local_date=date.fromisoformat(row["local_date"]),
        local_time=_time(row["local_time"]),
        is_nag=state.is_nag,
        nag_every=timedelta(minutes=minutes) if minutes else None,
        nag_times=row["nag_times"],
        previous_message_id=row["message_id"] if state.sends else None,
    )


def _user(row: sqlite3.Row) -> User:
    return User(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        zone=row["zone"],
        active=bool(row["active"]),
        joined_at=from_ts(row["joined_at"]),
        paused_until=_opt_dt(row["paused_until"]),
        snooze_minutes=row["snooze_minutes"],
        nag_minutes=row["nag_minutes"],
        nag_times=row["nag_times"],
        weekly_summary=bool(row["weekly_summary"]),
    )


def _nudge(row: sqlite3.Row) -> Nudge:
    return Nudge(
        nudge_id=row["id"],
        routine=Routine(row["routine"]),
        local_date=date.fromisoformat(row["local_date"]),
        local_time=_time(row["local_time"]),
        due=from_ts(row["due_at"]),
        outcome=Outcome(row["outcome"]),
        delivery=Delivery(row["delivery"]),
        sent_at=_opt_dt(row["sent_at"]),
        answered_at=_opt_dt(row["answered_at"]),
        note=row["note"],
        message_id=row["message_id"],
        sends=row["sends"],
        send_at=_opt_dt(row["send_at"]),
    )


class Repository:
    """The bot's storage; open it with :meth:`open` and close it on shutdown."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Repository:
        """Connect, set per-connection pragmas and bring the schema up to date.

        Raises :class:`SchemaTooNew` (and leaves the file as it was) for a newer database.
        """
        if str(path) != ":memory:":
            _private_file(Path(path))
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            await db.execute("PRAGMA busy_timeout=5000")
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten, whatever this SQLite's compile-time default is.
            await db.execute("PRAGMA secure_delete=ON")
            repo = cls(db)
            async with repo._lock:
                await migrate(db, MIGRATIONS)
        except BaseException:
            await db.close()
            raise
        return repo

    async def close(self) -> None:
        """Close the connection and its worker thread."""
        await self._db.close()

    async def trace(self, callback: Callable[[str], None]) -> None:
        """Hand every statement run from now on to ``callback`` (for the query-plan test).

        The callback runs on the connection's worker thread and must not touch the database.
        """
        await self._db.set_trace_callback(callback)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time on the shared connection."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()

    async def _fetchall(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        async with self._lock, self._db.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def _fetchone(self, sql: str, params: Iterable[object] = ()) -> sqlite3.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    async def schema_version(self) -> int:
        """How many migrations this database has had."""
        row = await self._fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    # --- users and plans -------------------------------------------------------------------

    async def get_user(self, user_id: int) -> User | None:
        """The user's settings, or None for someone who never pressed /start."""
        row = await self._fetchone(
            f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", [user_id]
        )
        return _user(row) if row else None

    async def register(self, user_id: int, chat_id: int, now: datetime) -> tuple[User, bool]:
        """Create the user, or mark a returning one active again; True when new."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT INTO users (user_id, chat_id, joined_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO NOTHING",
                (user_id, chat_id, to_ts(now)),
            )
            created = cursor.rowcount == 1
            if not created:
                await db.execute(
                    "UPDATE users SET active = 1, chat_id = ? WHERE user_id = ?", (chat_id, user_id)
                )
        user = await self.get_user(user_id)
        assert user is not None
        return user, created

    async def set_zone(
        self,
        user_id: int,
        zone: str,
        dues: Mapping[tuple[Routine, time], datetime],
        summary_at: datetime | None = None,
    ) -> None:
        """Store a new zone and the next due instant of every planned time in it.

        ``summary_at`` moves the weekly summary of a user who gets one into the new zone in the
        same transaction, so a crash never leaves it on the old zone's Sunday evening.
        """
        async with self._tx() as db:
            await db.execute("UPDATE users SET zone = ? WHERE user_id = ?", (zone, user_id))
            await self._write_dues(db, user_id, dues)
            if summary_at is not None:
                await db.execute(
                    "UPDATE users SET next_summary_at = ? WHERE user_id = ? AND weekly_summary = 1",
                    (to_ts(summary_at), user_id),
                )

    async def start_plan(
        self,
        user_id: int,
        zone: str,
        times: Mapping[Routine, Iterable[time]],
        dues: Mapping[tuple[Routine, time], datetime],
        summary_at: datetime | None,
    ) -> None:
        """A new user's first zone, plan and weekly summary, all in one transaction.

        In separate transactions a crash between them would leave a partial plan for good.
        Routines the user already has are left as they are.
        """
        async with self._tx() as db:
            await db.execute("UPDATE users SET zone = ? WHERE user_id = ?", (zone, user_id))
            for routine, at_times in times.items():
                cursor = await db.execute(
                    "INSERT INTO routines (user_id, routine, enabled) VALUES (?, ?, 1) "
                    "ON CONFLICT (user_id, routine) DO NOTHING",
                    (user_id, routine.value),
                )
                if cursor.rowcount == 0:
                    continue
                await db.executemany(
                    "INSERT INTO slots (user_id, routine, local_time, next_due) "
                    "VALUES (?, ?, ?, ?)",
                    [
                        (user_id, routine.value, _hhmm(at), to_ts(dues[routine, at]))
                        for at in at_times
                    ],
                )
            await db.execute(
                "UPDATE users SET next_summary_at = ? WHERE user_id = ? AND weekly_summary = 1",
                (to_ts(summary_at) if summary_at else None, user_id),
            )

    async def set_plan(
        self,
        user_id: int,
        routine: Routine,
        *,
        enabled: bool,
        times: Iterable[time],
        dues: Mapping[time, datetime],
        days: Weekdays = EVERY_DAY,
    ) -> None:
        """Replace one routine's times and weekdays; only enabled routines get a next due."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO routines (user_id, routine, enabled, days) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, routine) DO UPDATE SET enabled = excluded.enabled, "
                "days = excluded.days",
                (user_id, routine.value, int(enabled), days_mask(days)),
            )
            await db.execute(
                "DELETE FROM slots WHERE user_id = ? AND routine = ?", (user_id, routine.value)
            )
            await db.executemany(
                "INSERT INTO slots (user_id, routine, local_time, next_due) VALUES (?, ?, ?, ?)",
                [
                    (
                        user_id,
                        routine.value,
                        _hhmm(at),
                        to_ts(dues[at]) if enabled and at in dues else None,
                    )
                    for at in times
                ],
            )

    async def _write_dues(
        self, db: aiosqlite.Connection, user_id: int, dues: Mapping[tuple[Routine, time], datetime]
    ) -> None:
        await db.executemany(
            "UPDATE slots SET next_due = ? WHERE user_id = ? AND routine = ? AND local_time = ? "
            "AND EXISTS (SELECT 1 FROM routines r WHERE r.user_id = slots.user_id "
            "AND r.routine = slots.routine AND r.enabled = 1)",
            [(to_ts(due), user_id, r.value, _hhmm(at)) for (r, at), due in dues.items()],
        )

    async def get_plan(self, user_id: int) -> list[PlanEntry]:
        """Every routine of the user's plan, in a stable order."""
        rows = await self._fetchall(
            "SELECT r.routine, r.enabled, r.days, s.local_time, s.next_due FROM routines r "
            "LEFT JOIN slots s ON s.user_id = r.user_id AND s.routine = r.routine "
            "WHERE r.user_id = ? ORDER BY r.routine, s.local_time",
            [user_id],
        )
        enabled: dict[Routine, bool] = {}
        days: dict[Routine, Weekdays] = {}
        times: dict[Routine, list[time]] = {}
        dues: dict[Routine, list[datetime | None]] = {}
        for row in rows:
            routine = Routine(row["routine"])
            enabled[routine] = bool(row["enabled"])
            days[routine] = mask_days(row["days"])
            times.setdefault(routine, [])
            dues.setdefault(routine, [])
            if row["local_time"] is not None:
                times[routine].append(_time(row["local_time"]))
                dues[routine].append(_opt_dt(row["next_due"]))
        plan = {
            r: PlanEntry(
                r,
                enabled[r],
                tuple(times[r]),
                min((d for d in dues[r] if d is not None), default=None),
                days[r],
                tuple(dues[r]),
            )
            for r in enabled
        }
        return [plan[r] for r in Routine if r in plan]

    async def set_paused(self, user_id: int, until: datetime | None) -> None:
        """Start or end holiday mode."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE users SET paused_until = ? WHERE user_id = ?",
                (to_ts(until) if until else None, user_id),
            )

    async def set_snooze(self, user_id: int, minutes: int) -> None:
        """How long the snooze button waits."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE users SET snooze_minutes = ? WHERE user_id = ?", (minutes, user_id)
            )

    async def set_nag(self, user_id: int, minutes: int | None, times: int) -> None:
        """Repeat-until-answered settings; ``minutes=None`` turns it off."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE users SET nag_minutes = ?, nag_times = ? WHERE user_id = ?",
                (minutes, times, user_id),
            )
            if minutes is None:
                await db.execute(
                    "UPDATE nudges SET send_at = NULL WHERE user_id = ? AND outcome = 'pending' "
                    "AND sends > 0 AND send_at IS NOT NULL",
                    (user_id,),
                )

    async def set_weekly_summary(self, user_id: int, next_at: datetime | None) -> None:
        """Opt in (with the first summary's instant) or out of the weekly summary."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE users SET weekly_summary = ?, next_summary_at = ? WHERE user_id = ?",
                (int(next_at is not None), to_ts(next_at) if next_at else None, user_id),
            )

    async def deactivate(self, user_id: int) -> None:
        """Stop nudging a user who blocked the bot, until they come back."""
        async with self._tx() as db:
            await self._deactivate(db, user_id)

    @staticmethod
    async def _deactivate(db: aiosqlite.Connection, user_id: int) -> None:
        await db.execute("UPDATE users SET active = 0 WHERE user_id = ?", (user_id,))
        await db.execute("UPDATE slots SET next_due = NULL WHERE user_id = ?", (user_id,))
        await db.execute(
            "UPDATE nudges SET send_at = NULL WHERE user_id = ? AND send_at IS NOT NULL",
            (user_id,),
        )

    async def forget(self, user_id: int) -> bool:
        """Delete everything held on the user in one transaction; False if nothing was held.

        Then the WAL is checkpointed and truncated: until then it keeps the pages the user's
        rows were on, readable by anyone who copies the files.
        """
        async with self._tx() as db:
            cursor = await db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
            deleted = cursor.rowcount > 0
        if deleted:
            row = await self._fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
            if row is not None and row[0]:
                _log.warning("WAL checkpoint after /forget was blocked by a reader")
        return deleted

    async def count_rows(self, user_id: int) -> dict[str, int]:
        """Rows per table that still belong to the user (what /forget must bring to zero)."""
        counts: dict[str, int] = {}
        for table in USER_TABLES:
            row = await self._fetchone(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", [user_id])
            counts[table] = int(row[0]) if row else 0
        return counts

    # --- the dispatcher's side --------------------------------------------------------------

    async def materialize_due(
        self, now: datetime, limit: int, place: Callable[[DueSlot], Occurrence]
    ) -> Placement:
        """Turn slots that have fallen due into nudges and advance them, atomically.

        The UNIQUE key (user, routine, local date, time) makes a second claim of the same
        occurrence a no-op. A slot that raises while being placed is parked (its next due time
        cleared until the user changes the plan) so it cannot hold back anyone else's.
        """
        async with self._tx() as db:
            async with db.execute(
                "SELECT s.user_id, s.routine, s.local_time, s.next_due, u.zone, u.paused_until, "
                "r.days FROM slots s JOIN users u ON u.user_id = s.user_id "
                "JOIN routines r ON r.user_id = s.user_id AND r.routine = s.routine "
                "WHERE s.next_due <= ? ORDER BY s.next_due LIMIT ?",
                (to_ts(now), limit),
            ) as cursor:
                rows = list(await cursor.fetchall())
            inserts: list[tuple[object, ...]] = []
            advances: list[tuple[object, ...]] = []
            parked: list[tuple[object, ...]] = []
            for row in rows:
                key = (row["user_id"], row["routine"], row["local_time"], row["next_due"])
                try:
                    slot = DueSlot(
                        user_id=row["user_id"],
                        routine=Routine(row["routine"]),
                        local_time=_time(row["local_time"]),
                        due=from_ts(row["next_due"]),
                        zone=row["zone"],
                        paused_until=_opt_dt(row["paused_until"]),
                        days=mask_days(row["days"]),
                    )
                    occ = place(slot)
                except Exception:
                    parked.append(key)
                    continue
                sendable = occ.outcome is Outcome.PENDING
                inserts.append(
                    (
                        slot.user_id,
                        slot.routine.value,
                        occ.local_date.isoformat(),
                        _hhmm(occ.local_time),
                        to_ts(occ.due),
                        to_ts(occ.day_end),
                        to_ts(occ.answer_until),
                        occ.outcome.value,
                        to_ts(occ.due) if sendable else None,
                        to_ts(occ.due) if sendable else None,
                        Delivery.QUEUED if sendable else Delivery.NONE,
                    )
                )
                advances.append((to_ts(occ.next_due), *key))
            await db.executemany(
                "INSERT INTO nudges (user_id, routine, local_date, local_time, due_at, day_end,"
                " answer_until, outcome, send_at, target_at, delivery) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                inserts,
            )
            await db.executemany(
                "UPDATE slots SET next_due = ? "
                "WHERE user_id = ? AND routine = ? AND local_time = ? AND next_due = ?",
                advances,
            )
            await db.executemany(
                "UPDATE slots SET next_due = NULL "
                "WHERE user_id = ? AND routine = ? AND local_time = ? AND next_due = ?",
                parked,
            )
            return Placement(placed=len(inserts), parked=len(parked))

    async def rederive_dues(self, dues: Callable[[time, str, Weekdays], datetime]) -> int:
        """Give every scheduled slot a fresh next due instant (after the wall clock jumped).

        ``dues(local_time, zone, days)`` computes it; a slot whose zone fails to resolve is
        parked.
        """
        async with self._tx() as db:
            async with db.execute(
                "SELECT s.user_id, s.routine, s.local_time, u.zone, r.days FROM slots s "
                "JOIN users u ON u.user_id = s.user_id "
                "JOIN routines r ON r.user_id = s.user_id AND r.routine = s.routine "
                "WHERE s.next_due IS NOT NULL"
            ) as cursor:
                rows = list(await cursor.fetchall())
            updates: list[tuple[object, ...]] = []
            for row in rows:
                try:
                    due: int | None = to_ts(
                        dues(_time(row["local_time"]), row["zone"], mask_days(row["days"]))
                    )
                except Exception:
                    due = None
                updates.append((due, row["user_id"], row["routine"], row["local_time"]))
            await db.executemany(
                "UPDATE slots SET next_due = ? WHERE user_id = ? AND routine = ? "
                "AND local_time = ?",
                updates,
            )
            return len(updates)

    async def _advance(
        self,
        db: aiosqlite.Connection,
        nudge_id: int,
        event: Event,
        now: datetime,
        **columns: object,
    ) -> tuple[NudgeState, NudgeState] | None:
        """Apply one event to one nudge inside a transaction; None when the nudge is gone.

        The extra ``columns`` are written with the new state, only when the event changed it.
        """
        async with db.execute(
            f"SELECT {_STATE_COLUMNS} FROM nudges WHERE id = ?", (nudge_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        before = _state(row)
        after = advance(before, event, now)
        if after != before:
            await _write_state(db, nudge_id, after, **columns)
        return before, after

    async def expire_open(self, now: datetime) -> int:
        """Nudges still unanswered when the user's day ended become missed."""
        async with self._tx() as db:
            async with db.execute(
                f"SELECT id, {_STATE_COLUMNS} FROM nudges "
                "WHERE outcome IN ('pending', 'snoozed') AND day_end <= ?",
                (to_ts(now),),
            ) as cursor:
                rows = list(await cursor.fetchall())
            expired = 0
            for row in rows:
                before = _state(row)
                after = advance(before, DayEnded(), now)
                if after != before:
                    await _write_state(db, row["id"], after)
                    expired += after.outcome is Outcome.MISSED
            return expired

    async def claim_sends(self, now: datetime, limit: int, catch_up: timedelta) -> list[Claimed]:
        """Mark due messages as in flight (the intent, written before the send).

        Each row goes through the nudge's state machine: a paused user's nudge is recorded
        paused, a first send later than ``catch_up`` missed, an answered one dropped. A row that
        raises is parked instead of holding back the batch.
        """
        async with self._tx() as db:
            async with db.execute(
                f"SELECT n.id, n.user_id, u.chat_id, n.routine, n.local_date, n.local_time, "
                f"n.message_id, {_STATE_COLUMNS_N}, u.nag_minutes, u.nag_times, u.active, "
                "u.paused_until FROM nudges n JOIN users u ON u.user_id = n.user_id "
                "WHERE n.send_at <= ? AND n.delivery != 'sending' ORDER BY n.send_at LIMIT ?",
                (to_ts(now), limit),
            ) as cursor:
                rows = list(await cursor.fetchall())
            claimed: list[Claimed] = []
            for row in rows:
                try:
                    before = _state(row)
                    event = Claim(catch_up, _opt_dt(row["paused_until"]), bool(row["active"]))
                    after = advance(before, event, now)
                    claim = _claimed(row, before) if after.delivery is Delivery.SENDING else None
                except Exception:
                    await db.execute(
                        "UPDATE nudges SET delivery = ?, send_at = NULL WHERE id = ?",
                        (Delivery.PARKED, row["id"]),
                    )
                    continue
                await _write_state(db, row["id"], after, claimed_at=to_ts(now))
                if claim is not None:
                    claimed.append(claim)
            return claimed

    async def record_sent(self, claim: Claimed, message_id: int, now: datetime) -> bool:
        """Record a delivered message (the result, written after the send); False if forgotten.

        The message joins the nudge's messages, so a reply to any copy finds it.
        """
        async with self._tx() as db:
            event = Sent(claim.nag_every, claim.nag_times)
            changed = await self._advance(
                db, claim.nudge_id, event, now, sent_at=to_ts(now), message_id=message_id
            )
            if changed is None:
                return False
            await db.execute(
                "INSERT OR IGNORE INTO messages (user_id, message_id, nudge_id) VALUES (?, ?, ?)",
                (claim.user_id, message_id, claim.nudge_id),
            )
            return True

    async def record_failure(
        self, claim: Claimed, failure: Failure, now: datetime
    ) -> datetime | None:
        """Record a send that failed; returns when it is retried, if it is.

        A blocked user also stops being nudged.
        """
        async with self._tx() as db:
            moved = await self._advance(db, claim.nudge_id, Failed(failure), now)
            if failure is Failure.BLOCKED:
                await self._deactivate(db, claim.user_id)
            return moved[1].send_at if moved else None

    async def release_claims(self, nudge_ids: Iterable[int], now: datetime) -> None:
        """Claims that were never sent go back to the queue."""
        async with self._tx() as db:
            for nudge_id in nudge_ids:
                await self._advance(db, nudge_id, Released(), now)

    async def release_stale(self, claimed_before: datetime | None, now: datetime) -> int:
        """Claims older than the lease (or all, with None, at start-up) go back to the queue.

        After a crash these are the sends that may or may not have left: at most the ones on
        the wire repeat, none is lost.
        """
        since = to_ts(claimed_before) if claimed_before is not None else None
        rows = await self._fetchall(
            "SELECT id FROM nudges WHERE delivery = 'sending' "
            "AND (? IS NULL OR claimed_at IS NULL OR claimed_at < ?)",
            [since, since],
        )
        await self.release_claims((r["id"] for r in rows), now)
        return len(rows)

    async def next_wake(self) -> datetime | None:
        """The earliest instant anything is due: a slot, a resend or a weekly summary."""
        row = await self._fetchone(
            "SELECT MIN(t) FROM ("
            "SELECT MIN(next_due) AS t FROM slots WHERE next_due IS NOT NULL UNION ALL "
            "SELECT MIN(send_at) FROM nudges WHERE send_at IS NOT NULL UNION ALL "
            "SELECT MIN(next_summary_at) FROM users WHERE next_summary_at IS NOT NULL)"
        )
        return _opt_dt(row[0]) if row and row[0] is not None else None

    async def due_summaries(self, now: datetime, limit: int) -> list[WeeklyDue]:
        """Users whose weekly summary has come, active ones only."""
        rows = await self._fetchall(
            "SELECT user_id, chat_id, zone, next_summary_at, "
            "COALESCE(paused_until > ?, 0) AS paused, EXISTS (SELECT 1 FROM routines r "
            "WHERE r.user_id = users.user_id AND r.enabled = 1) AS any_enabled FROM users "
            "WHERE next_summary_at <= ? AND active = 1 AND zone IS NOT NULL "
            "ORDER BY next_summary_at LIMIT ?",
            [to_ts(now), to_ts(now), limit],
        )
        return [
            WeeklyDue(
                r["user_id"],
                r["chat_id"],
                r["zone"],
                from_ts(r["next_summary_at"]),
                paused=bool(r["paused"]),
                any_enabled=bool(r["any_enabled"]),
            )
            for r in rows
        ]

    async def advance_summary(self, user_id: int, done: datetime, next_at: datetime) -> bool:
        """Move a summary to next week; False if another tick already did."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE users SET next_summary_at = ? WHERE user_id = ? AND next_summary_at = ?",
                (to_ts(next_at), user_id, to_ts(done)),
            )
            return cursor.rowcount == 1

    async def heartbeat(self, liveness: Liveness) -> None:
        """What ``facenudge health`` reads: the dispatcher ran, and how Telegram answers."""
        values = {
            "heartbeat": to_ts(liveness.beat),
            "api_ok": liveness.api_ok_at and to_ts(liveness.api_ok_at),
            "failing_since": liveness.failing_since and to_ts(liveness.failing_since),
            "receiving": int(liveness.receiving),
        }
        async with self._tx() as db:
            await db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(k, "" if v is None else str(v)) for k, v in values.items()],
            )

    # --- answers ----------------------------------------------------------------------------

    async def answer(
        self,
        user_id: int,
        nudge_id: int,
        outcome: Outcome,
        now: datetime,
        snooze_to: datetime | None,
    ) -> Answer | None:
        """Record a button press on the user's own nudge; None when it isn't theirs.

        The state machine decides whether the press still counts (see ``can_answer``).
        """
        async with self._tx() as db:
            async with db.execute(
                "SELECT 1 FROM nudges WHERE id = ? AND user_id = ?", (nudge_id, user_id)
            ) as cursor:
                if await cursor.fetchone() is None:
                    return None
            event = Answered(outcome, snooze_to)
            moved = await self._advance(db, nudge_id, event, now, answered_at=to_ts(now))
            assert moved is not None
            before, after = moved
            changed = after != before
            async with db.execute(
                f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE id = ?", (nudge_id,)
            ) as cursor:
                updated = await cursor.fetchone()
            assert updated is not None
            too_old = not changed and now >= before.answer_until
            return Answer(_nudge(updated), changed=changed, too_old=too_old)

    async def mark_done_early(self, user_id: int, occ: Occurrence, now: datetime) -> bool:
        """Mark one planned time of today done, sent or not; False if it was already closed."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO nudges (user_id, routine, local_date, local_time, due_at, day_end, "
                "answer_until, outcome, delivery) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 'none') "
                "ON CONFLICT (user_id, routine, local_date, local_time) DO NOTHING",
                (
                    user_id,
                    occ.routine.value,
                    occ.local_date.isoformat(),
                    _hhmm(occ.local_time),
                    to_ts(occ.due),
                    to_ts(occ.day_end),
                    to_ts(occ.answer_until),
                ),
            )
            async with db.execute(
                "SELECT id FROM nudges WHERE user_id = ? AND routine = ? AND local_date = ? "
                "AND local_time = ?",
                (user_id, occ.routine.value, occ.local_date.isoformat(), _hhmm(occ.local_time)),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            event = Answered(Outcome.DONE)
            moved = await self._advance(db, row["id"], event, now, answered_at=to_ts(now))
            assert moved is not None
            before, after = moved
            if after == before:
                return False
            # the slot moves on, so /plan and /set show the real next nudge
            await db.execute(
                "UPDATE slots SET next_due = ? WHERE user_id = ? AND routine = ? "
                "AND local_time = ? AND next_due = ?",
                (
                    to_ts(occ.next_due),
                    user_id,
                    occ.routine.value,
                    _hhmm(occ.local_time),
                    to_ts(occ.due),
                ),
            )
            return True

    async def add_note(
        self, user_id: int, message_id: int, text: str, now: datetime
    ) -> Nudge | None:
        """Append a reply's text to the nudge that message belongs to; None if it's not a nudge.

        A note shows the nudge was seen, so any nag still queued is dropped. Raises
        :class:`NoteFull`, storing nothing, when the note would pass :data:`MAX_NOTE_TOTAL`
        characters.
        """
        async with self._tx() as db:
            async with db.execute(
                "SELECT nudge_id FROM messages WHERE user_id = ? AND message_id = ?",
                (user_id, message_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            cursor = await db.execute(
                "UPDATE nudges SET note = CASE WHEN note IS NULL THEN ? "
                "ELSE note || char(10) || ? END "
                "WHERE id = ? AND COALESCE(length(note) + 1, 0) + length(?) <= ?",
                (text, text, row["nudge_id"], text, MAX_NOTE_TOTAL),
            )
            if cursor.rowcount == 0:
                raise NoteFull
            await self._advance(db, row["nudge_id"], Noted(), now)
            async with db.execute(
                f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE id = ?", (row["nudge_id"],)
            ) as cursor:
                updated = await cursor.fetchone()
            return _nudge(updated) if updated else None

    async def nudge_for_message(self, user_id: int, message_id: int) -> Nudge | None:
        """The user's own nudge that a message (any copy of it) belongs to; None if none."""
        row = await self._fetchone(
            f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE user_id = ? AND id = "
            "(SELECT nudge_id FROM messages WHERE user_id = ? AND message_id = ?)",
            [user_id, user_id, message_id],
        )
        return _nudge(row) if row else None

    async def latest_open_nudge(self, user_id: int, now: datetime) -> Nudge | None:
        """The user's most recently sent nudge that an answer can still change.

        Pending or snoozed, or missed but still within its answer window (yesterday's).
        """
        row = await self._fetchone(
            f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE user_id = ? "
            "AND outcome IN ('pending', 'snoozed', 'missed') AND answer_until > ? "
            "AND message_id IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1",
            [user_id, to_ts(now)],
        )
        return _nudge(row) if row else None

    async def recorded_dues(
        self, user_id: int, since: datetime
    ) -> dict[tuple[Routine, time], set[datetime]]:
        """Due instants from ``since`` on that already have a nudge, per planned time."""
        rows = await self._fetchall(
            "SELECT routine, local_time, due_at FROM nudges WHERE user_id = ? AND due_at > ?",
            [user_id, to_ts(since)],
        )
        taken: dict[tuple[Routine, time], set[datetime]] = {}
        for row in rows:
            key = (Routine(row["routine"]), _time(row["local_time"]))
            taken.setdefault(key, set()).add(from_ts(row["due_at"]))
        return taken

    async def nudges_on(self, user_id: int, day: date) -> list[Nudge]:
        """The user's nudges for one local date."""
        rows = await self._fetchall(
            f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE user_id = ? AND local_date = ? "
            "ORDER BY local_time, routine",
            [user_id, day.isoformat()],
        )
        return [_nudge(r) for r in rows]

    async def history(self, user_id: int, since: date | None = None) -> list[Nudge]:
        """Every nudge of the user (from ``since``), oldest first."""
        rows = await self._fetchall(
            f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE user_id = ? AND local_date >= ? "
            "ORDER BY due_at, routine",
            [user_id, (since or date.min).isoformat()],
        )
        return [_nudge(r) for r in rows]

    # --- guided facial-yoga sessions --------------------------------------------------------

    async def own_nudge(self, user_id: int, nudge_id: int) -> Nudge | None:
        """One of the user's own nudges, or None when that id is not theirs."""
        row = await self._fetchone(
            f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE id = ? AND user_id = ?",
            [nudge_id, user_id],
        )
        return _nudge(row) if row else None

    async def start_session(
        self,
        user_id: int,
        chat_id: int,
        *,
        nudge_id: int | None,
        message_id: int | None,
        day: date,
        now: datetime,
    ) -> YogaSession | None:
        """Begin a session at its first move; None when the user already has one running."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT INTO yoga_sessions (user_id, nudge_id, chat_id, message_id, local_date, "
                "step, step_started_at, started_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (user_id, nudge_id, chat_id, message_id, day.isoformat(), to_ts(now), to_ts(now)),
            )
            if cursor.rowcount != 1:
                return None
            session_id = cursor.lastrowid
        assert session_id is not None
        return await self.session(session_id)

    async def set_session_message(self, session_id: int, message_id: int) -> None:
        """The message that shows the session, once it is sent."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE yoga_sessions SET message_id = ? WHERE id = ?", (message_id, session_id)
            )

    async def session(self, session_id: int) -> YogaSession | None:
        """One session by id, whatever its state."""
        rows = await self._sessions("WHERE id = ?", [session_id])
        return rows[0] if rows else None

    async def running_session(self, user_id: int) -> YogaSession | None:
        """The user's running session, if any."""
        rows = await self._sessions("WHERE user_id = ? AND state = 'running'", [user_id])
        return rows[0] if rows else None

    async def running_sessions(self) -> list[YogaSession]:
        """Every running session, for the countdown and for resuming after a restart."""
        return await self._sessions("WHERE state = 'running'", [])

    async def _sessions(self, where: str, params: list[object]) -> list[YogaSession]:
        rows = await self._fetchall(
            "SELECT id, user_id, nudge_id, chat_id, message_id, local_date, step, "
            f"step_started_at, state FROM yoga_sessions {where} ORDER BY id",
            params,
        )
        return [
            YogaSession(
                session_id=r["id"],
                user_id=r["user_id"],
                nudge_id=r["nudge_id"],
                chat_id=r["chat_id"],
                message_id=r["message_id"],
                local_date=date.fromisoformat(r["local_date"]),
                step=r["step"],
                step_started=from_ts(r["step_started_at"]),
                state=SessionState(r["state"]),
            )
            for r in rows
        ]

    async def move_session(self, session: YogaSession, step: int, now: datetime) -> bool:
        """Go to move ``step`` from now on; False if the session changed meanwhile."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE yoga_sessions SET step = ?, step_started_at = ? WHERE id = ? "
                "AND state = 'running' AND step = ? AND step_started_at = ?",
                (step, to_ts(now), session.session_id, session.step, to_ts(session.step_started)),
            )
            return cursor.rowcount == 1

    async def end_session(
        self, session: YogaSession, state: SessionState, step: int, now: datetime
    ) -> bool:
        """Finish or stop a running session at ``step``; False if it was not running any more."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE yoga_sessions SET state = ?, step = ?, ended_at = ? "
                "WHERE id = ? AND state = 'running'",
                (state.value, step, to_ts(now), session.session_id),
            )
            return cursor.rowcount == 1

    # --- supplements against the article's targets ------------------------------------------

    async def set_dose(self, user_id: int, since: date, dose: Dose) -> None:
        """What one supplement ✅ stands for from ``since`` on (the same day's is replaced)."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO supplement_doses (user_id, since, calcium_mg, vitamin_d_iu, pills) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, since) DO UPDATE SET "
                "calcium_mg = excluded.calcium_mg, vitamin_d_iu = excluded.vitamin_d_iu, "
                "pills = excluded.pills",
                (user_id, since.isoformat(), dose.calcium_mg, dose.vitamin_d_iu, dose.pills),
            )

    async def doses(self, user_id: int) -> list[tuple[date, Dose]]:
        """Every dose the user set, with the day it took effect, oldest first."""
        rows = await self._fetchall(
            "SELECT since, calcium_mg, vitamin_d_iu, pills FROM supplement_doses "
            "WHERE user_id = ? ORDER BY since",
            [user_id],
        )
        return [
            (date.fromisoformat(r["since"]), Dose(r["calcium_mg"], r["vitamin_d_iu"], r["pills"]))
            for r in rows
        ]

    async def add_food(self, user_id: int, day: date, food: Food, now: datetime) -> None:
        """Food the user ate on ``day`` (their local date)."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO food_intake (user_id, local_date, nutrient, amount, label, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    user_id,
                    day.isoformat(),
                    food.nutrient.value,
                    food.amount,
                    food.label,
                    to_ts(now),
                ),
            )

    async def food_since(self, user_id: int, since: date) -> list[tuple[date, Food]]:
        """Food the user added from ``since`` on, oldest first."""
        rows = await self._fetchall(
            "SELECT local_date, nutrient, amount, label FROM food_intake "
            "WHERE user_id = ? AND local_date >= ? ORDER BY local_date, id",
            [user_id, since.isoformat()],
        )
        return [
            (
                date.fromisoformat(r["local_date"]),
                Food(Nutrient(r["nutrient"]), r["amount"], r["label"]),
            )
            for r in rows
        ]


def read_liveness(path: Path) -> Liveness | None:
    """The dispatcher's last heartbeat, read through a separate read-only connection.

    Raises ``sqlite3.Error`` when the database is missing or unreadable.
    """
    if not path.exists():
        raise sqlite3.OperationalError(f"no database at {path}")
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as db:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    if not meta.get("heartbeat"):
        return None

    def instant(key: str) -> datetime | None:
        value = meta.get(key)
        return from_ts(int(value)) if value else None

    beat = instant("heartbeat")
    assert beat is not None
    return Liveness(
        beat=beat,
        api_ok_at=instant("api_ok"),
        failing_since=instant("failing_since"),
        receiving=meta.get("receiving", "1") == "1",
    )


def backup_database(source: Path, target: Path, *, force: bool = False) -> None:
    """An online, consistent copy through SQLite's backup API, safe while the bot writes.

    The copy is written 0600 next to ``target`` and moved into place, so a failed backup never
    leaves half a file. Raises :class:`BackupRefused` for the live database itself, or for an
    existing ``target`` unless ``force``.
    """
    if not source.exists():
        raise sqlite3.OperationalError(f"no database at {source}")
    if target.exists() and os.path.samefile(target, source):
        raise BackupRefused(f"{target} is the live database itself; choose another path")
    if target.resolve().parent == source.resolve().parent and target.name.startswith(
        source.name + "-"
    ):
        raise BackupRefused(f"{target} is one of the live database's own files")
    if target.is_dir():
        raise BackupRefused(f"{target} is a directory; give a file name")
    if target.exists() and not force:
        raise BackupRefused(f"{target} already exists; pass --force to replace it")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        with (
            closing(sqlite3.connect(source, timeout=10)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)
            # one self-contained file: no -wal beside the copy
            dst.execute("PRAGMA journal_mode=DELETE")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
