"""Scale benchmark: 100,000 users in one process, start-up, memory and per-tick selection cost.

Run from the repository root:  .venv/bin/python -m bench.scale [--users 100000] [--jobs-users 10000]

The database is created with ``Repository.open`` (the real schema) and filled through sqlite3
``executemany``: ``--users`` users in a dozen time zones, three routines each at realistic local
times (one slot per routine, ``next_due`` = the next occurrence, so due instants spread over the
whole day), the weekly summary armed, and ``--history-days`` days of answered nudges. Then, each in
a fresh Python process (so the resident memory is the bot's alone; the Bot API stand-in runs in
this parent process and the child talks to it over HTTP):

* FaceNudge: ``build_application`` and start-up to polling (initialize + post_init +
  updater.start_polling + start, as ``run_polling`` does), VmRSS after start, then the dispatcher's
  selection per tick: ``materialize_due`` + ``claim_sends`` with nothing due and with ~100 slots
  due, a whole ``Dispatcher.tick()`` with nothing due, and the raw indexed query through sqlite3.
  The virtual clock stands ``--quiet-minutes`` before the first due slot, so nothing falls due
  by itself while measuring.
* Baseline, the naive per-user JobQueue design: a bare PTB ``Application`` started, then
  3 x ``--jobs-users`` ``run_daily`` jobs (one per user and routine, zone-aware times) registered;
  time and RSS growth, extrapolated linearly to ``--users``; plus one ``get_jobs_by_name`` lookup.

Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as wall_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]

# Zones weighted roughly like a European/American/Asian user base; two non-hour offsets.
ZONES = (
    ("Europe/Berlin", 18),
    ("Europe/London", 12),
    ("America/New_York", 14),
    ("America/Los_Angeles", 8),
    ("America/Sao_Paulo", 6),
    ("Asia/Kolkata", 10),
    ("Asia/Kathmandu", 2),
    ("Asia/Tokyo", 6),
    ("Asia/Singapore", 5),
    ("Australia/Sydney", 5),
    ("Africa/Lagos", 6),
    ("UTC", 8),
)
# Each routine's local times: (first hour, last hour) in 15-minute steps.
TIME_RANGES = {"yoga": (6, 9), "supplements": (7, 12), "moisturize": (20, 23)}
OUTCOMES = ("done", "done", "done", "skipped", "missed")


def rss_mb() -> float:
    """Resident set size of this process in MB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------------------- seeding


def local_times(routine: str) -> list[wall_time]:
    first, last = TIME_RANGES[routine]
    return [wall_time(h, m) for h in range(first, last + 1) for m in (0, 15, 30, 45)]


