"""Weekday plans: what skipping off days costs the domain and the dispatcher's placing query.

Run from the repository root:  .venv/bin/python -m bench.weekdays [--users 100000] [--due 1000]

* Domain: ``first_due`` for daily, Mon/Wed/Fri and Sunday-only plans (from every hour of a
  week, Europe/Berlin), against a naive baseline that takes the next daily occurrence and
  repeats it until the weekday fits (what ``next_weekly`` does for the weekly summary).
* Storage: ``--users`` users with three routines each (a third of them on Mon/Wed/Fri or
  weekends), ``--due`` slots due in the same minute. The placing query now joins ``routines``
  for the days: its raw select (sqlite3, ``LIMIT`` of the dispatcher's batch) is timed against
  the query without the join, and ``Repository.materialize_due`` with the dispatcher's placing
  rule is timed as a whole, per batch.

Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.dispatcher import PLACE_BATCH
from bot.repo import DueSlot, Repository, to_ts
from schedules.nudges import Occurrence, first_due, place_occurrence
from schedules.recurrence import EVERY_DAY, Weekdays, days_mask, local_date, next_occurrence
from schedules.routines import Routine

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # a Monday
PLANS: dict[str, Weekdays] = {
    "daily": EVERY_DAY,
    "Mon/Wed/Fri": frozenset({0, 2, 4}),
    "Sunday only": frozenset({6}),
}
NEW_SELECT = (
    "SELECT s.user_id, s.routine, s.local_time, s.next_due, u.zone, u.paused_until, "
    "r.days FROM slots s JOIN users u ON u.user_id = s.user_id "
    "JOIN routines r ON r.user_id = s.user_id AND r.routine = s.routine "
    "WHERE s.next_due <= ? ORDER BY s.next_due LIMIT ?"
)
OLD_SELECT = (
    "SELECT s.user_id, s.routine, s.local_time, s.next_due, u.zone, u.paused_until "
    "FROM slots s JOIN users u ON u.user_id = s.user_id "
    "WHERE s.next_due <= ? ORDER BY s.next_due LIMIT ?"
)


def naive_first_due(at: wall_time, after: datetime, days: Weekdays) -> datetime:
    """The baseline: daily occurrences, one after another, until one falls on a planned day."""
    due = next_occurrence(at, BERLIN, after)
    while local_date(due, BERLIN).weekday() not in days:
        due = next_occurrence(at, BERLIN, due)
    return due


def ours_first_due(at: wall_time, after: datetime, days: Weekdays) -> datetime:
    """What the bot does."""
    return first_due(at, BERLIN, after, days)


def per_call_us(
    fn: Callable[[wall_time, datetime, Weekdays], datetime], days: Weekdays, starts: list[datetime]
) -> float:
    """Median over five rounds of the microseconds one call takes."""
    rounds = []
    for _ in range(5):
        t0 = time.perf_counter()
        for after in starts:
            fn(wall_time(7, 30), after, days)
        rounds.append((time.perf_counter() - t0) / len(starts) * 1e6)
    return statistics.median(rounds)


def domain_rows() -> list[tuple[str, str, str]]:
    starts = [START + timedelta(minutes=13 * i) for i in range(7 * 24 * 60 // 13)]
    rows = []
    for name, days in PLANS.items():
        ours = per_call_us(ours_first_due, days, starts)
        naive = per_call_us(naive_first_due, days, starts)
        rows.append((f"first_due, {name}", f"{ours:.1f} µs", f"{naive:.1f} µs"))
    return rows


async def create_schema(db: Path) -> None:
    """The real schema, as the bot creates it."""
    await (await Repository.open(db)).close()


def arm(db: Path, due: int, minute: datetime) -> None:
    """Make the first ``due`` users' yoga slot due in ``minute``, with no nudges placed yet."""
    with closing(sqlite3.connect(db)) as con, con:
        con.execute("DELETE FROM nudges")
        con.execute(
            "UPDATE slots SET next_due = ? WHERE user_id < ? AND routine = ?",
            (to_ts(minute), 1_000_000 + due, Routine.YOGA.value),
        )


