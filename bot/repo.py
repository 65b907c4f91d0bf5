"""All SQL lives here: one aiosqlite connection, a versioned schema, short transactions.

The database is the schedule. ``slots`` hold each planned time's next due instant, ``nudges``
hold every occurrence with its delivery state and outcome, ``messages`` map every message sent
back to its nudge. Writes go through one lock and ``BEGIN IMMEDIATE`` because a shared
aiosqlite connection would otherwise let one coroutine's commit publish another's half-done
transaction; nothing awaits the network inside a transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import aiosqlite

from schedules.nudges import OPEN_OUTCOMES, Occurrence, Outcome
from schedules.routines import Routine

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
    # Start-up finds the sends a crash left in flight without reading every nudge.
    """
    CREATE INDEX nudges_sending ON nudges(delivery) WHERE delivery = 'sending';
    """,
)
"""Schema versions, applied in order; ``PRAGMA user_version`` records how many ran."""

USER_TABLES = ("users", "routines", "slots", "nudges", "messages")


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
    """One routine of a user's plan with its times and when each next falls due."""

    routine: Routine
    enabled: bool
    times: tuple[time, ...]
    next_due: datetime | None


@dataclass(frozen=True, slots=True)
class DueSlot:
    """A planned time whose next occurrence has come, with what is needed to place it."""

    user_id: int
    routine: Routine
    local_time: time
    due: datetime
    zone: str
    paused_until: datetime | None


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
    nag_minutes: int | None
    nags_left: int


