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
import ssl
import subprocess
import sys
import time as time_module
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, time
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.app import at_work, build_application, polling, services_of
from bot.clock import VirtualClock as VirtualClock
from bot.dispatcher import TickReport
from bot.fakeapi import FakeBotApi, SentMessage
from bot.services import Services
from bot.settings import Settings
from bot.types import App
from bot.updates import UserLanes
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.botproc import Child, serve

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput  # the type BaseRequest.do_request declares

DEFAULT_NONE = BaseRequest.DEFAULT_NONE
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


@cache
def _tls() -> ssl.SSLContext:
    """One certificate store for every test bot's HTTP clients: httpx loads the bundle again
    for each client it makes (about 20 ms of CPU, two clients a bot), and the stand-in speaks
    plain HTTP anyway."""
    return ssl.create_default_context()


def _transport(pool: int) -> HTTPXRequest:
    """PTB's default transport (256 connections for the bot's calls, 1 for ``getUpdates``)."""
    return HTTPXRequest(connection_pool_size=pool, httpx_kwargs={"verify": _tls()})


class OnTheWire(BaseRequest):
    """The bot's requests (PTB's default transport unless given one), counted while on the wire.

    The clock skips virtual time only while none is: a send dated by the stand-in on arrival
    must not arrive after a skip that its sender did not wait for.
    """

    def __init__(self, inner: BaseRequest | None = None) -> None:
        self.inner = inner if inner is not None else _transport(256)
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
    is on the wire (``OnTheWire``), no update is being handled (``working``) and the stand-in
    is quiet (``start_server``). A stand-in given as ``watched_by`` watches it while it runs,
    so that ``wait_until_idle`` waits for what the bot says it still has to do (``busy``).
    """

    def __init__(
        self,
        settings: Settings,
        clock: VirtualClock,
        request: BaseRequest | None = None,
        *,
        watched_by: FakeBotApi | None = None,
    ) -> None:
        wire = OnTheWire(request)
        clock.hold_while(wire.busy)
        clock.hold_while(self.working)
        self._wire = wire
        self._clock = clock
        self._watcher = watched_by
        self.app: App = build_application(
            settings,
            TOKEN,
            clock=clock,
            elapsed=clock.monotonic,
            sleep=clock.sleep,
            request=wire,
            updates_request=_transport(1),
        )
        self._stack = AsyncExitStack()

    @property
    def services(self) -> Services:
        return services_of(self.app)

    async def start(self) -> None:
        await self._stack.enter_async_context(polling(self.app, poll_timeout=1))
        if self._watcher is not None:
            self._watcher.watch(self.busy)

    def working(self) -> bool:
        """Whether an update is fetched and not yet handled, or being handled by a task that
        is not waiting on the clock: the clock skips no time under a handler at work, which
        would have had all of the skipped time to finish."""
        app = self.app
        lanes = app.update_processor
        assert isinstance(lanes, UserLanes)
        return not app.update_queue.empty() or any(
            not self._clock.asleep(task) for task in lanes.handling
        )

    def busy(self) -> bool:
        """Whether the bot is at work or has work due: an update fetched and not yet handled,
        a request on the wire, a tick, wake or yoga refresh under way or the armed wake due,
        a wait on the clock (a paced send, a back-off) that the clock will skip. The stand-in
        watches this (``watched_by``), so a test's step waits for exactly that, not for a
        silence long enough to cover a slow step."""
        return at_work(self.app) or self._wire.busy() or self._clock.sleeping

    async def __aenter__(self) -> RunningBot:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.unwatch(self.busy)
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

    The clock skips no time until the stand-in has been quiet for its ``quiet`` of real time
    (10 ms with an in-process bot, which holds the clock itself while it handles an update;
    50 ms without): the bot gets that long to answer what just happened before time moves
    on, as it would have had all of the skipped time.
    """
    api = FakeBotApi(clock=clock.monotonic if clock else time_module.monotonic)
    server = FakeBotApiServer(api)
    if clock is not None:
        clock.hold_while(lambda: not api.idle_for(api.quiet))
    await server.start()
    return server


def texts_to(api: FakeBotApi, chat_id: int) -> list[str]:
    """Every message text or caption the bot sent to a chat, after edits."""
    return [m.text or m.caption or "" for m in api.messages(chat_id)]


