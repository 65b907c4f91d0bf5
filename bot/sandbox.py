"""``facenudge chat``: the real bot in a terminal, offline, with a clock you can jump.

Trying a reminder bot means waiting for 08:00 and owning a token; this sandbox removes both.
It builds the very same application (handlers, dispatcher, database) as ``facenudge run``, but
plugs PTB into the in-process Bot API stand-in (``bot.fakeapi``) instead of the network, keeps
its data in a throwaway database so the real one is never touched, and drives it from stdin:
each line is a message from one user, a number presses a button, and a few sandbox-only
commands (``/clock``, ``/location``, ``/reply``) do what a phone or waiting would. Every bot
message is printed as plain text as soon as the stand-in records it, so nudges that fall due
while you read show up too; after each line the sandbox waits until the bot is idle, which makes
piped sessions deterministic transcripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import tempfile
import threading
from datetime import UTC, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import TextIO

from bot.app import at_work, build_application, polling, services_of
from bot.clock import VirtualClock
from bot.fakeapi import Call, FakeBotApi, InProcessRequest, SentMessage
from bot.logs import setup_logging
from bot.services import Services
from bot.settings import Settings
from bot.types import App
from schedules.zones import resolve_zone

TOKEN = "123456:SANDBOX"
USER_ID = 1
USER_NAME = "You"
API_URL = "http://sandbox.invalid"
BANNER = (
    "FaceNudge sandbox — you are chatting with the real bot offline. Type messages; "
    "/clock shows the virtual time, /clock +1h, +30m, +1d or 08:00 jumps it; a number presses "
    "a button; /location <lat> <lon> shares a location; /reply <text> replies to the last "
    "message with buttons; Ctrl-D exits."
)
PREFIX = "bot> "
CSV_PREVIEW_LINES = 4
IDLE_TIMEOUT = 60.0
MAX_JUMP_STEPS = 10_000
_JUMP = re.compile(r"^\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_AT = re.compile(r"^(\d{1,2}):(\d{2})$")
_NUMBER = re.compile(r"^\d{1,3}$")


def parse_jump(arg: str, now: datetime, zone: str | None) -> datetime | None:
    """The instant ``/clock <arg>`` means: ``+1d2h30m`` from now, or the next local ``HH:MM``."""
    arg = arg.strip().replace(" ", "")
    jump = _JUMP.fullmatch(arg)
    if jump is not None and any(jump.groups()):
        days, hours, minutes = (int(g or 0) for g in jump.groups())
        return now + timedelta(days=days, hours=hours, minutes=minutes)
    at = _AT.fullmatch(arg)
    if at is None or int(at.group(1)) > 23 or int(at.group(2)) > 59:
        return None
    tz = resolve_zone(zone) if zone else UTC
    local = now.astimezone(tz)
    target = time(int(at.group(1)), int(at.group(2)))
    for days in range(3):
        candidate = datetime.combine(local.date() + timedelta(days=days), target, tzinfo=tz)
        if candidate.astimezone(UTC) > now:
            return candidate.astimezone(UTC)
    return None


def describe_message(msg: SentMessage, *, edited: bool = False) -> list[str]:
    """A bot message as plain terminal lines (text, file, numbered buttons), without prefix."""
    lines: list[str] = []
    if msg.document is not None:
        doc = msg.document
        lines.append(f"📎 {doc.filename or 'file'} ({doc.size} bytes)")
        if doc.data is not None and (doc.filename or "").endswith(".csv"):
            rows = doc.data.decode("utf-8-sig", errors="replace").splitlines()
            lines.extend(f"  {row}" for row in rows[:CSV_PREVIEW_LINES])
            if len(rows) > CSV_PREVIEW_LINES:
                lines.append(f"  … ({len(rows) - CSV_PREVIEW_LINES} more lines)")
    if msg.photo is not None:
        size_kb = max(1, round(msg.photo.size / 1024))
        lines.append(f"🖼 {msg.photo.filename or 'photo.png'} ({size_kb} KB)")
    body = msg.text if msg.text is not None else msg.caption
    if body:
        lines.extend(body.splitlines() or [""])
    if edited:
        lines = [f"(edited) {lines[0]}" if lines else "(edited)", *lines[1:]]
    lines.extend(describe_keyboard(msg))
    return lines


def describe_keyboard(msg: SentMessage) -> list[str]:
    """Inline buttons numbered across rows; reply keyboards with a hint on how to use them."""
    markup = msg.reply_markup or {}
    lines: list[str] = []
    number = 0
    for row in msg.buttons:
        cells: list[str] = []
        for button in row:
            label = str(button.get("text", ""))
            if "inline_keyboard" not in markup:
                hint = " (type /location <lat> <lon>)" if button.get("request_location") else ""
                cells.append(f"⌨ {label}{hint}")
            elif "callback_data" in button:
                number += 1
                cells.append(f"[{number}] {label}")
            elif "url" in button:
                cells.append(f"[↗ {label}: {button['url']}]")
            else:
                cells.append(f"[{label}]")
        if cells:
            lines.append("  ".join(cells))
    return lines


class Sandbox:
    """One terminal session: prints what the bot sends and turns typed lines into updates."""

    def __init__(self, app: App, api: FakeBotApi, clock: VirtualClock, out: TextIO) -> None:
        self.app = app
        self.api = api
        self.clock = clock
        self.out = out
        self.replied_to: int | None = None
        api.add_listener(self._on_call)

    @property
    def services(self) -> Services:
        """The running bot's services (repository, dispatcher)."""
        return services_of(self.app)

    def say(self, lines: list[str], prefix: str = PREFIX) -> None:
        """Print lines with a prefix and flush, so piped output arrives in order."""
        for line in lines:
            self.out.write(f"{prefix}{line}".rstrip() + "\n")
        self.out.flush()

    def _on_call(self, call: Call) -> None:
        """Print every message the bot sends, edits or pops up, as the stand-in records it."""
        if call.method in {"getUpdates", "setMyCommands", "getMe", "sendChatAction"}:
            return
        if not call.ok:
            self.say([f"⚠ {call.method} rejected: {call.response.get('description', '?')}"])
            return
        result = call.response.get("result")
        if call.method in {"sendMessage", "sendDocument", "sendPhoto"} and isinstance(result, dict):
            msg = self.api.message(USER_ID, int(result["message_id"]))
            if "inline_keyboard" in (msg.reply_markup or {}):
                self.replied_to = msg.message_id
            self.say(describe_message(msg))
        elif call.method in {"editMessageText", "editMessageReplyMarkup"}:
            message_id = int(str(call.params.get("message_id", 0)))
            self.say(describe_message(self.api.message(USER_ID, message_id), edited=True))
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self.say([f"(popup) {call.params['text']}"])
        elif call.method == "deleteMessage":
            self.say(["(deleted a message)"])

    def _keyboard_message(self) -> SentMessage | None:
        """The newest bot message that still has inline buttons."""
        for msg in reversed(self.api.messages(USER_ID)):
            if msg.callback_data:
                return msg
        return None

    async def handle_line(self, line: str) -> None:
        """Act on one typed line, then wait until the bot has finished answering it."""
        text = line.strip()
        if not text:
            return
        command, _, arg = text.partition(" ")
        if command == "/clock":
            await self.jump(arg)
            return
        if command == "/location":
            self.location(arg)
        elif command == "/reply":
            self.reply(arg)
        elif _NUMBER.fullmatch(text) and (target := self._keyboard_message()) is not None:
            self.press(target, int(text))
        else:
            self.api.send_text(USER_ID, text, first_name=USER_NAME)
        await self.settle()

    def location(self, arg: str) -> None:
        """``/location <lat> <lon>``: share a location as the phone's button would."""
        try:
            latitude, longitude = (float(part) for part in arg.replace(",", " ").split())
        except ValueError:
            self.say(["usage: /location <latitude> <longitude>, e.g. /location 52.52 13.40"], "")
            return
        self.api.send_location(USER_ID, latitude, longitude)

    def reply(self, arg: str) -> None:
        """``/reply <text>``: reply to the last message that came with buttons (a nudge)."""
        if not arg.strip() or self.replied_to is None:
            self.say(["usage: /reply <text>, after a message with buttons (e.g. a nudge)"], "")
            return
        self.api.send_text(USER_ID, arg.strip(), reply_to=self.replied_to, first_name=USER_NAME)

    def press(self, target: SentMessage, number: int) -> None:
        """Press the ``number``-th button of a keyboard, or say which numbers exist."""
        data = target.callback_data
        if not 1 <= number <= len(data):
            self.say([f"(no button {number}: the last keyboard has 1–{len(data)})"], "")
            return
        labels = [
            str(b.get("text", "")) for row in target.buttons for b in row if "callback_data" in b
        ]
        self.say([f"(pressed {labels[number - 1]})"], "you> ")
        self.api.press(USER_ID, target.message_id, data[number - 1])

    async def jump(self, arg: str) -> None:
        """``/clock [arg]``: show the virtual time, or jump and run what fell due on the way."""
        user = await self.services.repo.get_user(USER_ID)
        zone = user.zone if user is not None else None
        if arg.strip():
            target = parse_jump(arg, self.clock(), zone)
            if target is None:
                self.say(["usage: /clock, /clock +2h, /clock +30m, /clock +1d, /clock 08:00"], "")
                return
            await self.run_until(target)
        self.say([self.describe_now(zone)], "clock> ")

    async def run_until(self, target: datetime) -> None:
        """Move the clock to ``target`` in steps, ticking at every due instant on the way."""
        dispatcher = self.services.dispatcher
        previous: datetime | None = None
        for _ in range(MAX_JUMP_STEPS):
            upcoming = await self.services.repo.next_wake()
            if upcoming is None or upcoming > target:
                break
            if previous is not None and upcoming <= previous:
                break  # something stays due (e.g. an inactive user's summary): stop stepping
            previous = upcoming
            self.clock.advance_to(upcoming)
            await dispatcher.tick()
            await self.settle()
        self.clock.advance_to(target)
        await dispatcher.tick()
        await self.settle()

    def describe_now(self, zone: str | None) -> str:
        """The virtual time in UTC and, once set, in the user's zone."""
        now = self.clock()
        text = f"{now:%a %Y-%m-%d %H:%M} UTC"
        if zone and zone != "UTC":
            text += f" = {now.astimezone(resolve_zone(zone)):%a %H:%M} {zone}"
        return text

    async def settle(self) -> None:
        """Wait until PTB fetched and handled every update and the stand-in went quiet."""
        try:
            await self.api.wait_updates_consumed(IDLE_TIMEOUT)
            async with asyncio.timeout(IDLE_TIMEOUT):
                await self.app.update_queue.join()
            await self.api.wait_until_idle(timeout=IDLE_TIMEOUT)
        except TimeoutError:
            self.say(["(the bot is still busy; carrying on)"], "")


