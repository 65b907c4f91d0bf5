"""Update-handling throughput: FaceNudge against a bare PTB bot with concurrent updates.

Run from the repository root:  .venv/bin/python -m bench.throughput [--users 100] [--rounds 3]

Two workloads, each at Bot API round trips of 5 ms and 150 ms (``FakeBotApi.round_trip``, half
each way; no flood limits, so only handling is measured):

- **onboarding**: ``--users`` users at once, each sending ``/start``, ``/timezone UTC`` and
  ``/set yoga 06:30``, each message after the previous one's answers arrived (as a person does);
  updates/s = 3 x users / time until the last user's last answer.
- **presses**: ``--presses`` users each press ✅ Done on their nudge at the same moment;
  updates/s = presses / time until the last nudge was edited to show the answer.

The baseline, measured in the same run on the same stand-in, is the thinnest PTB bot that gives
the same answers: ``concurrent_updates(True)`` (256 at once; ``--bare-concurrency`` changes it),
no database, no rate limiter, handlers that send
the same messages (two for /start, two for /timezone, one for /set; answerCallbackQuery then
editMessageText for a press). FaceNudge's users get their nudges from its own dispatcher before
the clock starts; the bare bot sends its users an equivalent message with a Done button. Each
cell runs ``--rounds`` times, designs alternating, each round on a fresh stand-in and database;
the table gives the medians, FaceNudge / bare of the medians (goal >= 70% in every cell) and
the range of that ratio over the rounds (each round's two designs ran back to back). The
stand-in runs on the bot's event loop and CPU, equally for both. Prints a table; asserts
nothing.

Seen while writing it: with 256 handlers sending at the same instant, httpcore's pool spends
most of its time matching queued requests to connections (quadratic in their numbers), which
costs the bare bot far more on presses than anything it saves; ``--bare-concurrency 16`` shows
the baseline without that cost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bench.fanout import seed
from bench.table import print_table
from bot import texts
from bot.app import build_application, polling
from bot.fakeapi import Call, FakeBotApi
from bot.keyboards import location_keyboard
from bot.types import App
from schedules.nudges import Outcome
from tests.botapi_http import FakeBotApiServer
from tests.harness import TOKEN, VirtualClock, make_settings, start_server

FIRST_USER = 500_000
ONBOARDING = (("/start", 2), ("/timezone UTC", 2), ("/set yoga 06:30", 1))
"""Each step of onboarding and how many messages answer it (the same in both designs)."""
DUE = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)


@dataclass
class Watch:
    """Counts the bot's successful messages and edits per chat; wakes only the waiter concerned."""

    sent: Counter[int] = field(default_factory=Counter)
    edits: Counter[int] = field(default_factory=Counter)
    last: float = 0.0
    _waiters: dict[int, tuple[Counter[int], int, asyncio.Future[None]]] = field(
        default_factory=dict
    )

    def __call__(self, call: Call) -> None:
        if not call.ok or call.chat_id is None:
            return
        if call.method == "sendMessage":
            self.sent[call.chat_id] += 1
        elif call.method == "editMessageText":
            self.edits[call.chat_id] += 1
        else:
            return
        self.last = call.time
        waiter = self._waiters.get(call.chat_id)
        if waiter is not None and waiter[0][call.chat_id] >= waiter[1]:
            del self._waiters[call.chat_id]
            if not waiter[2].done():
                waiter[2].set_result(None)

    async def until(self, counts: Counter[int], chat: int, target: int) -> None:
        """Wait until ``counts[chat]`` (``sent`` or ``edits``) reaches ``target``."""
        if counts[chat] >= target:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters[chat] = (counts, target, future)
        await asyncio.wait_for(future, 120)


# --------------------------------------------------------------------------- the bare bot


