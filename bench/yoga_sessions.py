"""Guided yoga sessions during a popular minute: do 50 live countdowns slow the nudges down?

Run from the repository root:  .venv/bin/python -m bench.yoga_sessions [--users 1000]

The fan-out set-up of ``bench.fanout`` (``--users`` users due at the same instant M, the Bot
API stand-in enforcing 30 msg/s overall and 1 msg/s per chat with 429s), run three times:

1. FaceNudge, the burst alone (the reference);
2. FaceNudge, the burst while ``--sessions`` other users are in a guided session started with
   ``/yoga`` a few seconds before M (the real countdown job, edits through the limiter);
3. naive countdown: the same burst while a plain loop edits each of ``--sessions`` messages
   once a second as an ordinary reply, the way a countdown is usually written.

For each: nudge delivery rate from M (as a share of 30/s), lost, 429s, countdown edits that
went out while the burst drained, and the shortest gap between two edits in one chat.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.fanout import FIRST_USER, GLOBAL_LIMIT, PROBE_USER, Tally, mono_of, seed
from bench.table import print_table
from bot.fakeapi import Call, FakeBotApi
from bot.repo import Repository
from schedules.routines import DEFAULT_TIMES
from tests.harness import RunningBot, VirtualClock, make_settings, start_server

SESSION_USER = 50_000
DUE = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)


@dataclass
class Edits:
    """Every editMessageText to a session chat: when, and whether it was refused."""

    chats: frozenset[int]

    def __post_init__(self) -> None:
        self.times: dict[int, list[float]] = defaultdict(list)
        self.limited = 0

    def __call__(self, call: Call) -> None:
        if call.method != "editMessageText" or call.chat_id not in self.chats:
            return
        if call.status == 429:
            self.limited += 1
        elif call.ok:
            self.times[call.chat_id or 0].append(call.time)

    def total(self) -> int:
        return sum(len(ts) for ts in self.times.values())

    def between(self, start: float, end: float) -> int:
        return sum(start <= t <= end for ts in self.times.values() for t in ts)

    def min_gap(self) -> float | None:
        gaps = [b - a for ts in self.times.values() for a, b in itertools.pairwise(ts)]
        return min(gaps) if gaps else None


async def seed_session_users(db: Path, users: list[int]) -> None:
    """Users in UTC with every routine off: they only do /yoga."""
    repo = await Repository.open(db)
    try:
        for uid in users:
            await repo.register(uid, uid, DUE - timedelta(days=3))
            for routine, times in DEFAULT_TIMES.items():
                await repo.set_plan(uid, routine, enabled=False, times=times, dues={})
            await repo.set_zone(uid, "UTC", {})
    finally:
        await repo.close()


async def naive_countdown(
    api: FakeBotApi, bot: RunningBot, chats: list[int], stop: asyncio.Event
) -> None:
    """One message per chat, then an edit of each every second, as plain replies."""
    messages = []
    for chat in chats:
        sent = await bot.app.bot.send_message(chat, "🧘 move 1 of 5 · 1:00 left")
        messages.append((chat, sent.message_id))
        await asyncio.sleep(0.06)
    tick = 0
    while not stop.is_set():
        tick += 1
        await asyncio.gather(
            *(
                bot.app.bot.edit_message_text(
                    f"🧘 move 1 of 5 · {max(0, 60 - tick)} s left", chat_id=chat, message_id=mid
                )
                for chat, mid in messages
            ),
            return_exceptions=True,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def run(args: argparse.Namespace, workdir: Path, mode: str) -> list[str]:
    """One run of the burst; ``mode`` is 'alone', 'sessions' or 'naive'."""
    users = list(range(FIRST_USER, FIRST_USER + args.users))
    session_users = list(range(SESSION_USER, SESSION_USER + args.sessions))
    db = workdir / f"{mode}.db"
    await seed(db, users, DUE)
    if mode != "alone":
        await seed_session_users(db, session_users)
    server = await start_server()
    api = server.api
    api.enforce_limits(global_per_second=GLOBAL_LIMIT, per_chat_per_second=1)
    tally = Tally(frozenset(users), PROBE_USER)
    edits = Edits(frozenset(session_users))
    api.add_listener(tally)
    api.add_listener(edits)
    clock = VirtualClock()
    clock.set(DUE - timedelta(seconds=args.lead))
    tally.due_mono = mono_of(clock(), DUE)
    bot = RunningBot(make_settings(db, server.api_root), clock)
    stop = asyncio.Event()
    naive: asyncio.Task[None] | None = None
    try:
        await bot.start()
        if mode == "sessions":
            for uid in session_users:
                api.send_text(uid, "/yoga")
                await asyncio.sleep(0.06)
        elif mode == "naive":
            naive = asyncio.create_task(naive_countdown(api, bot, session_users, stop))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.done.wait(), args.lead + args.users / 29 * 1.5 + 30)
        await asyncio.sleep(6.0)  # the countdown picks up again once the burst has drained
    finally:
        stop.set()
        if naive is not None:
            await naive
        await bot.stop()
        await server.stop()
    t = tally
    last = (t.last_ok - t.due_mono) if t.last_ok is not None else float("nan")
    rate = t.delivered / last if last > 0 else float("nan")
    during = edits.between(t.due_mono, t.last_ok or t.due_mono)
    gap = edits.min_gap()
    return [
        {
            "alone": "FaceNudge, burst alone",
            "sessions": f"FaceNudge + {args.sessions} sessions",
            "naive": f"naive 1 s countdown x {args.sessions}",
        }[mode],
        str(t.delivered),
        str(args.users - t.delivered),
        f"{rate:.1f} ({rate / GLOBAL_LIMIT:.1%})",
        f"{last:.1f}",
        str(t.limited + edits.limited),
        f"{during} / {edits.total()}",
        f"{gap:.2f}" if gap is not None else "-",
    ]


HEADER = [
    "design",
    "delivered",
    "lost",
    "nudges/s (of 30/s)",
    "last (s after M)",
    "429s",
    "edits in burst / all",
    "min edit gap/chat (s)",
]


async def main(args: argparse.Namespace) -> None:
    print(
        f"{args.users} users due at M; {args.sessions} users in a session; stand-in enforces "
        "30 msg/s overall and 1/s per chat",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="yoga-bench-") as tmp:
        for mode in ("alone", "sessions", "naive"):
            print(f"{mode} ...", flush=True)
            rows.append(await run(args, Path(tmp), mode))
    print()
    print_table(HEADER, rows)
    print("\ngoal: nudges >= 95% of 30/s with sessions running, 0 lost, no 429, edits >= 1 s apart")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000, help="users due in the same minute")
    parser.add_argument("--sessions", type=int, default=50, help="users in a guided session")
    parser.add_argument("--lead", type=float, default=8.0, help="seconds from start to M")
    return parser.parse_args(argv)


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    logging.basicConfig(level=logging.ERROR, handlers=[handler])
    start = time.perf_counter()
    asyncio.run(main(parse_args()))
    print(f"(took {time.perf_counter() - start:.0f} s)")
