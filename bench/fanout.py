"""Fan-out benchmark: a popular minute over a real network, against flood limits that answer 429.

Run from the repository root:
    .venv/bin/python -m bench.fanout [--users 300] [--round-trips 5,50,150,300]

For each round trip: ``--users`` users are seeded through ``Repository`` (yoga due at the same
instant M in six different time zones; the other routines off), the virtual clock is set
``--lead`` seconds before M and the real application is started over HTTP against the Bot API
stand-in, which takes that round trip for every call (half each way) and enforces 30 msg/s
overall and 1 msg/s per chat (429 ``retry_after=1`` beyond). The first three sends answer 502 and
``--blocked`` users answer 403. Measured from M: the first nudge, the delivery rate (delivered /
time from M to the last delivery), the send rate (every send Telegram answered other than 429,
delivered, 403 or 502 alike, since each takes one of its 30 slots a second, as a share of 30/s),
users without a nudge, duplicates and 429s.
While it drains, another user sends ``/help`` every ``--help-every`` seconds and the reply
latency is recorded.

Baseline in the same run, at the same round trips: the same bot sending one message at a time
(``MAX_IN_FLIGHT=1``), the first build's design. ``--naive`` adds a bare PTB bot with one
``run_once`` job per user and no rate limiter.

Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobEvent
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

from bench.table import print_table
from bot import texts
from bot.fakeapi import Call, FakeBotApi
from bot.keyboards import nudge_keyboard
from bot.repo import Repository
from schedules.nudges import first_due
from schedules.prompts import prompt_for
from schedules.routines import DEFAULT_TIMES, Routine
from tests.harness import TOKEN, RunningBot, VirtualClock, make_settings, start_server

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
)
FIRST_USER = 100_000
PROBE_USER = 99_999
GLOBAL_LIMIT = 30.0


@dataclass
class Tally:
    """What the stand-in saw, collected call by call (a listener, so no rescans)."""

    users: frozenset[int]
    probe: int
    others: frozenset[int] = frozenset()
    """Users whose sends fail on purpose (blocked): their sends count, their nudges don't."""
    due_mono: float = 0.0
    ok: Counter[int] = field(default_factory=Counter)
    first_ok: float | None = None
    last_ok: float | None = None
    limited: int = 0
    other_errors: int = 0
    sends: int = 0
    last_send: float | None = None
    probe_replies: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, call: Call) -> None:
        if call.method != "sendMessage":
            return
        if call.status == 429:
            self.limited += 1
        chat = call.chat_id
        if chat == self.probe:
            if call.ok:
                self.probe_replies.append(call.time)
                self.sends += self.last_send is not None  # a reply takes a slot mid-burst
            return
        if chat not in self.users and chat not in self.others:
            return
        if call.status != 429:
            self.sends += 1
            self.last_send = call.time
        if chat not in self.users or call.status == 429:
            pass
        elif not call.ok:
            self.other_errors += 1
        else:
            self.ok[chat] += 1
            self.first_ok = call.time if self.first_ok is None else self.first_ok
            self.last_ok = call.time
            if len(self.ok) == len(self.users):
                self.done.set()

    @property
    def delivered(self) -> int:
        return len(self.ok)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.ok.values() if n > 1)


@dataclass
class Result:
    """One row of the table."""

    design: str
    users: int
    tally: Tally
    probe_latencies: list[float]
    probe_lost: int
    notes: str = ""
    elapsed: float | None = None

    def row(self) -> list[str]:
        t = self.tally
        first = f"{t.first_ok - t.due_mono:+.3f}" if t.first_ok is not None else "-"
        last = t.last_ok - t.due_mono if t.last_ok is not None else None
        span = f"{last:.2f}" if last is not None else "-"
        rate = t.delivered / last if last and last > 0 else float("nan")
        lat = self.probe_latencies
        help_col = (
            f"{statistics.median(lat):.3f}/{max(lat):.3f} (n={len(lat)}, lost={self.probe_lost})"
            if lat
            else f"- (lost={self.probe_lost})"
        )
        send_span = t.last_send - t.due_mono if t.last_send is not None else None
        sends = t.sends / send_span if send_span and send_span > 0 else float("nan")
        return [
            self.design,
            str(self.users),
            str(t.delivered),
            str(self.users - t.delivered),
            str(t.duplicates),
            str(t.limited),
            first,
            span,
            f"{rate:.1f}",
            f"{sends:.1f} ({sends / GLOBAL_LIMIT:.1%})",
            help_col,
        ]


HEADER = [
    "design",
    "users",
    "delivered",
    "lost",
    "dup",
    "429s",
    "first (s after M)",
    "last (s after M)",
    "delivered/s",
    "sends/s (of 30/s)",
    "/help s p50/max",
]


def mono_of(clock_now: datetime, instant: datetime) -> float:
    """The monotonic reading at which ``clock_now``'s clock will show ``instant``."""
    return time.monotonic() + (instant - clock_now).total_seconds()