def seed(db: Path, users: int, history_days: int, now: datetime) -> dict[str, Any]:
    """Fill the schema'd database with executemany; returns counts and the first due instant."""
    from schedules.nudges import first_due, next_summary
    from schedules.recurrence import day_end, local_date, occurrence

    rng = random.Random(7)
    names = [z for z, _ in ZONES]
    weights = [w for _, w in ZONES]
    tzs: dict[str, tzinfo] = {z: ZoneInfo(z) for z in names}
    due_cache: dict[tuple[str, wall_time], int] = {}
    summary = {z: int(next_summary(tzs[z], now).timestamp()) for z in names}
    choices = {r: local_times(r) for r in TIME_RANGES}
    joined = int((now - timedelta(days=60)).timestamp())

    user_rows: list[tuple[object, ...]] = []
    routine_rows: list[tuple[object, ...]] = []
    slot_rows: list[tuple[object, ...]] = []
    plan: list[tuple[int, str, str, wall_time]] = []
    for i in range(users):
        uid = 1_000_000 + i
        zone = rng.choices(names, weights)[0]
        user_rows.append((uid, uid, zone, joined, summary[zone]))
        for routine, options in choices.items():
            at = rng.choice(options)
            key = (zone, at)
            if key not in due_cache:
                due_cache[key] = int(first_due(at, tzs[zone], now).timestamp())
            routine_rows.append((uid, routine))
            slot_rows.append((uid, routine, at.strftime("%H:%M"), due_cache[key]))
            plan.append((uid, zone, routine, at))

    started = time.perf_counter()
    with closing(sqlite3.connect(db)) as con:
        con.execute("PRAGMA synchronous=OFF")
        with con:
            con.executemany(
                "INSERT INTO users (user_id, chat_id, zone, joined_at, next_summary_at) "
                "VALUES (?, ?, ?, ?, ?)",
                user_rows,
            )
            con.executemany(
                "INSERT INTO routines (user_id, routine, enabled) VALUES (?, ?, 1)", routine_rows
            )
            con.executemany(
                "INSERT INTO slots (user_id, routine, local_time, next_due) VALUES (?, ?, ?, ?)",
                slot_rows,
            )
        nudges = 0
        for back in range(1, history_days + 1):
            rows: list[tuple[object, ...]] = []
            day_cache: dict[tuple[str, wall_time], tuple[str, int, int]] = {}
            for uid, zone, routine, at in plan:
                key = (zone, at)
                if key not in day_cache:
                    tz = tzs[zone]
                    day = local_date(now, tz) - timedelta(days=back)
                    due = occurrence(day, at, tz)
                    day_cache[key] = (
                        day.isoformat(),
                        int(due.timestamp()),
                        int(day_end(day, tz).timestamp()),
                    )
                day_iso, due_ts, end_ts = day_cache[key]
                outcome = rng.choice(OUTCOMES)
                rows.append(
                    (
                        uid,
                        routine,
                        day_iso,
                        at.strftime("%H:%M"),
                        due_ts,
                        end_ts,
                        outcome,
                        due_ts + 1,
                        back,
                        due_ts + 600 if outcome != "missed" else None,
                    )
                )
            with con:
                con.executemany(
                    "INSERT INTO nudges (user_id, routine, local_date, local_time, due_at, "
                    "day_end, outcome, delivery, sends, sent_at, message_id, answered_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'sent', 1, ?, ?, ?)",
                    rows,
                )
            nudges += len(rows)
        con.execute("ANALYZE")
        first = con.execute("SELECT MIN(next_due) FROM slots").fetchone()[0]
    return {
        "users": users,
        "slots": len(slot_rows),
        "nudges": nudges,
        "insert_s": time.perf_counter() - started,
        "first_due": first,
        "db_mb": sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20,
    }


# --------------------------------------------------------------------------- child: FaceNudge


def quantiles_ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered) * 1e3,
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1e3,
        "max": ordered[-1] * 1e3,
        "n": len(ordered),
    }