class _LineReader:
    """Reads stdin on a daemon thread, so Ctrl-C never waits for a blocked ``readline``."""

    def __init__(self, stdin: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._stdin = stdin
        threading.Thread(target=self._read, name="sandbox-stdin", daemon=True).start()

    def _read(self) -> None:
        """Forward lines to the event loop; None marks end of input."""
        while True:
            try:
                line = self._stdin.readline()
            except (OSError, ValueError):
                line = ""
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line or None)
            if not line:
                return

    async def next(self) -> str | None:
        """The next line, or None at end of input."""
        return await self._lines.get()


async def _session(settings: Settings, stdin: TextIO, stdout: TextIO) -> None:
    """Build, start, converse until end of input, stop."""
    api = FakeBotApi(expected_token=TOKEN, bot_username="facenudge_sandbox_bot")
    clock = VirtualClock()
    app = build_application(
        settings,
        TOKEN,
        clock=clock,
        elapsed=clock.monotonic,
        request=InProcessRequest(api),
        updates_request=InProcessRequest(api, read_timeout=20.0),
    )
    sandbox = Sandbox(app, api, clock, stdout)
    echo = not stdin.isatty()
    sandbox.say([BANNER, ""], "")
    busy = partial(at_work, app)
    async with polling(app):
        api.watch(busy)  # each step waits for what the bot still has in hand, then 10 ms
        try:
            await sandbox.settle()
            reader = _LineReader(stdin)
            while (line := await reader.next()) is not None:
                if echo and line.strip():
                    sandbox.say([line.strip()], "you> ")
                await sandbox.handle_line(line)
        finally:
            api.unwatch(busy)
            api.release_long_polls()


def run_sandbox(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    """Run an offline chat session on a temporary database; 0 at end of input, 130 on Ctrl-C."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    if not logging.getLogger().handlers:
        setup_logging("WARNING", settings.log_format)
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on import
    with tempfile.TemporaryDirectory(prefix="facenudge-sandbox-") as tmp:
        sandboxed = settings.model_copy(
            update={
                "database_path": Path(tmp) / "sandbox.db",
                "telegram_api_url": API_URL,
                "telegram_bot_token": None,
                "webhook_url": None,
                "webhook_secret": None,
                # a piped script is not a person flooding the bot: don't throttle it
                **({} if stdin.isatty() else {"user_burst": 100_000.0}),
            }
        )
        try:
            asyncio.run(_session(sandboxed, stdin, stdout))
        except KeyboardInterrupt:
            with contextlib.suppress(OSError, ValueError):
                stdout.write("\n")
                stdout.flush()
            return 130
    return 0