async def onboard(api: FakeBotApi, zone: str = "Asia/Kathmandu") -> None:
    """/start, then answer the time-zone question."""
    phone = Phone(api)
    await phone.say("/start", "Which time zone")
    await phone.say(zone, "Your plan")


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


class Phone:
    """One user at the phone: types, shares, replies, presses buttons.

    Every step waits for what the user would see, never a fixed time, so a test reads as the
    conversation it is. This is all a test has of a bot in another process (``BotProcess``);
    ``Chat`` adds the bot in this process and its clock. ``patience`` is how long a step waits
    for the bot's answer: longer for a process that is still starting.
    """

    def __init__(self, api: FakeBotApi, user: int = USER, *, patience: float = 5.0) -> None:
        self.api = api
        self.user = user
        self.patience = patience
        self._sent: int | None = None

    async def say(
        self, text: str, expect: str, *, reply_to: int | None = None, only: bool = False
    ) -> str:
        """Send a message (optionally as a reply) and return the bot's answer containing expect.

        With ``only``, that answer must be the one message the bot sent back.
        """
        send = partial(self.api.send_text, self.user, text, reply_to=reply_to)
        return await self._exchange(send, repr(text[:60]), expect, only=only)

    async def reply(self, message: SentMessage, text: str, expect: str) -> str:
        """Reply to one of the bot's messages; returns the bot's answer containing ``expect``."""
        return await self.say(text, expect, reply_to=message.message_id)

    async def send(self, text: str) -> None:
        """Send a message whatever the bot makes of it, and wait until the bot is quiet."""
        self._sent = self.api.send_text(self.user, text)
        await self.api.wait_until_idle(timeout=self.patience)

    async def edit(self, text: str) -> None:
        """Edit the last message this user sent, and wait until the bot is quiet."""
        assert self._sent is not None, "nothing sent yet to edit"
        self.api.edit_text(self.user, self._sent, text)
        await self.api.wait_until_idle(quiet=0.2, timeout=self.patience)

    async def share_location(
        self, latitude: float, longitude: float, expect: str, *, only: bool = False
    ) -> str:
        """Share a location (the zone question's button); returns the answer containing expect."""
        send = partial(self.api.send_location, self.user, latitude, longitude)
        return await self._exchange(send, "a location", expect, only=only)

    async def send_sticker(self, expect: str, *, only: bool = False) -> str:
        """Send a sticker; returns the bot's answer containing ``expect``."""
        send = partial(self.api.send_sticker, self.user)
        return await self._exchange(send, "a sticker", expect, only=only)

    async def send_photo(self, caption: str, expect: str, *, only: bool = False) -> str:
        """Send a photo with a caption; returns the bot's answer containing ``expect``."""
        send = partial(self.api.send_photo, self.user, caption)
        return await self._exchange(send, "a photo", expect, only=only)

    async def _exchange(
        self, send: Callable[[], int], what: str, expect: str, *, only: bool
    ) -> str:
        """Send something, wait for an answer containing ``expect``, then for quiet."""
        since = len(self.api.messages(self.user, include_deleted=True))
        self._sent = send()

        def answers() -> list[str]:
            new = self.api.messages(self.user, include_deleted=True)[since:]
            return [m.text or m.caption or "" for m in new if not m.deleted]

        await self.api.wait_for(
            lambda: any(expect in a for a in answers()),
            self.patience,
            what=f"an answer to {what} containing {expect!r}",
        )
        await self.api.wait_until_idle(timeout=self.patience)
        if only:
            assert len(answers()) == 1, f"{what} got more than one answer: {answers()}"
        return [a for a in answers() if expect in a][-1]

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

    async def press(self, message: SentMessage, button: str, expect: str | None = None) -> str:
        """Press a button under a bot message; returns the toast the bot answered with.

        With ``expect``, also wait until the user sees ``expect``: in that message as the bot
        edits it (some edits come after the toast, paced or from a job), or in a new message.
        """
        since = len(self.api.messages(self.user, include_deleted=True))
        toast = await self._tap(message.message_id, message.callback_data_for(button), strict=True)
        if expect is not None:

            def seen() -> bool:
                edited = self.api.message(self.user, message.message_id)
                new = self.api.messages(self.user, include_deleted=True)[since:]
                shown = [edited, *(m for m in new if not m.deleted)]
                return any(expect in (m.text or m.caption or "") for m in shown)

            await self.api.wait_for(
                seen, self.patience, what=f"{expect!r} after pressing {button!r}"
            )
        return toast

    async def press_data(self, message: SentMessage | int, data: str) -> str:
        """Send a button press with any data under a message (or message id), as a forged
        request, an old client or a stale button would; returns the toast."""
        message_id = message if isinstance(message, int) else message.message_id
        return await self._tap(message_id, data, strict=False)

    async def _tap(self, message_id: int, data: str, *, strict: bool) -> str:
        """Press, wait for this press's toast, then for quiet; the toast's text."""
        query = self.api.press(self.user, message_id, data, strict=strict)
        await self.api.wait_for(
            lambda: query in self.api.callback_answers,
            self.patience,
            what=f"the toast for a press of {data!r}",
        )
        await self.api.wait_until_idle(timeout=self.patience)
        text = self.api.callback_answers[query].get("text")
        return "" if text is None else str(text)

    async def sees(self, message: SentMessage, expect: str) -> None:
        """Wait until a bot message, as edited so far, contains ``expect``."""
        await self.api.wait_for(
            lambda: expect in (self.api.message(self.user, message.message_id).text or ""),
            self.patience,
            what=f"message {message.message_id} showing {expect!r}",
        )