async def timed(make: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await make()
        out.append(time.perf_counter() - t0)
    return out


async def child_bot(args: argparse.Namespace) -> dict[str, Any]:
    """Build, start and measure the real application in this (fresh) process."""
    rss_start = rss_mb()
    t0 = time.perf_counter()
    from bot.dispatcher import PLACE_BATCH

    batch = 30  # claims per round: about a second of sending
    from tests.harness import RunningBot, VirtualClock, make_settings

    imports = time.perf_counter() - t0
    rss_imported = rss_mb()
    db = Path(args.db)
    clock = VirtualClock()
    clock.set(datetime.fromtimestamp(args.clock, UTC))
    settings = make_settings(db, args.api_root)

    t0 = time.perf_counter()
    bot = RunningBot(settings, clock)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    await bot.start()
    start = time.perf_counter() - t0
    rss_started = rss_mb()
    out: dict[str, Any] = {
        "rss_start": rss_start,
        "imports": imports,
        "rss_imported": rss_imported,
        "build": build,
        "start": start,
        "rss_started": rss_started,
    }
    try:
        services = bot.services
        repo, dispatcher = services.repo, services.dispatcher
        catch_up = settings.catch_up
        place = dispatcher._place  # the dispatcher's own placement rule

        async def select(now: datetime) -> tuple[int, int]:
            placed = (await repo.materialize_due(now, PLACE_BATCH, place)).placed
            claimed = await repo.claim_sends(now, batch, catch_up)
            return placed, len(claimed)

        await select(clock())  # warm-up
        out["idle_select"] = quantiles_ms(await timed(lambda: select(clock()), args.repeat))
        out["idle_tick"] = quantiles_ms(await timed(dispatcher.tick, args.repeat))

        with closing(sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)) as ro:
            materialize: list[float] = []
            claim: list[float] = []
            placed_n: list[int] = []
            claimed_n: list[int] = []
            for _ in range(args.due_rounds):
                row = ro.execute(
                    "SELECT next_due FROM slots WHERE next_due IS NOT NULL "
                    "ORDER BY next_due LIMIT 1 OFFSET ?",
                    (args.due - 1,),
                ).fetchone()
                now = datetime.fromtimestamp(row[0], UTC)
                t1 = time.perf_counter()
                placed = (await repo.materialize_due(now, args.due, place)).placed
                t2 = time.perf_counter()
                claimed = await repo.claim_sends(now, batch, catch_up)
                t3 = time.perf_counter()
                materialize.append(t2 - t1)
                claim.append(t3 - t2)
                placed_n.append(placed)
                claimed_n.append(len(claimed))
            out["due_materialize"] = quantiles_ms(materialize)
            out["due_claim"] = quantiles_ms(claim)
            out["due_total"] = quantiles_ms(
                [a + b for a, b in zip(materialize, claim, strict=True)]
            )
            out["due_placed"] = placed_n
            out["due_claimed"] = claimed_n

            # A same-minute burst: the busiest instant of the next hour, placed as tick() does
            # (PLACE_BATCH at a time, all of it before the first claim).
            first = ro.execute("SELECT MIN(next_due) FROM slots").fetchone()[0]
            burst_at, burst_size = ro.execute(
                "SELECT next_due, COUNT(*) FROM slots WHERE next_due <= ? "
                "GROUP BY next_due ORDER BY 2 DESC LIMIT 1",
                (first + 3600,),
            ).fetchone()
            before = datetime.fromtimestamp(burst_at - 1, UTC)
            while (await repo.materialize_due(before, PLACE_BATCH, place)).placed == PLACE_BATCH:
                pass  # earlier slots: placed by earlier ticks in real life, not timed here
            now = datetime.fromtimestamp(burst_at, UTC)
            batches: list[float] = []
            total = 0
            t1 = time.perf_counter()
            while True:
                t2 = time.perf_counter()
                placed = (await repo.materialize_due(now, PLACE_BATCH, place)).placed
                batches.append(time.perf_counter() - t2)
                total += placed
                if placed < PLACE_BATCH:
                    break
            out["burst"] = {
                "size": burst_size,
                "placed": total,
                "seconds": time.perf_counter() - t1,
                "per_batch_ms": quantiles_ms(batches),
                "batches": len(batches),
            }

            raw_sql = (
                "SELECT s.user_id, s.routine, s.local_time, s.next_due, u.zone, u.paused_until "
                "FROM slots s JOIN users u ON u.user_id = s.user_id "
                "WHERE s.next_due <= ? ORDER BY s.next_due LIMIT 500"
            )
            idle_now = int(clock().timestamp())
            row = ro.execute(
                "SELECT next_due FROM slots WHERE next_due IS NOT NULL "
                "ORDER BY next_due LIMIT 1 OFFSET ?",
                (args.due - 1,),
            ).fetchone()
            due_now = row[0]
            raw: dict[str, Any] = {}
            for label, at in (("idle", idle_now), ("due", due_now)):
                samples = []
                count = 0
                for _ in range(args.repeat * 5):
                    t1 = time.perf_counter()
                    count = len(ro.execute(raw_sql, (at,)).fetchall())
                    samples.append(time.perf_counter() - t1)
                raw[label] = {**quantiles_ms(samples), "rows": count}
            raw["plan"] = [r[3] for r in ro.execute("EXPLAIN QUERY PLAN " + raw_sql, (0,))]
            claim_sql = (
                "SELECT n.id FROM nudges n JOIN users u ON u.user_id = n.user_id "
                "WHERE n.send_at <= ? AND n.delivery != 'sending' ORDER BY n.send_at LIMIT 30"
            )
            raw["claim_plan"] = [r[3] for r in ro.execute("EXPLAIN QUERY PLAN " + claim_sql, (0,))]
            out["raw"] = raw
        out["rss_end"] = rss_mb()
    finally:
        await bot.stop()
    return out


# --------------------------------------------------------------------------- child: naive jobs