@dataclass(frozen=True, slots=True)
class Nudge:
    """A stored nudge as the user sees it in /today, /export and /stats."""

    nudge_id: int
    routine: Routine
    local_date: date
    local_time: time
    due: datetime
    outcome: Outcome
    delivery: str
    sent_at: datetime | None
    answered_at: datetime | None
    note: str | None
    message_id: int | None


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of pressing a nudge button: the nudge after the press, and if it changed."""

    nudge: Nudge
    changed: bool


@dataclass(frozen=True, slots=True)
class WeeklyDue:
    """A user whose weekly summary is due."""

    user_id: int
    chat_id: int
    zone: str
    due: datetime


_USER_COLUMNS = (
    "user_id, chat_id, zone, active, joined_at, paused_until, snooze_minutes, nag_minutes, "
    "nag_times, weekly_summary"
)
_NUDGE_COLUMNS = (
    "id, routine, local_date, local_time, due_at, outcome, delivery, sent_at, answered_at, note, "
    "message_id"
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
        delivery=row["delivery"],
        sent_at=_opt_dt(row["sent_at"]),
        answered_at=_opt_dt(row["answered_at"]),
        note=row["note"],
        message_id=row["message_id"],
    )


class Repository:
    """The bot's storage; open it with :meth:`open` and close it on shutdown."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Repository:
        """Connect, set per-connection pragmas and bring the schema up to date."""
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        repo = cls(db)
        await repo._migrate()
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

    async def _migrate(self) -> None:
        async with self._tx() as db:
            async with db.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            version = row[0] if row else 0
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {number}")

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
        self, user_id: int, zone: str, dues: Mapping[tuple[Routine, time], datetime]
    ) -> None:
        """Store a new zone and the next due instant of every planned time in it."""
        async with self._tx() as db:
            await db.execute("UPDATE users SET zone = ? WHERE user_id = ?", (zone, user_id))
            await self._write_dues(db, user_id, dues)

    async def set_plan(
        self,
        user_id: int,
        routine: Routine,
        *,
        enabled: bool,
        times: Iterable[time],
        dues: Mapping[time, datetime],
    ) -> None:
        """Replace one routine's times; only enabled routines get a next due instant."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO routines (user_id, routine, enabled) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id, routine) DO UPDATE SET enabled = excluded.enabled",
                (user_id, routine.value, int(enabled)),
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

    async def reschedule(self, user_id: int, dues: Mapping[tuple[Routine, time], datetime]) -> None:
        """Give every enabled planned time a fresh next due instant (zone change, return)."""
        async with self._tx() as db:
            await self._write_dues(db, user_id, dues)

    async def get_plan(self, user_id: int) -> list[PlanEntry]:
        """Every routine of the user's plan, in a stable order."""
        rows = await self._fetchall(
            "SELECT r.routine, r.enabled, s.local_time, s.next_due FROM routines r "
            "LEFT JOIN slots s ON s.user_id = r.user_id AND s.routine = r.routine "
            "WHERE r.user_id = ? ORDER BY r.routine, s.local_time",
            [user_id],
        )
        enabled: dict[Routine, bool] = {}
        times: dict[Routine, list[time]] = {}
        dues: dict[Routine, list[datetime]] = {}
        for row in rows:
            routine = Routine(row["routine"])
            enabled[routine] = bool(row["enabled"])
            times.setdefault(routine, [])
            dues.setdefault(routine, [])
            if row["local_time"] is not None:
                times[routine].append(_time(row["local_time"]))
            if row["next_due"] is not None:
                dues[routine].append(from_ts(row["next_due"]))
        plan = {
            r: PlanEntry(r, enabled[r], tuple(times[r]), min(dues[r], default=None))
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
            await db.execute("UPDATE users SET active = 0 WHERE user_id = ?", (user_id,))
            await db.execute("UPDATE slots SET next_due = NULL WHERE user_id = ?", (user_id,))
            await db.execute(
                "UPDATE nudges SET send_at = NULL WHERE user_id = ? AND send_at IS NOT NULL",
                (user_id,),
            )

    async def forget(self, user_id: int) -> bool:
        """Delete everything held on the user in one transaction; False if nothing was held."""
        async with self._tx() as db:
            cursor = await db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
            return cursor.rowcount > 0

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
    ) -> int:
        """Turn slots that have fallen due into nudges and advance them, atomically.

        The UNIQUE key (user, routine, local date, time) makes a second claim of the same
        occurrence a no-op; a routine already done that day gets no new nudge.
        """
        async with self._tx() as db:
            async with db.execute(
                "SELECT s.user_id, s.routine, s.local_time, s.next_due, u.zone, u.paused_until "
                "FROM slots s JOIN users u ON u.user_id = s.user_id "
                "WHERE s.next_due <= ? ORDER BY s.next_due LIMIT ?",
                (to_ts(now), limit),
            ) as cursor:
                rows = list(await cursor.fetchall())
            inserts: list[tuple[object, ...]] = []
            advances: list[tuple[object, ...]] = []
            for row in rows:
                slot = DueSlot(
                    user_id=row["user_id"],
                    routine=Routine(row["routine"]),
                    local_time=_time(row["local_time"]),
                    due=from_ts(row["next_due"]),
                    zone=row["zone"],
                    paused_until=_opt_dt(row["paused_until"]),
                )
                occ = place(slot)
                sendable = occ.outcome is Outcome.PENDING
                day = occ.local_date.isoformat()
                inserts.append(
                    (
                        slot.user_id,
                        slot.routine.value,
                        day,
                        _hhmm(occ.local_time),
                        to_ts(occ.due),
                        to_ts(occ.day_end),
                        occ.outcome.value,
                        to_ts(occ.due) if sendable else None,
                        "queued" if sendable else "none",
                        slot.user_id,
                        slot.routine.value,
                        day,
                    )
                )
                advances.append(
                    (
                        to_ts(occ.next_due),
                        slot.user_id,
                        slot.routine.value,
                        _hhmm(slot.local_time),
                        to_ts(slot.due),
                    )
                )
            await db.executemany(
                "INSERT INTO nudges (user_id, routine, local_date, local_time, due_at, day_end,"
                " outcome, send_at, delivery) "
                "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM nudges "
                "WHERE user_id = ? AND routine = ? AND local_date = ? AND outcome = 'done') "
                "ON CONFLICT DO NOTHING",
                inserts,
            )
            await db.executemany(
                "UPDATE slots SET next_due = ? "
                "WHERE user_id = ? AND routine = ? AND local_time = ? AND next_due = ?",
                advances,
            )
            return len(rows)

    async def expire_open(self, now: datetime) -> int:
        """Nudges still unanswered when the user's day ended become missed."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE nudges SET outcome = 'missed', send_at = NULL "
                "WHERE outcome IN ('pending', 'snoozed') AND day_end <= ?",
                (to_ts(now),),
            )
            return cursor.rowcount

    async def claim_sends(
        self, now: datetime, limit: int, catch_up_from: datetime
    ) -> list[Claimed]:
        """Mark due messages as in flight (the intent, written before the send).

        A first send that is older than ``catch_up_from`` is counted missed instead.
        """
        async with self._tx() as db:
            async with db.execute(
                "SELECT n.id, n.user_id, u.chat_id, n.routine, n.local_date, n.local_time, "
                "n.send_at, n.sends, n.nags, n.outcome, u.nag_minutes, u.nag_times, u.active, "
                "u.paused_until "
                "FROM nudges n JOIN users u ON u.user_id = n.user_id "
                "WHERE n.send_at <= ? AND n.delivery != 'sending' ORDER BY n.send_at LIMIT ?",
                (to_ts(now), limit),
            ) as cursor:
                rows = list(await cursor.fetchall())
            claimed: list[Claimed] = []
            for row in rows:
                late = row["send_at"] < to_ts(catch_up_from)
                paused = row["paused_until"] is not None and row["paused_until"] > to_ts(now)
                closed = Outcome(row["outcome"]) not in OPEN_OUTCOMES
                if not row["active"] or paused or closed or late:
                    never_sent = row["sends"] == 0 and row["outcome"] == Outcome.PENDING
                    outcome = row["outcome"]
                    if never_sent and late:
                        outcome = Outcome.MISSED
                    elif paused and not closed:
                        outcome = Outcome.PAUSED
                    await db.execute(
                        "UPDATE nudges SET send_at = NULL, outcome = ?, delivery = ? WHERE id = ?",
                        (outcome, "none" if row["sends"] == 0 else "sent", row["id"]),
                    )
                    continue
                await db.execute(
                    "UPDATE nudges SET delivery = 'sending' WHERE id = ?", (row["id"],)
                )
                claimed.append(
                    Claimed(
                        nudge_id=row["id"],
                        user_id=row["user_id"],
                        chat_id=row["chat_id"],
                        routine=Routine(row["routine"]),
                        local_date=date.fromisoformat(row["local_date"]),
                        local_time=_time(row["local_time"]),
                        is_nag=row["sends"] > 0 and row["outcome"] == "pending",
                        nag_minutes=row["nag_minutes"],
                        nags_left=row["nag_times"] - row["nags"],
                    )
                )
            return claimed

    async def mark_sent(
        self, claim: Claimed, message_id: int, now: datetime, resend_at: datetime | None
    ) -> None:
        """Record a delivered message (the result, written after the send)."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE nudges SET delivery = 'sent', sent_at = ?, message_id = ?, "
                "sends = sends + 1, nags = nags + ?, "
                "send_at = CASE WHEN outcome IN ('pending', 'snoozed') THEN ? END, "
                "outcome = CASE WHEN outcome = 'snoozed' THEN 'pending' ELSE outcome END "
                "WHERE id = ?",
                (
                    to_ts(now),
                    message_id,
                    int(claim.is_nag),
                    to_ts(resend_at) if resend_at else None,
                    claim.nudge_id,
                ),
            )
            await db.execute(
                "INSERT OR IGNORE INTO messages (user_id, message_id, nudge_id) VALUES (?, ?, ?)",
                (claim.user_id, message_id, claim.nudge_id),
            )

    async def mark_undelivered(
        self, nudge_id: int, delivery: str, retry_at: datetime | None
    ) -> None:
        """A send that failed (retry later) or may or may not have arrived (never resent)."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE nudges SET delivery = ?, send_at = ? WHERE id = ?",
                (delivery, to_ts(retry_at) if retry_at else None, nudge_id),
            )

    async def release_claims(self, nudge_ids: list[int]) -> None:
        """Claims a stopping dispatcher never sent go back to the queue."""
        async with self._tx() as db:
            await db.executemany(
                "UPDATE nudges SET delivery = 'queued' WHERE id = ? AND delivery = 'sending'",
                [(i,) for i in nudge_ids],
            )

    async def recover_in_flight(self) -> int:
        """After a crash, sends that were claimed but never confirmed go out again."""
        async with self._tx() as db:
            cursor = await db.execute(
                "UPDATE nudges SET delivery = 'queued' WHERE delivery = 'sending'"
            )
            return cursor.rowcount

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
            "SELECT user_id, chat_id, zone, next_summary_at FROM users "
            "WHERE next_summary_at <= ? AND active = 1 AND zone IS NOT NULL "
            "ORDER BY next_summary_at LIMIT ?",
            [to_ts(now), limit],
        )
        return [
            WeeklyDue(r["user_id"], r["chat_id"], r["zone"], from_ts(r["next_summary_at"]))
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

    async def heartbeat(self, now: datetime) -> None:
        """The dispatcher ran; ``facenudge health`` reads this."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES ('heartbeat', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(to_ts(now)),),
            )

    async def last_heartbeat(self) -> datetime | None:
        """When the dispatcher last ran, if ever."""
        row = await self._fetchone("SELECT value FROM meta WHERE key = 'heartbeat'")
        return from_ts(int(row["value"])) if row else None

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

        Open nudges take any answer; a missed or paused one can still be marked done or skipped;
        a done or skipped nudge stays as it is, so a double tap changes nothing.
        """
        async with self._tx() as db:
            async with db.execute(
                f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE id = ? AND user_id = ?",
                (nudge_id, user_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            current = Outcome(row["outcome"])
            allowed = current in OPEN_OUTCOMES or (
                current in (Outcome.MISSED, Outcome.PAUSED)
                and outcome in (Outcome.DONE, Outcome.SKIPPED)
            )
            if not allowed:
                return Answer(_nudge(row), changed=False)
            await db.execute(
                "UPDATE nudges SET outcome = ?, answered_at = ?, send_at = ?, nags = 0 "
                "WHERE id = ?",
                (outcome.value, to_ts(now), to_ts(snooze_to) if snooze_to else None, nudge_id),
            )
            async with db.execute(
                f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE id = ?", (nudge_id,)
            ) as cursor:
                updated = await cursor.fetchone()
            assert updated is not None
            return Answer(_nudge(updated), changed=True)

    async def mark_done_early(self, user_id: int, occ: Occurrence, now: datetime) -> bool:
        """Mark a (possibly not yet sent) nudge of today done; False if it already was closed."""
        async with self._tx() as db:
            cursor = await db.execute(
                "INSERT INTO nudges (user_id, routine, local_date, local_time, due_at, day_end, "
                "outcome, delivery, answered_at) VALUES (?, ?, ?, ?, ?, ?, 'done', 'none', ?) "
                "ON CONFLICT (user_id, routine, local_date, local_time) DO UPDATE SET "
                "outcome = 'done', answered_at = excluded.answered_at, send_at = NULL "
                "WHERE nudges.outcome IN ('pending', 'snoozed', 'missed')",
                (
                    user_id,
                    occ.routine.value,
                    occ.local_date.isoformat(),
                    _hhmm(occ.local_time),
                    to_ts(occ.due),
                    to_ts(occ.day_end),
                    to_ts(now),
                ),
            )
            return cursor.rowcount == 1

    async def add_note(
        self, user_id: int, message_id: int, text: str, now: datetime
    ) -> Nudge | None:
        """Append a reply's text to the nudge that message belongs to; None if it's not a nudge."""
        async with self._tx() as db:
            async with db.execute(
                "SELECT nudge_id FROM messages WHERE user_id = ? AND message_id = ?",
                (user_id, message_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            await db.execute(
                "UPDATE nudges SET note = CASE WHEN note IS NULL THEN ? "
                "ELSE note || char(10) || ? END WHERE id = ?",
                (text, text, row["nudge_id"]),
            )
            async with db.execute(
                f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE id = ?", (row["nudge_id"],)
            ) as cursor:
                updated = await cursor.fetchone()
            return _nudge(updated) if updated else None

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


def read_heartbeat(path: Path) -> datetime | None:
    """The dispatcher's last heartbeat, read through a separate read-only connection.

    Raises ``sqlite3.Error`` when the database is missing or unreadable.
    """
    if not path.exists():
        raise sqlite3.OperationalError(f"no database at {path}")
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'heartbeat'").fetchone()
    return from_ts(int(row[0])) if row else None


def backup_database(source: Path, target: Path) -> None:
    """An online, consistent copy through SQLite's backup API, safe while the bot writes."""
    if not source.exists():
        raise sqlite3.OperationalError(f"no database at {source}")
    with (
        closing(sqlite3.connect(source, timeout=10)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.execute("PRAGMA busy_timeout=10000")
        src.backup(dst)