class Chat(Phone):
    """A ``Phone`` whose bot runs in this process: the test can let time pass and restart it."""

    def __init__(
        self, api: FakeBotApi, bot: RunningBot, clock: VirtualClock, user: int = USER
    ) -> None:
        super().__init__(api, user)
        self.bot = bot
        self.clock = clock

    async def at(self, instant: datetime) -> TickReport:
        """Let time pass until ``instant``, run what fell due and wait until the bot is quiet."""
        report = await jump(self.bot, self.clock, instant)
        await self.api.wait_until_idle()
        return report

    async def restart(self, at: datetime | None = None) -> None:
        """Stop the bot and start it again on the same database and settings (and the default
        transport); with ``at``, the clock shows that time when it comes back (it was down)."""
        settings = self.bot.services.settings
        await self.bot.stop()
        self.api.release_long_polls()
        if at is not None:
            self.clock.set(at)
        self.bot = RunningBot(settings, self.clock, watched_by=self.api)
        await self.bot.start()


@asynccontextmanager
async def newcomer(
    server: FakeBotApiServer,
    clock: VirtualClock,
    db: Path,
    start: datetime | None = None,
    *,
    request: BaseRequest | None = None,
    **settings: object,
) -> AsyncIterator[Chat]:
    """The running bot (at ``start``, if given) and a user who has not written yet;
    ``settings`` override the test defaults (``make_settings``), ``request`` the transport."""
    if start is not None:
        clock.set(start)
    config = make_settings(db, server.api_root, **settings)
    bot = RunningBot(config, clock, request, watched_by=server.api)
    chat = Chat(server.api, bot, clock)
    await chat.bot.start()
    try:
        yield chat
    finally:
        await chat.bot.stop()


@asynccontextmanager
async def onboarded(
    server: FakeBotApiServer,
    clock: VirtualClock,
    db: Path,
    start: datetime,
    zone: str,
    *,
    request: BaseRequest | None = None,
    **settings: object,
) -> AsyncIterator[Chat]:
    """The running bot at ``start``, with one user onboarded in ``zone`` on the default plan;
    ``settings`` and ``request`` as for ``newcomer``."""
    async with newcomer(server, clock, db, start, request=request, **settings) as chat:
        await onboard(chat.api, zone)
        yield chat


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


async def run_until_it_exits(api: FakeBotApi, db: Path) -> subprocess.CompletedProcess[str]:
    """``facenudge run`` against a stand-in serving ``api``, for a run that stops on its own
    (a token Telegram rejects, a database it must refuse)."""
    async with FakeBotApiServer(api) as server:
        return await asyncio.to_thread(
            facenudge,
            "run",
            cwd=db.parent,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=server.api_root,
            DATABASE_PATH=str(db),
        )