async def child_jobs(args: argparse.Namespace) -> dict[str, Any]:
    """A bare PTB application, started, then one run_daily job per user and routine."""
    from telegram.ext import Application, ContextTypes

    from tests.harness import TOKEN

    rss_imported = rss_mb()
    app = Application.builder().token(TOKEN).base_url(f"{args.api_root}/bot").build()
    assert app.job_queue is not None

    async def nudge(_: ContextTypes.DEFAULT_TYPE) -> None:
        """Would send the nudge."""

    rng = random.Random(7)
    names = [z for z, _ in ZONES]
    weights = [w for _, w in ZONES]
    tzs = {z: ZoneInfo(z) for z in names}
    choices = {r: local_times(r) for r in TIME_RANGES}
    plan = []
    for i in range(args.jobs_users):
        uid = 1_000_000 + i
        tz = tzs[rng.choices(names, weights)[0]]
        for routine, options in choices.items():
            plan.append((uid, routine, rng.choice(options).replace(tzinfo=tz)))
    await app.initialize()
    await app.start()
    out: dict[str, Any] = {"rss_imported": rss_imported}
    try:
        rss_before = rss_mb()
        t0 = time.perf_counter()
        for uid, routine, at in plan:
            app.job_queue.run_daily(nudge, at, chat_id=uid, name=f"{uid}:{routine}")
        out["register"] = time.perf_counter() - t0
        out["rss_before"] = rss_before
        out["rss_after"] = rss_mb()
        out["jobs"] = len(plan)
        t0 = time.perf_counter()
        found = app.job_queue.get_jobs_by_name(f"{1_000_000 + args.jobs_users // 2}:yoga")
        out["lookup"] = time.perf_counter() - t0
        out["lookup_found"] = len(found)
    finally:
        await app.stop()
        await app.shutdown()
    return out


# --------------------------------------------------------------------------- parent