async def probe_help(
    api: FakeBotApi, tally: Tally, start_mono: float, every: float, stop: asyncio.Event
) -> tuple[list[float], int]:
    """Send /help every ``every`` s from ``start_mono`` until ``stop``; reply latencies, lost."""
    latencies: list[float] = []
    lost = 0
    await asyncio.sleep(max(0.0, start_mono - time.monotonic()))
    while not stop.is_set():
        seen = len(tally.probe_replies)
        sent = time.monotonic()
        api.send_text(tally.probe, "/help")
        with contextlib.suppress(TimeoutError):
            await api.wait_for(lambda n=seen: len(tally.probe_replies) > n, timeout=10)
        if len(tally.probe_replies) > seen:
            latencies.append(tally.probe_replies[seen] - sent)
        else:
            lost += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, sent + every - time.monotonic()))
    return latencies, lost


# --------------------------------------------------------------------------- FaceNudge


async def seed(db: Path, users: list[int], due: datetime) -> float:
    """Users through the repository: yoga due at ``due`` in their zone, other routines off."""
    started = time.perf_counter()
    repo = await Repository.open(db)
    try:
        joined = due - timedelta(days=3)
        for i, uid in enumerate(users):
            zone = ZONES[i % len(ZONES)]
            tz = ZoneInfo(zone)
            at = due.astimezone(tz).time().replace(second=0, microsecond=0)
            yoga_due = first_due(at, tz, due - timedelta(seconds=30))
            assert yoga_due == due, (zone, at, yoga_due, due)
            await repo.register(uid, uid, joined)
            await repo.set_plan(uid, Routine.YOGA, enabled=True, times=(at,), dues={at: yoga_due})
            for routine in (Routine.SUPPLEMENTS, Routine.MOISTURIZE):
                await repo.set_plan(
                    uid, routine, enabled=False, times=DEFAULT_TIMES[routine], dues={}
                )
            await repo.set_zone(uid, zone, {(Routine.YOGA, at): yoga_due})
        await repo.register(PROBE_USER, PROBE_USER, joined)
        for routine, times in DEFAULT_TIMES.items():
            await repo.set_plan(PROBE_USER, routine, enabled=False, times=times, dues={})
        await repo.set_zone(PROBE_USER, "UTC", {})
    finally:
        await repo.close()
    return time.perf_counter() - started


