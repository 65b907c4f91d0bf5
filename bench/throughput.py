"""Update-handling throughput: the FaceNudge application against a bare PTB echo bot.

Run from the repository root:  .venv/bin/python -m bench.throughput [--updates 2000] [--inproc]

Both bots talk to the same kind of Bot API stand-in (no flood limits, so only handling is
measured) and are started the same way (initialize, post_init, start_polling with
``poll_interval=0, timeout=1``, start). ``--updates`` ``/help`` messages from ``--chats`` users are
queued at once; the time runs from queueing to the last reply recorded by the stand-in. The bare
bot is an ``Application`` with one ``CommandHandler("help")`` that replies with the same help text
and no rate limiter: the baseline, measured in the same run. Each design runs ``--rounds`` times,
alternating, after a warm-up; the best and the median round are reported, and the ratio
FaceNudge / bare of the medians (goal >= 70%). ``--inproc`` adds rows with the in-process
transport (no sockets), which shows the handling cost without the HTTP stack.

The stand-in runs on the same event loop (and CPU core) as the bot, as in the tests, so the
figures include its own cost, equally for both designs. Prints a table; asserts nothing.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

from bot import texts
from bot.app import build_application, polling
from bot.fakeapi import Call, FakeBotApi, InProcessRequest
from bot.types import App
from tests.harness import TOKEN, VirtualClock, make_settings, start_server

FIRST_USER = 500_000


@dataclass
class Replies:
    """Counts the bot's replies as the stand-in records them."""

    count: int = 0
    last: float = 0.0
    target: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, call: Call) -> None:
        if call.method == "sendMessage" and call.ok:
            self.count += 1
            self.last = call.time
            if self.count >= self.target:
                self.done.set()

    def expect(self, n: int) -> None:
        self.count = 0
        self.target = n
        self.done = asyncio.Event()


def bare_app(api_root: str, api: FakeBotApi | None) -> App:
    """The baseline: PTB with one /help handler, nothing else."""
    builder = Application.builder().token(TOKEN).base_url(f"{api_root}/bot")
    if api is not None:
        builder = builder.request(InProcessRequest(api)).get_updates_request(InProcessRequest(api))
    app = builder.build()

    async def on_help(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            texts.help_text(), parse_mode=ParseMode.HTML, disable_web_page_preview=True
        )

    app.add_handler(CommandHandler("help", on_help))
    return app  # type: ignore[return-value]


def facenudge_app(api_root: str, api: FakeBotApi | None, db: Path) -> App:
    """The real application, built as the CLI builds it."""
    settings = make_settings(db, api_root)
    if api is None:
        return build_application(settings, TOKEN, clock=VirtualClock())
    return build_application(
        settings,
        TOKEN,
        clock=VirtualClock(),
        request=InProcessRequest(api),
        updates_request=InProcessRequest(api),
    )


async def burst(api: FakeBotApi, replies: Replies, n: int, chats: int) -> float:
    """Queue ``n`` /help from ``chats`` users; seconds until the last reply is recorded."""
    replies.expect(n)
    t0 = time.monotonic()
    for i in range(n):
        api.send_text(FIRST_USER + i % chats, "/help")
    await asyncio.wait_for(replies.done.wait(), timeout=max(60.0, n / 20))
    return replies.last - t0


async def one_round(
    make: Callable[[str, FakeBotApi | None], App], args: argparse.Namespace, inproc: bool
) -> float:
    """Start a fresh stand-in and bot, warm up, time one burst; updates per second."""
    api: FakeBotApi
    server = None
    if inproc:
        api = FakeBotApi()
        api_root = "http://in-process.invalid"
    else:
        server = await start_server()
        api, api_root = server.api, server.api_root
    replies = Replies()
    api.add_listener(replies)
    app = make(api_root, api if inproc else None)
    try:
        async with polling(app, poll_timeout=1):
            await burst(api, replies, args.warmup, args.chats)
            seconds = await burst(api, replies, args.updates, args.chats)
    finally:
        if server is not None:
            await server.stop()
    return args.updates / seconds


async def main(args: argparse.Namespace) -> None:
    print(
        f"throughput: {args.updates} /help updates from {args.chats} users, queued at once; "
        f"{args.rounds} rounds per design after {args.warmup} warm-up updates",
        flush=True,
    )
    transports = ["http", "in-process"] if args.inproc else ["http"]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        for transport in transports:
            inproc = transport == "in-process"
            designs: dict[str, Callable[[str, FakeBotApi | None], App]] = {
                "bare PTB echo": bare_app,
                "FaceNudge": lambda root, api: facenudge_app(root, api, Path(tmp) / "tp.db"),
            }
            results: dict[str, list[float]] = {name: [] for name in designs}
            for r in range(args.rounds):
                order = list(designs) if r % 2 == 0 else list(reversed(designs))
                for name in order:
                    rate = await one_round(designs[name], args, inproc)
                    results[name].append(rate)
                    print(
                        f"  {transport:10} round {r + 1} {name:14} {rate:7.0f} updates/s",
                        flush=True,
                    )
            base = statistics.median(results["bare PTB echo"])
            for name, rates in results.items():
                med = statistics.median(rates)
                rows.append(
                    [
                        transport,
                        name,
                        f"{max(rates):.0f}",
                        f"{med:.0f}",
                        f"{med / base:.0%}",
                    ]
                )
    header = ["transport", "design", "best upd/s", "median upd/s", "vs bare (median)"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print("\ngoal: FaceNudge >= 70% of the bare bot over HTTP")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates per timed burst")
    parser.add_argument("--chats", type=int, default=100, help="distinct users sending")
    parser.add_argument("--warmup", type=int, default=100, help="untimed updates first")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per design")
    parser.add_argument("--inproc", action="store_true", help="also the in-process transport")
    return parser.parse_args(argv)


def run(main_coro: Callable[[argparse.Namespace], Awaitable[None]]) -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)  # bm25s sets its own logger to DEBUG
    logging.basicConfig(level=logging.ERROR, handlers=[handler])
    asyncio.run(main_coro(parse_args()))


if __name__ == "__main__":
    run(main)