async def run_child(mode: str, extra: list[str]) -> dict[str, Any]:
    """Run this module in a fresh interpreter and return the JSON it prints last."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PTB_TIMEDELTA": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.scale",
        "--child",
        mode,
        *extra,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=600)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    errors = stderr.decode(errors="replace").strip()
    if proc.returncode != 0:
        print(errors, file=sys.stderr)
        raise RuntimeError(f"child {mode} exited with {proc.returncode}")
    if errors:
        lines = errors.splitlines()
        print(f"  ({mode} child logged {len(lines)} stderr lines; last: {lines[-1][:160]})")
    result: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return result


def fmt_q(q: dict[str, float]) -> str:
    return f"{q['p50']:.2f} / {q['p95']:.2f} / {q['max']:.2f}"


async def parent(args: argparse.Namespace) -> None:
    from bot.repo import Repository
    from tests.harness import start_server

    print(
        f"scale: {args.users:,} users x 3 routines; baseline {args.jobs_users:,} users x 3 "
        f"run_daily jobs, extrapolated to {args.users:,}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        db = Path(tmp) / "scale.db"
        repo = await Repository.open(db)
        await repo.close()
        now = datetime.now(UTC).replace(microsecond=0)
        t0 = time.perf_counter()
        seeded = seed(db, args.users, args.history_days, now)
        print(
            f"seeded {seeded['users']:,} users, {seeded['slots']:,} slots, "
            f"{seeded['nudges']:,} history nudges in {time.perf_counter() - t0:.1f} s "
            f"(inserts {seeded['insert_s']:.1f} s); database {seeded['db_mb']:.0f} MB",
            flush=True,
        )
        # Nothing falls due on its own while we measure: the clock stands before the first slot.
        clock_at = seeded["first_due"] - args.quiet_minutes * 60
        server = await start_server()
        try:
            print("FaceNudge (fresh process) ...", flush=True)
            bot = await run_child(
                "bot",
                [
                    "--db",
                    str(db),
                    "--api-root",
                    server.api_root,
                    "--clock",
                    str(clock_at),
                    "--repeat",
                    str(args.repeat),
                    "--due",
                    str(args.due),
                    "--due-rounds",
                    str(args.due_rounds),
                ],
            )
            jobs = None
            if args.jobs_users > 0:
                print("naive JobQueue baseline (fresh process) ...", flush=True)
                jobs = await run_child(
                    "jobs", ["--api-root", server.api_root, "--jobs-users", str(args.jobs_users)]
                )
        finally:
            await server.stop()
    report(args, bot, jobs)


def report(args: argparse.Namespace, bot: dict[str, Any], jobs: dict[str, Any] | None) -> None:
    rows: list[tuple[str, str, str]] = [
        ("FaceNudge, real application", "", ""),
        ("  imports (bot + PTB + harness)", f"{bot['imports']:.2f} s", ""),
        ("  build_application (incl. FAQ index)", f"{bot['build']:.2f} s", ""),
        ("  start-up to polling", f"{bot['start']:.2f} s", "< 3 s"),
        (
            "  RSS: bare interpreter / after imports",
            f"{bot['rss_start']:.0f} / {bot['rss_imported']:.0f} MB",
            "",
        ),
        ("  RSS after start", f"{bot['rss_started']:.0f} MB", "< 200 MB"),
        ("  RSS after the tick measurements", f"{bot['rss_end']:.0f} MB", ""),
        ("  select per tick, nothing due (ms p50/p95/max)", fmt_q(bot["idle_select"]), "< 50 ms"),
        ("  whole Dispatcher.tick(), nothing due", fmt_q(bot["idle_tick"]), ""),
        (
            f"  select per tick, {args.due} due: materialize_due(limit={args.due})",
            fmt_q(bot["due_materialize"]) + f"  (placed {bot['due_placed']})",
            "",
        ),
        (
            "    + claim_sends (batch of 30)",
            fmt_q(bot["due_claim"]) + f"  (claimed {bot['due_claimed']})",
            "",
        ),
        ("    = selection", fmt_q(bot["due_total"]), "< 50 ms"),
        (
            "  same-minute burst (busiest instant), placed before the 1st claim",
            f"{bot['burst']['placed']:,} placed in {bot['burst']['seconds'] * 1e3:.0f} ms "
            f"({bot['burst']['batches']} x materialize_due(500), "
            f"p50 {bot['burst']['per_batch_ms']['p50']:.0f} ms)",
            "",
        ),
        (
            "  raw indexed query (sqlite3), nothing due",
            fmt_q(bot["raw"]["idle"]) + f"  ({bot['raw']['idle']['rows']} rows)",
            "",
        ),
        (
            "  raw indexed query, busy minute (LIMIT 500)",
            fmt_q(bot["raw"]["due"]) + f"  ({bot['raw']['due']['rows']} rows)",
            "",
        ),
    ]
    if jobs is not None:
        scale = args.users / args.jobs_users
        growth = jobs["rss_after"] - jobs["rss_before"]
        rows += [
            ("naive: one run_daily job per user and routine", "", ""),
            (
                f"  register {jobs['jobs']:,} jobs (start-up)",
                f"{jobs['register']:.2f} s",
                "",
            ),
            (
                f"  -> extrapolated to {3 * args.users:,} jobs",
                f"{jobs['register'] * scale:.1f} s (linear)",
                "",
            ),
            (
                "  RSS before / after registering",
                f"{jobs['rss_before']:.0f} / {jobs['rss_after']:.0f} MB "
                f"(+{growth:.0f} MB, {growth * 1024 / jobs['jobs']:.1f} KB/job)",
                "",
            ),
            (
                f"  -> extrapolated to {3 * args.users:,} jobs",
                f"{jobs['rss_before'] + growth * scale:.0f} MB (+{growth * scale:.0f} MB)",
                "",
            ),
            (
                f"  get_jobs_by_name, one user ({jobs['jobs']:,} jobs)",
                f"{jobs['lookup'] * 1e3:.1f} ms -> ~{jobs['lookup'] * scale * 1e3:.0f} ms "
                f"at {3 * args.users:,}",
                "",
            ),
        ]
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print()
    print(f"{'measure'.ljust(width)}  {'value'.ljust(vwidth)}  goal")
    print(f"{'-' * width}  {'-' * vwidth}  ----")
    for name, value, goal in rows:
        print(f"{name.ljust(width)}  {value.ljust(vwidth)}  {goal}")
    print()
    print("query plan, slots:", " | ".join(bot["raw"]["plan"]))
    print("query plan, claim:", " | ".join(bot["raw"]["claim_plan"]))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000, help="users seeded in SQLite")
    parser.add_argument(
        "--jobs-users", type=int, default=10_000, help="users for the naive JobQueue baseline"
    )
    parser.add_argument(
        "--history-days", type=int, default=1, help="days of answered nudges per user"
    )
    parser.add_argument("--repeat", type=int, default=20, help="repetitions per timing")
    parser.add_argument("--due", type=int, default=100, help="slots due in the 'busy' tick")
    parser.add_argument("--due-rounds", type=int, default=5, help="busy ticks to time")
    parser.add_argument(
        "--quiet-minutes", type=int, default=10, help="clock this long before the first slot"
    )
    parser.add_argument("--child", choices=("bot", "jobs"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api-root", help=argparse.SUPPRESS)
    parser.add_argument("--clock", type=float, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)  # bm25s sets its own logger to DEBUG
    logging.basicConfig(level=logging.ERROR, handlers=[handler])
    if args.child == "bot":
        print(json.dumps(asyncio.run(child_bot(args))))
    elif args.child == "jobs":
        print(json.dumps(asyncio.run(child_jobs(args))))
    else:
        asyncio.run(parent(args))


if __name__ == "__main__":
    main()