async def run_facenudge(
    args: argparse.Namespace, workdir: Path, round_trip_ms: int, in_flight: int
) -> Result:
    """The real application, seeded through the repository, draining a same-minute burst."""
    users = list(range(FIRST_USER, FIRST_USER + args.users))
    blocked = users[:: max(1, len(users) // args.blocked)][: args.blocked] if args.blocked else []
    # A fixed minute in the past (the zones' offsets are stable then); the clock is virtual.
    due = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
    db = workdir / "fanout.db"
    seeded = await seed(db, users, due)
    print(f"  seeded {args.users} users through Repository in {seeded:.1f} s", flush=True)

    server = await start_server()
    api = server.api
    api.enforce_limits(global_per_second=GLOBAL_LIMIT, per_chat_per_second=1)
    api.round_trip = round_trip_ms / 1000
    api.fail_next("sendMessage", 502, times=args.bad_gateways)
    for uid in blocked:
        api.fail_next("sendMessage", 403, chat_id=uid, description="Forbidden: bot was blocked")
    tally = Tally(frozenset(users) - frozenset(blocked), PROBE_USER, frozenset(blocked))
    api.add_listener(tally)
    clock = VirtualClock()
    clock.set(due - timedelta(seconds=args.lead))
    tally.due_mono = mono_of(clock(), due)
    bot = RunningBot(make_settings(db, server.api_root, max_in_flight=in_flight), clock)
    stop = asyncio.Event()
    notes = ""
    try:
        t0 = time.perf_counter()
        await bot.start()
        ready = tally.due_mono - time.monotonic()
        notes = f"start-up {time.perf_counter() - t0:.2f} s, ready {ready:.2f} s before M"
        probe = asyncio.create_task(
            probe_help(api, tally, tally.due_mono + 0.5, args.help_every, stop)
        )
        budget = args.lead + args.users * max(1 / 29, round_trip_ms / 1000) * 1.5 + 30
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.done.wait(), budget)
        await asyncio.sleep(args.settle)  # anything sent twice shows up here
        stop.set()
        latencies, lost = await probe
    finally:
        stop.set()
        await bot.stop()
        await server.stop()
    design = "FaceNudge" if in_flight > 1 else "one at a time"
    return Result(f"{design} @{round_trip_ms} ms", len(tally.users), tally, latencies, lost, notes)


# --------------------------------------------------------------------------- naive baseline


async def run_naive(args: argparse.Namespace) -> Result:
    """A bare PTB bot: one run_once job per user at the same instant, no rate limiter."""
    users = list(range(FIRST_USER, FIRST_USER + args.users))
    server = await start_server()
    api = server.api
    api.enforce_limits(global_per_second=GLOBAL_LIMIT, per_chat_per_second=1)
    tally = Tally(frozenset(users), PROBE_USER)
    api.add_listener(tally)
    errors: Counter[str] = Counter()
    finished = 0
    missed = 0
    all_done = asyncio.Event()

    def settle_one() -> None:
        if finished + missed >= len(users):
            all_done.set()

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    prompt = prompt_for(Routine.YOGA, datetime.now(UTC).date())
    text = texts.nudge(Routine.YOGA, prompt, wall_time(9), repeat=False)

    async def send_nudge(context: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal finished
        job = context.job
        assert job is not None
        assert job.chat_id is not None
        try:
            await context.bot.send_message(
                job.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=nudge_keyboard(1)
            )
        finally:
            finished += 1
            settle_one()

    async def on_help(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(texts.help_text(), parse_mode=ParseMode.HTML)

    async def on_error(_: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors[type(context.error).__name__] += 1

    def on_missed(_: JobEvent) -> None:
        nonlocal missed
        missed += 1
        settle_one()

    app.add_handler(CommandHandler("help", on_help))
    app.add_error_handler(on_error)
    assert app.job_queue is not None
    assert app.updater is not None
    stop = asyncio.Event()
    try:
        await app.initialize()
        await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=[])
        await app.start()
        app.job_queue.scheduler.add_listener(on_missed, EVENT_JOB_MISSED)
        due = datetime.now(UTC) + timedelta(seconds=args.lead)
        tally.due_mono = mono_of(datetime.now(UTC), due)
        for uid in users:
            app.job_queue.run_once(send_nudge, when=due, chat_id=uid, name=f"nudge:{uid}")
        probe = asyncio.create_task(
            probe_help(api, tally, tally.due_mono + 0.5, args.help_every, stop)
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_done.wait(), args.lead + 120)
        # keep probing as long as the FaceNudge drain would have taken, for comparable samples
        await asyncio.sleep(max(args.settle, min(args.users / 29, 10)))
        stop.set()
        latencies, lost = await probe
        elapsed = time.monotonic() - tally.due_mono
    finally:
        stop.set()
        if app.running:
            await app.updater.stop()
            await app.stop()
        await app.shutdown()
        await server.stop()
    failures = ", ".join(f"{n} {name}" for name, n in errors.most_common()) or "none"
    notes = f"job errors: {failures}; misfired jobs: {missed}"
    return Result("naive run_once", args.users, tally, latencies, lost, notes, elapsed)


# --------------------------------------------------------------------------- main


async def main(args: argparse.Namespace) -> None:
    print(
        f"fan-out: {args.users} users due at the same instant M ({args.blocked} of them blocked, "
        f"{args.bad_gateways} x 502 first); stand-in enforces 30 msg/s overall, 1 msg/s per "
        f"chat (429 retry_after=1); /help probe every {args.help_every} s",
        flush=True,
    )
    results: list[Result] = []
    designs = [16] if args.skip_baseline else [16, 1]
    for round_trip in (int(ms) for ms in args.round_trips.split(",")):
        for in_flight in designs:
            with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
                print(f"round trip {round_trip} ms, in flight <= {in_flight} ...", flush=True)
                results.append(await run_facenudge(args, Path(tmp), round_trip, in_flight))
    if args.naive:
        print("naive baseline ...", flush=True)
        results.append(await run_naive(args))
    print()
    print_table(HEADER, [r.row() for r in results])
    print()
    for r in results:
        print(f"{r.design}: {r.notes}")
    print(
        "\ngoals (FaceNudge): first nudge <= +0.5 s, sends >= 95% of 30/s, lost 0, dup 0, "
        "/help reply <= 1.5 s"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=300, help="users due in the same minute")
    parser.add_argument(
        "--round-trips", default="5,50,150,300", help="comma-separated round trips in ms"
    )
    parser.add_argument("--blocked", type=int, default=20, help="users who answer 403")
    parser.add_argument("--bad-gateways", type=int, default=3, help="502s at the start")
    parser.add_argument(
        "--lead", type=float, default=2.0, help="seconds between bot start and the due minute"
    )
    parser.add_argument("--help-every", type=float, default=3.0, help="seconds between /help")
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds to wait for duplicates after the drain"
    )
    parser.add_argument("--skip-baseline", action="store_true", help="no one-at-a-time baseline")
    parser.add_argument("--naive", action="store_true", help="add a bare PTB run_once bot")
    return parser.parse_args(argv)


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)  # bm25s sets its own logger to DEBUG
    logging.basicConfig(level=logging.ERROR, handlers=[handler])
    asyncio.run(main(parse_args()))