def seed(db: Path, users: int) -> None:
    """Users in Berlin, and three routines each with mixed days, due later in the day."""
    rng = random.Random(7)
    masks = [days_mask(EVERY_DAY)] * 4 + [days_mask(frozenset({0, 2, 4}))] + [0b1100000]
    later = to_ts(START + timedelta(days=3))
    user_rows, routine_rows, slot_rows = [], [], []
    for i in range(users):
        uid = 1_000_000 + i
        user_rows.append((uid, uid, "Europe/Berlin", 0))
        for routine in Routine:
            routine_rows.append((uid, routine.value, rng.choice(masks)))
            slot_rows.append((uid, routine.value, "07:30", later + rng.randrange(86_400)))
    with closing(sqlite3.connect(db)) as con, con:
        con.executemany(
            "INSERT INTO users (user_id, chat_id, zone, joined_at) VALUES (?, ?, ?, ?)", user_rows
        )
        con.executemany(
            "INSERT INTO routines (user_id, routine, enabled, days) VALUES (?, ?, 1, ?)",
            routine_rows,
        )
        con.executemany(
            "INSERT INTO slots (user_id, routine, local_time, next_due) VALUES (?, ?, ?, ?)",
            slot_rows,
        )
        con.execute("ANALYZE")


def select_ms(db: Path, sql: str, minute: datetime, repeat: int) -> float:
    """Median milliseconds of one raw placing select."""
    with closing(sqlite3.connect(db)) as con:
        out = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            con.execute(sql, (to_ts(minute), PLACE_BATCH)).fetchall()
            out.append(time.perf_counter() - t0)
    return statistics.median(out) * 1e3


async def materialize_ms(db: Path, due: int, minute: datetime, repeat: int) -> float:
    """Median milliseconds per placed batch of the real ``materialize_due`` (reset each round)."""

    def place(slot: DueSlot) -> Occurrence:
        return place_occurrence(
            slot.routine,
            slot.local_time,
            ZoneInfo(slot.zone),
            slot.due,
            now=minute,
            catch_up=timedelta(hours=2),
            paused_until=slot.paused_until,
            days=slot.days,
        )

    out = []
    for _ in range(repeat):
        arm(db, due, minute)
        repo = await Repository.open(db)
        try:
            batches = 0
            t0 = time.perf_counter()
            while (await repo.materialize_due(minute, PLACE_BATCH, place)).placed:
                batches += 1
            out.append((time.perf_counter() - t0) / max(batches, 1))
        finally:
            await repo.close()
    return statistics.median(out) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000, help="users seeded in SQLite")
    parser.add_argument("--due", type=int, default=1000, help="slots due in the popular minute")
    parser.add_argument("--repeat", type=int, default=9, help="repetitions per timing")
    args = parser.parse_args()

    rows = domain_rows()
    minute = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)  # Wednesday 07:30 in Berlin
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        asyncio.run(create_schema(db))
        seed(db, args.users)
        arm(db, args.due, minute)
        new = select_ms(db, NEW_SELECT, minute, args.repeat * 5)
        old = select_ms(db, OLD_SELECT, minute, args.repeat * 5)
        rows.append((f"placing select, {PLACE_BATCH} rows", f"{new:.2f} ms", f"{old:.2f} ms"))
        whole = asyncio.run(materialize_ms(db, args.due, minute, args.repeat))
        rows.append((f"materialize_due per {PLACE_BATCH}-slot batch", f"{whole:.1f} ms", "—"))
        with closing(sqlite3.connect(db)) as con:
            plan = [r[3] for r in con.execute(f"EXPLAIN QUERY PLAN {NEW_SELECT}", (0, 1))]

    print(f"\n{args.users:,} users x 3 routines, {args.due:,} slots due in one minute\n")
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'weekday plans':>14}  {'baseline':>10}")
    print(f"{'-' * width}  {'-' * 14}  {'-' * 10}")
    for name, ours, base in rows:
        print(f"{name.ljust(width)}  {ours:>14}  {base:>10}")
    print("\nbaselines: first_due → daily occurrences repeated until the weekday fits;")
    print("placing select → the same query without the join on routines (no days).")
    print("query plan:", " | ".join(plan))


if __name__ == "__main__":
    main()