def bare_app(api_root: str, concurrency: int) -> App:
    """The baseline: PTB with concurrent updates and handlers that answer like FaceNudge."""
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api_root}/bot")
        .concurrent_updates(concurrency)
    ).build()
    now = datetime.now(UTC)
    zone_set = texts.zone_set("UTC", "UTC", now)
    plan = f"📋 Your plan (UTC)\n{texts.help_text()[:300]}"

    async def send(update: Update, text: str, markup: object = None) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,  # type: ignore[arg-type]
            disable_web_page_preview=True,
        )

    async def start(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        await send(update, texts.welcome())
        await send(update, texts.ask_zone(), location_keyboard())

    async def timezone(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        await send(update, zone_set)
        await send(update, plan)

    async def set_times(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        await send(update, "🧘 Facial yoga set to 06:30. Next: Thu 15 Jan 06:30.")

    async def press(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(texts.press_ack(Outcome.DONE, True, Outcome.DONE))
        await query.edit_message_text("🧘 Facial yoga · 09:00\n\n<b>✅ done</b>")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("timezone", timezone))
    app.add_handler(CommandHandler("set", set_times))
    app.add_handler(CallbackQueryHandler(press))
    return app  # type: ignore[return-value]


async def bare_nudges(app: App, users: list[int]) -> None:
    """The bare bot's stand-in for a nudge: a message with a Done button for every user."""
    done = InlineKeyboardMarkup([[InlineKeyboardButton(texts.BUTTON_DONE, callback_data="n:1:d")]])
    await asyncio.gather(
        *(app.bot.send_message(u, "🧘 Facial yoga · 09:00", reply_markup=done) for u in users)
    )


# --------------------------------------------------------------------------- the workloads


async def onboard(api: FakeBotApi, watch: Watch, users: list[int]) -> float:
    """Every user onboards at once, one step after the other; seconds until all are done."""

    async def one(user: int) -> None:
        expected = watch.sent[user]
        for text, answers in ONBOARDING:
            expected += answers
            api.send_text(user, text)
            await watch.until(watch.sent, user, expected)

    started = time.monotonic()
    await asyncio.gather(*(one(u) for u in users))
    return watch.last - started


async def press_all(api: FakeBotApi, watch: Watch, users: list[int]) -> float:
    """Every user presses Done on their newest message at once; seconds until all are edited."""
    targets = [(u, api.last_message(u)) for u in users]
    before = {u: watch.edits[u] for u in users}
    started = time.monotonic()
    for user, message in targets:
        api.press(user, message.message_id, message.callback_data_for(texts.BUTTON_DONE))
    await asyncio.gather(*(watch.until(watch.edits, u, before[u] + 1) for u in users))
    return watch.last - started


@dataclass
class Round:
    """One timed run of one design on one workload at one round trip."""

    design: str
    workload: str
    round_trip: float
    users: list[int]
    workdir: Path
    bare_concurrency: int = 256

    async def run(self) -> float:
        """Updates per second."""
        server = await start_server()
        watch = Watch()
        server.api.add_listener(watch)
        try:
            return await self._run(server, watch)
        finally:
            await server.stop()

    async def _run(self, server: FakeBotApiServer, watch: Watch) -> float:
        api = server.api
        db = self.workdir / f"{self.design}-{self.workload}-{time.monotonic_ns()}.db"
        clock = VirtualClock()
        if self.workload == "presses" and self.design == "FaceNudge":
            await seed(db, self.users, DUE)
            clock.set(DUE + timedelta(seconds=1))
        if self.design == "FaceNudge":
            settings = make_settings(db, server.api_root, nudges_per_second=1000.0, user_burst=10)
            app = build_application(settings, TOKEN, clock=clock)
        else:
            app = bare_app(server.api_root, self.bare_concurrency)
        async with polling(app, poll_timeout=1):
            if self.workload == "onboarding":
                await onboard(api, watch, [FIRST_USER - 1 - i for i in range(5)])  # warm-up
                api.round_trip = self.round_trip
                seconds = await onboard(api, watch, self.users)
                return 3 * len(self.users) / seconds
            if self.design == "FaceNudge":
                await asyncio.gather(*(watch.until(watch.sent, u, 1) for u in self.users))
            else:
                await bare_nudges(app, self.users)
            api.round_trip = self.round_trip
            seconds = await press_all(api, watch, self.users)
            return len(self.users) / seconds


async def main(args: argparse.Namespace) -> None:
    print(
        f"throughput: onboarding ({args.users} users x 3 updates) and presses ({args.presses} "
        f"users), round trips {', '.join(f'{rt * 1000:.0f} ms' for rt in args.round_trips)}; "
        f"{args.rounds} rounds per design; bare bot concurrency {args.bare_concurrency}",
        flush=True,
    )
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        for workload, n in (("onboarding", args.users), ("presses", args.presses)):
            users = list(range(FIRST_USER, FIRST_USER + n))
            for round_trip in args.round_trips:
                results: dict[str, list[float]] = {"bare PTB": [], "FaceNudge": []}
                for r in range(args.rounds):
                    order = list(results) if r % 2 == 0 else list(reversed(results))
                    for design in order:
                        rate = await Round(
                            design, workload, round_trip, users, Path(tmp), args.bare_concurrency
                        ).run()
                        results[design].append(rate)
                        print(
                            f"  {workload:10} {round_trip * 1000:4.0f} ms  round {r + 1} "
                            f"{design:9} {rate:7.1f} updates/s",
                            flush=True,
                        )
                bare = statistics.median(results["bare PTB"])
                ours = statistics.median(results["FaceNudge"])
                paired = [
                    f / b for f, b in zip(results["FaceNudge"], results["bare PTB"], strict=True)
                ]
                rows.append(
                    [
                        workload,
                        f"{round_trip * 1000:.0f} ms",
                        f"{bare:.0f}",
                        f"{ours:.0f}",
                        f"{ours / bare:.0%}",
                        f"{min(paired):.0%}-{max(paired):.0%}",
                    ]
                )
    header = [
        "workload",
        "round trip",
        "bare PTB upd/s",
        "FaceNudge upd/s",
        "FaceNudge / bare",
        "range of rounds",
    ]
    print()
    print_table(header, rows)
    print("\n(medians of the rounds) goal: FaceNudge >= 70% of the bare bot in every cell")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="users onboarding at once")
    parser.add_argument("--presses", type=int, default=300, help="users pressing at once")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per design")
    parser.add_argument(
        "--round-trips",
        type=lambda s: [float(x) / 1000 for x in s.split(",")],
        default=[0.005, 0.150],
        help="comma-separated round trips in ms (default 5,150)",
    )
    parser.add_argument(
        "--bare-concurrency",
        type=int,
        default=256,
        help="the bare bot's concurrent_updates (256 is concurrent_updates(True))",
    )
    return parser.parse_args(argv)


def run(
    main_coro: Callable[[argparse.Namespace], Coroutine[Any, Any, None]],
    parse: Callable[[], argparse.Namespace] = parse_args,
) -> None:
    """Quiet logging, PTB's timedelta mode, then ``main_coro`` with the parsed arguments."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)  # bm25s sets its own logger to DEBUG
    logging.basicConfig(level=logging.ERROR, handlers=[handler])
    asyncio.run(main_coro(parse()))


if __name__ == "__main__":
    run(main)
