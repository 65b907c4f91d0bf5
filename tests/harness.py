"""End-to-end harness: the real bot, over real HTTP, against the Bot API stand-in on 127.0.0.1.

``VirtualClock`` is the real clock plus an offset the test controls, so a nudge can be made due
a second from now without waiting for a wall-clock minute. The bot waits with the clock's
``sleep`` (the rate limiter, the yoga coach's gap between edits, the dispatcher's back-off) and
the stand-in dates calls and judges flood limits on the same clock, so a chat's one message a
second, a ``retry_after`` or a retry's back-off is skipped, not waited for, and still enforced.
APScheduler's jobs (the dispatcher's armed wake, the yoga countdown) still run in real time.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time as time_module
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.app import build_application, polling, services_of
from bot.clock import VirtualClock as VirtualClock
from bot.dispatcher import TickReport
from bot.fakeapi import FakeBotApi, SentMessage
from bot.services import Services
from bot.settings import Settings
from bot.types import App
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.botproc import Child, serve

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput  # the type BaseRequest.do_request declares

DEFAULT_NONE = BaseRequest.DEFAULT_NONE
QUIET = 0.05
"""Seconds of real time the stand-in must be quiet before the clock skips a wait."""
TOKEN = "123456789:" + "A" * 35
USER = 4242
ROOT = Path(__file__).resolve().parents[1]


def make_settings(db: Path, api_root: str, **overrides: object) -> Settings:
    """Settings for a test bot, ignoring any .env in the working directory."""
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_url": api_root,
        "database_path": db,
        "user_burst": 1000,  # tests type faster than people; throttle tests pass the real limit
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class OnTheWire(BaseRequest):
    """The bot's requests (PTB's default transport unless given one), counted while on the wire.

    The clock skips virtual time only while none is: a send dated by the stand-in on arrival
    must not arrive after a skip that its sender did not wait for.
    """

    def __init__(self, inner: BaseRequest | None = None) -> None:
        self.inner = inner if inner is not None else HTTPXRequest(connection_pool_size=256)
        self.sending = 0

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        self.sending += 1
        try:
            return await self.inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        finally:
            self.sending -= 1

    def busy(self) -> bool:
        """Whether a request is on the wire."""
        return self.sending > 0


class RunningBot:
    """One in-process run of the application, started the way ``run_polling`` starts it.

    It waits with ``clock.sleep``, which skips those waits when the clock was made with
    ``skip_waits`` (the ``clock`` fixture) and nothing holds time still: none of its requests
    is on the wire (``OnTheWire``) and the stand-in is quiet (``start_server``).
    """

    def __init__(
        self, settings: Settings, clock: VirtualClock, request: BaseRequest | None = None
    ) -> None:
        wire = OnTheWire(request)
        clock.hold_while(wire.busy)
        self.app: App = build_application(
            settings, TOKEN, clock=clock, elapsed=clock.monotonic, sleep=clock.sleep, request=wire
        )
        self._stack = AsyncExitStack()

    @property
    def services(self) -> Services:
        return services_of(self.app)

    async def start(self) -> None:
        await self._stack.enter_async_context(polling(self.app, poll_timeout=1))

    async def __aenter__(self) -> RunningBot:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        await self._stack.aclose()


class BotProcess(Child):
    """The bot as a separate OS process (forked: ``tests/botproc.py``), so a test can kill it.

    The process keeps the virtual time ``clock`` shows when it starts, running on from there.
    """

    def __init__(self, db: Path, api_root: str, clock: VirtualClock, **env: str) -> None:
        environment = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api_root,
            "DATABASE_PATH": str(db),
            **env,
        }
        super().__init__(partial(serve, VirtualClock(offset=clock.offset)), environment, db.parent)


async def start_server(clock: VirtualClock | None = None) -> FakeBotApiServer:
    """A fresh stand-in on a free loopback port, dating calls on ``clock`` (default: real time).

    The clock skips no time until the stand-in has been quiet for ``QUIET`` of real time: the
    bot gets that long to answer what just happened (an update, a test's next step) before
    time moves on, as it would have had all of the skipped time.
    """
    api = FakeBotApi(clock=clock.monotonic if clock else time_module.monotonic)
    server = FakeBotApiServer(api)
    if clock is not None:
        clock.hold_while(lambda: not api.idle_for(QUIET))
    await server.start()
    return server


def texts_to(api: FakeBotApi, chat_id: int) -> list[str]:
    """Every message text or caption the bot sent to a chat, after edits."""
    return [m.text or m.caption or "" for m in api.messages(chat_id)]


def nudges_for(api: FakeBotApi, label: str) -> list[int]:
    """Message ids of the nudges (messages with a Done button) naming a routine."""
    return [
        m.message_id
        for m in api.messages(USER)
        if label in (m.text or "")
        and "Reply to this message" in ((m.history[0] if m.history else m.text) or "")
    ]


async def wait_text(api: FakeBotApi, needle: str, since: int = 0, timeout: float = 5.0) -> str:
    """Wait for a bot message (the ``since``-th or later) containing ``needle``; return it."""
    found: list[str] = []

    def seen() -> bool:
        found[:] = [t for t in texts_to(api, USER)[since:] if needle in t]
        return bool(found)

    await api.wait_for(seen, timeout, what=f"a message containing {needle!r}")
    return found[-1]


async def onboard(api: FakeBotApi, zone: str = "Asia/Kathmandu") -> None:
    """/start, then answer the time-zone question."""
    api.send_text(USER, "/start")
    await wait_text(api, "Which time zone")
    api.send_text(USER, zone)
    await wait_text(api, "Your plan")


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Poll an async condition (database state has no change notification)."""
    deadline = time_module.monotonic() + timeout
    while not await check():
        assert time_module.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def seed_users(
    services: Services, users: Iterable[int], at: time = time(8, 0), zone: str = "UTC"
) -> None:
    """Users onboarded straight through the services, each with facial yoga at ``at``."""
    for uid in users:
        user, _ = await services.repo.register(uid, uid, services.now())
        member = await services.actions.set_zone(user, zone)
        await services.actions.set_times(member, Routine.YOGA, [at])


async def jump(bot: RunningBot, clock: VirtualClock, instant: datetime) -> TickReport:
    """Move virtual time and run the dispatcher's tick now (its armed job sleeps in real time)."""
    clock.set(instant)
    return await bot.services.dispatcher.tick()


@dataclass
class Chat:
    """One user at the phone: types, replies, presses buttons, and lets time pass.

    Every step waits for what the user would see, so a test reads as the conversation it is.
    """

    api: FakeBotApi
    bot: RunningBot
    clock: VirtualClock
    user: int = USER

    async def say(self, text: str, expect: str, *, reply_to: int | None = None) -> str:
        """Send a message (optionally as a reply) and return the bot's answer containing expect."""
        since = len(self.api.messages(self.user))
        self.api.send_text(self.user, text, reply_to=reply_to)
        found: list[str] = []

        def seen() -> bool:
            found[:] = [
                m.text or m.caption or ""
                for m in self.api.messages(self.user)[since:]
                if expect in (m.text or m.caption or "")
            ]
            return bool(found)

        await self.api.wait_for(seen, 5.0, what=f"an answer to {text!r} containing {expect!r}")
        await self.api.wait_until_idle()
        return found[-1]

    async def reply(self, message: SentMessage, text: str, expect: str) -> str:
        """Reply to one of the bot's messages; returns the bot's answer containing ``expect``."""
        return await self.say(text, expect, reply_to=message.message_id)

    def last(self, expect: str) -> SentMessage:
        """The newest bot message containing ``expect``: to press its buttons or reply to it."""
        for message in reversed(self.api.messages(self.user)):
            if expect in (message.text or message.caption or ""):
                return message
        raise AssertionError(f"no message containing {expect!r}")

    def nudges(self, label: str) -> list[SentMessage]:
        """The nudges (messages that came with Done buttons) naming a routine, oldest first."""
        return [
            m
            for m in self.api.messages(self.user)
            if label in (m.text or "")
            and "Reply to this message" in ((m.history[0] if m.history else m.text) or "")
        ]

    async def press(self, message: SentMessage, button: str) -> str:
        """Press a button under a bot message; returns the toast the bot answered with."""
        mark = self.api.mark()
        self.api.press(self.user, message.message_id, message.callback_data_for(button))
        answer = await self.api.wait_for_call("answerCallbackQuery", after=mark)
        await self.api.wait_until_idle()
        return str(answer.params.get("text", ""))

    async def at(self, instant: datetime) -> TickReport:
        """Let time pass until ``instant``, run what fell due and wait until the bot is quiet."""
        report = await jump(self.bot, self.clock, instant)
        await self.api.wait_until_idle()
        return report


@asynccontextmanager
async def onboarded(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, start: datetime, zone: str
) -> AsyncIterator[Chat]:
    """The running bot at ``start``, with one user onboarded in ``zone`` on the default plan."""
    clock.set(start)
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await onboard(server.api, zone)
        yield Chat(server.api, bot, clock)


def facenudge(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` as an operator would, with a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
