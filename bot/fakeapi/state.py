"""The Bot API stand-in's state and logic, transport-free: chats, messages, the update queue.

It answers Bot API methods as plain JSON dicts, keeps a transcript of every call, lets tests
inject user activity and faults, and can enforce Telegram's flood limits. ``bot.fakeapi.inprocess``
and the tests' ``tests/botapi_http.py`` serve it to a real PTB application.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

JSONDict = dict[str, object]
_LOGGER = logging.getLogger(__name__)

_METHOD_NAMES: Final = (
    "getMe",
    "getUpdates",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "sendDocument",
    "sendPhoto",
    "sendChatAction",
    "deleteMessage",
    "getFile",
    "close",
    "logOut",
)
_CANONICAL: Final = {name.lower(): name for name in _METHOD_NAMES}
# Methods that count against the flood limits when enforce_limits() is on.
_LIMITED: Final = frozenset({"sendmessage", "sendphoto", "senddocument", "editmessagetext"})
# Methods that fail with 403 when they target a chat that blocked the bot.
_CHAT_BOUND: Final = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendchataction",
        "editmessagetext",
        "editmessagereplymarkup",
    }
)
# Update types Telegram delivers when allowed_updates was never set (or set to []).
_DEFAULT_EXCLUDED: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
DEFAULT_DESCRIPTIONS: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}
_HTML_TAGS: Final = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_HTML_TAG_RE: Final = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_MDV2_NEVER_MARKUP: Final = frozenset("#+-={}.!")
_MDV2_MARKERS: Final = frozenset("*_~|`")
_CLIENT_CLOSED: Final = 499
QUIET: Final = 0.05
"""Seconds of quiet ``wait_until_idle`` asks for when it can only watch the wire."""
SETTLE: Final = 0.01
"""Seconds of quiet it asks for when the bot says it is idle too (``watch``): enough for what
the event loop has already scheduled (a task the bot just created) to show."""
IDLE_POLL: Final = 0.002
"""Seconds between looks at the bot's own idle signal while waiting for it."""


class _ApiError(Exception):
    """Raised inside method implementations so the dispatcher can turn it into an error body."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def error_body(status: int, description: str, parameters: JSONDict | None = None) -> JSONDict:
    """Build an error body in the shape the Bot API (and PTB's parser) uses."""
    body: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot made, kept so tests can assert on what was sent and when."""

    method: str
    params: dict[str, object]
    time: float
    status: int = 0
    response: JSONDict = field(default_factory=dict)
    duration: float = 0.0
    index: int = -1

    @property
    def ok(self) -> bool:
        """Whether the stand-in answered with a 2xx status."""
        return 200 <= self.status < 300

    @property
    def chat_id(self) -> int | None:
        """The numeric chat_id parameter, if any, since params arrive as strings."""
        return _as_int(self.params.get("chat_id"))

    @property
    def text(self) -> str | None:
        """The text (or caption) parameter, for terse assertions."""
        value = self.params.get("text", self.params.get("caption"))
        return None if value is None else str(value)

    def json_param(self, name: str) -> object:
        """Decode a JSON-encoded parameter such as reply_markup."""
        return _decode_json(self.params.get(name))


@dataclass
class SentFile:
    """A file the bot uploaded (or referenced by file_id), kept with its bytes for assertions."""

    file_id: str
    file_unique_id: str
    data: bytes | None
    filename: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        """Byte size, 0 when the bot referenced the file by id or URL."""
        return len(self.data) if self.data is not None else 0


@dataclass
class SentMessage:
    """The current state of one bot message in a chat, after any edits."""

    chat_id: int
    message_id: int
    date: int
    text: str | None = None
    raw_text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    reply_markup: JSONDict | None = None
    reply_to: int | None = None
    document: SentFile | None = None
    photo: SentFile | None = None
    edits: int = 0
    edit_date: int | None = None
    deleted: bool = False
    history: list[str | None] = field(default_factory=list)

    @property
    def buttons(self) -> list[list[JSONDict]]:
        """Keyboard rows (inline or reply keyboard) as sent, so tests can inspect labels."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", self.reply_markup.get("keyboard"))
        if not isinstance(rows, list):
            return []
        return [
            [b if isinstance(b, dict) else {"text": str(b)} for b in row]
            for row in rows
            if isinstance(row, list)
        ]

    @property
    def button_labels(self) -> list[str]:
        """All button labels in reading order."""
        return [str(b.get("text", "")) for row in self.buttons for b in row]

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values of inline buttons in reading order."""
        return [
            str(b["callback_data"]) for row in self.buttons for b in row if "callback_data" in b
        ]

    def callback_data_for(self, label: str) -> str:
        """Find the callback_data of the inline button whose label contains ``label``."""
        for row in self.buttons:
            for button in row:
                if label in str(button.get("text", "")) and "callback_data" in button:
                    return str(button["callback_data"])
        raise KeyError(f"no inline button labelled {label!r}; labels: {self.button_labels}")


def _as_int(value: object) -> int | None:
    """Parse an int parameter that may arrive as a string; None when absent or not numeric."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None


def _decode_json(value: object) -> object:
    """Decode a JSON-encoded parameter; native values from JSON bodies pass through."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Req:
    """Typed access to one request's parameters and uploaded files."""

    def __init__(
        self,
        params: Mapping[str, object],
        files: Mapping[str, bytes],
        file_names: Mapping[str, str],
        file_types: Mapping[str, str],
    ) -> None:
        self.params = params
        self.files = files
        self.file_names = file_names
        self.file_types = file_types

    def get_str(self, name: str) -> str | None:
        """A string parameter, or None."""
        value = self.params.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str) -> int | None:
        """An integer parameter, or None; 400 when it is not numeric."""
        value = self.params.get(name)
        if value is None:
            return None
        parsed = _as_int(value)
        if parsed is None:
            raise _ApiError(400, f"Bad Request: invalid {name} specified")
        return parsed

    def get_float(self, name: str, default: float) -> float:
        """A float parameter with a default."""
        value = self.params.get(name)
        if value is None:
            return default
        try:
            return float(value) if isinstance(value, int | float | str) else default
        except ValueError:
            return default

    def get_bool(self, name: str) -> bool:
        """A boolean parameter; PTB sends JSON ``true``/``false``."""
        value = self.params.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> object:
        """A JSON-encoded parameter, decoded; 400 when it is not valid JSON."""
        value = self.params.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise _ApiError(400, f"Bad Request: can't parse {name} JSON object") from exc
        return value

    def chat_id(self) -> int:
        """The required chat_id, as Telegram validates it."""
        value = self.params.get("chat_id")
        if value is None or value == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        parsed = _as_int(value)
        if parsed is None:
            raise _ApiError(400, "Bad Request: chat not found")
        return parsed


class FakeBotApi:
    """Transport-free Bot API state machine so tests, benchmarks and the sandbox share one fake."""

    def __init__(
        self,
        *,
        bot_id: int = 123456,
        bot_username: str = "facenudge_test_bot",
        bot_first_name: str = "FaceNudge",
        expected_token: str | None = None,
        local_mode: bool = False,
        first_update_id: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.expected_token = expected_token
        self.local_mode = local_mode
        self.clock = clock
        self.calls: list[Call] = []
        self.tokens_seen: set[str] = set()
        self.webhook_url: str = ""
        self.webhook_secret: str | None = None
        self.allowed_updates: list[str] | None = None
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.files: dict[str, SentFile] = {}
        self.dropped_updates: list[JSONDict] = []
        self.rejected_by_limits = 0
        self.closed = False
        self._listeners: list[Callable[[Call], None]] = []
        self._next_update_id = first_update_id
        self._queue: deque[JSONDict] = deque()
        self._bot_messages: dict[int, dict[int, SentMessage]] = {}
        self._user_messages: dict[tuple[int, int], JSONDict] = {}
        self._next_message_id: dict[int, int] = {}
        self._users: dict[int, JSONDict] = {}
        self._blocked: dict[int, str] = {}
        self._pending_callbacks: set[str] = set()
        self._next_callback = 0
        self._next_file = 0
        self._faults: dict[str, deque[tuple[int | None, int, JSONDict]]] = {}
        self._delays: dict[str, tuple[float, bool]] = {}
        self.round_trip = 0.0
        """Seconds each call spends on the wire, half each way (a server far from Telegram)."""
        self._limits: tuple[float, float, float] | None = None
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}
        self._waiters: set[asyncio.Future[None]] = set()
        self._in_flight = 0
        self._last_activity = 0.0
        self._watched: list[Callable[[], bool]] = []
        self._poll_serial = 0
        self._polls_waiting = 0
        self._release_serial = 0
        self._methods: dict[str, Callable[[_Req], Awaitable[object]]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendchataction": self._send_chat_action,
            "deletemessage": self._delete_message,
            "getfile": self._get_file,
            "close": self._close,
            "logout": self._close,
        }

    # ------------------------------------------------------------------ dispatch

    async def handle(
        self,
        method: str,
        params: Mapping[str, object],
        files: Mapping[str, bytes] | None = None,
        *,
        file_names: Mapping[str, str] | None = None,
        file_types: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, JSONDict]:
        """Answer one Bot API request and record it, whatever the outcome."""
        name = _CANONICAL.get(method.lower(), method)
        if token is not None:
            self.tokens_seen.add(token)
        call = Call(method=name, params=dict(params), time=self.clock())
        status, body = _CLIENT_CLOSED, error_body(_CLIENT_CLOSED, "Client Closed Request")
        self._in_flight += 1
        try:
            status, body = await self._dispatch(
                method.lower(),
                _Req(params, files or {}, file_names or {}, file_types or {}),
                token,
            )
            return status, body
        finally:
            self._in_flight -= 1
            call.status = status
            call.response = body
            call.duration = self.clock() - call.time
            call.index = len(self.calls)
            self.calls.append(call)
            if name != "getUpdates":
                self._touch()
            for listener in list(self._listeners):
                try:
                    listener(call)
                except Exception:
                    _LOGGER.exception("FakeBotApi listener failed on %s", call.method)
            self._notify()

    async def _dispatch(self, lname: str, req: _Req, token: str | None) -> tuple[int, JSONDict]:
        """Apply token check, delays, faults, blocks and limits, then run the method."""
        if self.expected_token is not None and token is not None and token != self.expected_token:
            return 401, error_body(401, "Unauthorized")
        impl = self._methods.get(lname)
        if impl is None:
            return 404, error_body(404, "Not Found: method not found")
        delay, before = self._delays.get(lname, (0.0, False))
        if self.round_trip:
            await asyncio.sleep(self.round_trip / 2)
        if delay and before:
            await asyncio.sleep(delay)
        try:
            outcome = self._precheck(lname, req)
            if outcome is None:
                result = await impl(req)
                outcome = 200, {"ok": True, "result": result}
        except _ApiError as exc:
            outcome = exc.status, error_body(exc.status, exc.description, exc.parameters)
        if delay and not before:
            await asyncio.sleep(delay)
        if self.round_trip:
            await asyncio.sleep(self.round_trip / 2)
        return outcome

    def _precheck(self, lname: str, req: _Req) -> tuple[int, JSONDict] | None:
        """Canned faults first, then blocked chats, then flood limits."""
        chat_id = _as_int(req.params.get("chat_id"))
        faults = self._faults.get(lname)
        if faults:
            for i, (fault_chat, status, body) in enumerate(faults):
                if fault_chat is None or fault_chat == chat_id:
                    del faults[i]
                    return status, body
        if chat_id is not None and lname in _CHAT_BOUND and chat_id in self._blocked:
            return 403, error_body(403, self._blocked[chat_id])
        if self._limits is not None and lname in _LIMITED and chat_id is not None:
            return self._check_limits(chat_id)
        return None

    def _check_limits(self, chat_id: int) -> tuple[int, JSONDict] | None:
        """Sliding-window flood control: global per second, per chat per second or per minute."""
        assert self._limits is not None
        global_limit, chat_limit, group_per_minute = self._limits
        now = self.clock()
        window = self._chat_windows.setdefault(chat_id, deque())
        span = 60.0 if chat_id < 0 else 1.0
        limit = group_per_minute if chat_id < 0 else chat_limit
        while window and window[0] <= now - span:
            window.popleft()
        while self._global_window and self._global_window[0] <= now - 1.0:
            self._global_window.popleft()
        if len(window) >= limit or len(self._global_window) >= global_limit:
            self.rejected_by_limits += 1
            return 429, error_body(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        window.append(now)
        self._global_window.append(now)
        return None

    @property
    def requests_in_flight(self) -> int:
        """Requests received and not yet answered (long polls included)."""
        return self._in_flight

    # ------------------------------------------------------------------ configuration

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Queue canned errors for the next ``times`` calls of ``method`` (optionally one chat)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or DEFAULT_DESCRIPTIONS.get(status, "Error")
        if status == 429 and description is None:
            text = f"Too Many Requests: retry after {retry_after}"
        params: JSONDict | None = {"retry_after": retry_after} if retry_after is not None else None
        queue = self._faults.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append((chat_id, status, error_body(status, text, params)))

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        self._faults.clear()

    def set_delay(self, method: str, seconds: float, *, before: bool = False) -> None:
        """Slow down a method; by default the work is done first, so a timed-out send still lands.

        With ``before=True`` the delay comes first, so a client that gives up (in-process timeout,
        closed HTTP connection) leaves no trace except the 499 in the transcript.
        """
        if seconds <= 0:
            self._delays.pop(method.lower(), None)
        else:
            self._delays[method.lower()] = (seconds, before)

    def enforce_limits(
        self,
        global_per_second: float = 30,
        per_chat_per_second: float = 1,
        *,
        per_group_per_minute: float = 20,
    ) -> None:
        """Turn on flood limits for sendMessage/sendPhoto/sendDocument/editMessageText."""
        self._limits = (global_per_second, per_chat_per_second, per_group_per_minute)
        self._global_window.clear()
        self._chat_windows.clear()

    def disable_limits(self) -> None:
        """Turn flood limits off again (the default)."""
        self._limits = None

    def add_listener(self, listener: Callable[[Call], None]) -> None:
        """Call ``listener`` after every recorded call (the sandbox prints bot messages so)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Call], None]) -> None:
        """Undo add_listener."""
        self._listeners.remove(listener)

    # ------------------------------------------------------------------ views

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        """The bot's messages in a chat, oldest first, in their current (edited) state."""
        chat = self._bot_messages.get(chat_id, {})
        return [m for m in chat.values() if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """One bot message by id; KeyError when the bot never sent it."""
        try:
            return self._bot_messages[chat_id][message_id]
        except KeyError:
            raise KeyError(f"bot sent no message {message_id} in chat {chat_id}") from None

    def last_message(self, chat_id: int) -> SentMessage:
        """The bot's newest live message in a chat; LookupError when there is none."""
        live = self.messages(chat_id)
        if not live:
            raise LookupError(f"bot sent no message to chat {chat_id}")
        return live[-1]

    def calls_to(self, method: str, *, chat_id: int | None = None) -> list[Call]:
        """Every recorded call of one method (case-insensitive), optionally for one chat."""
        lname = method.lower()
        return [
            c
            for c in self.calls
            if c.method.lower() == lname and (chat_id is None or c.chat_id == chat_id)
        ]

    def mark(self) -> int:
        """The transcript position, to pass as ``after=`` to wait_for_call."""
        return len(self.calls)

    @property
    def long_polls_pending(self) -> int:
        """getUpdates calls currently waiting for updates (so tests can sync on a parked poll)."""
        return self._polls_waiting

    @property
    def pending_updates(self) -> int:
        """Updates queued but not yet confirmed by a getUpdates offset."""
        return len(self._queue)

    def is_blocked(self, chat_id: int) -> bool:
        """Whether a chat currently blocks the bot."""
        return chat_id in self._blocked

    # ------------------------------------------------------------------ user activity

    def _user(
        self, user_id: int, first_name: str | None = None, language_code: str | None = None
    ) -> JSONDict:
        """The User object for an id, remembering the name and language once given."""
        user = self._users.get(user_id)
        if user is None:
            user = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or "Ana",
                "language_code": language_code or "en",
            }
            self._users[user_id] = user
        if first_name is not None:
            user["first_name"] = first_name
        if language_code is not None:
            user["language_code"] = language_code
        return dict(user)

    def _bot_user(self) -> JSONDict:
        """The bot's own User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat(self, chat_id: int) -> JSONDict:
        """A Chat object: private chats are users, negative ids are groups."""
        if chat_id > 0:
            user = self._users.get(chat_id, {})
            return {
                "id": chat_id,
                "type": "private",
                "first_name": str(user.get("first_name", "Ana")),
            }
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _new_message_id(self, chat_id: int) -> int:
        """Allocate the next message id in a chat (shared by user and bot messages)."""
        mid = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = mid
        return mid

    def _enqueue(self, kind: str, payload: JSONDict) -> int:
        """Put an update on the getUpdates queue and wake long polls."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._queue.append({"update_id": update_id, kind: payload})
        self._touch()
        self._notify()
        return update_id

    def _user_message(self, chat_id: int, user_id: int, extra: JSONDict) -> JSONDict:
        """Build and remember a message the user sent."""
        mid = self._new_message_id(chat_id)
        msg: JSONDict = {
            "message_id": mid,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(user_id),
            **extra,
        }
        self._user_messages[(chat_id, mid)] = msg
        return msg

    @staticmethod
    def _text_fields(text: str) -> JSONDict:
        """Text plus the bot_command entity Telegram adds, which PTB's CommandHandler needs."""
        fields: JSONDict = {"text": text}
        if text.startswith("/") and len(text) > 1:
            command = text.split(maxsplit=1)[0]
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return fields

    def _reply_target(self, chat_id: int, message_id: int) -> JSONDict:
        """The message being replied to, user's or bot's."""
        bot_msgs = self._bot_messages.get(chat_id, {})
        if message_id in bot_msgs:
            return self._bot_message_json(bot_msgs[message_id])
        if (chat_id, message_id) in self._user_messages:
            return dict(self._user_messages[(chat_id, message_id)])
        raise KeyError(f"no message {message_id} in chat {chat_id}")

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        first_name: str = "Ana",
        language_code: str = "en",
    ) -> int:
        """A user writes in their private chat; returns the new message_id."""
        self._user(user_id, first_name, language_code)
        extra = self._text_fields(text)
        if reply_to is not None:
            extra["reply_to_message"] = self._reply_target(user_id, reply_to)
        msg = self._user_message(user_id, user_id, extra)
        self._enqueue("message", msg)
        return int(str(msg["message_id"]))

    def send_command(self, user_id: int, command: str, args: str = "", **kwargs: Any) -> int:
        """A user sends ``/command args``; a leading slash in ``command`` is optional."""
        text = command if command.startswith("/") else f"/{command}"
        if args:
            text = f"{text} {args}"
        return self.send_text(user_id, text, **kwargs)

    def send_location(self, user_id: int, latitude: float, longitude: float) -> int:
        """A user shares a location; returns the new message_id."""
        location: JSONDict = {"latitude": latitude, "longitude": longitude}
        msg = self._user_message(user_id, user_id, {"location": location})
        self._enqueue("message", msg)
        return int(str(msg["message_id"]))

    def send_sticker(self, user_id: int, emoji: str = "👍") -> int:
        """A user sends a sticker (something the bot cannot parse as text)."""
        sticker: JSONDict = {
            "file_id": f"sticker-{user_id}",
            "file_unique_id": f"stk{user_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        msg = self._user_message(user_id, user_id, {"sticker": sticker})
        self._enqueue("message", msg)
        return int(str(msg["message_id"]))

    def send_photo(self, user_id: int, caption: str | None = None) -> int:
        """A user sends a photo."""
        fid = f"userphoto-{self._next_file}"
        self._next_file += 1
        extra: JSONDict = {"photo": self._photo_sizes(fid, 1024)}
        if caption is not None:
            extra["caption"] = caption
        msg = self._user_message(user_id, user_id, extra)
        self._enqueue("message", msg)
        return int(str(msg["message_id"]))

    def edit_text(self, user_id: int, message_id: int, text: str) -> None:
        """A user edits one of their earlier texts, which arrives as an edited_message update."""
        key = (user_id, message_id)
        if key not in self._user_messages:
            raise KeyError(f"user {user_id} sent no message {message_id}")
        msg = dict(self._user_messages[key])
        msg.pop("entities", None)
        msg.update(self._text_fields(text))
        msg["edit_date"] = int(time.time())
        self._user_messages[key] = msg
        self._enqueue("edited_message", msg)

    def send_group_text(self, chat_id: int, user_id: int, text: str) -> int:
        """A user writes in a group the bot is in (chat_id must be negative)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self._user(user_id)
        msg = self._user_message(chat_id, user_id, self._text_fields(text))
        self._enqueue("message", msg)
        return int(str(msg["message_id"]))

    def press(
        self, user_id: int, message_id: int, callback_data: str, *, strict: bool = True
    ) -> str:
        """A user taps an inline button under a bot message; returns the callback query id.

        With ``strict`` the data must be one of that message's buttons, which catches test typos.
        """
        msg = self.message(user_id, message_id)
        if msg.deleted:
            raise KeyError(f"message {message_id} in chat {user_id} was deleted")
        if strict and callback_data not in msg.callback_data:
            raise ValueError(
                f"message {message_id} has no button with data {callback_data!r}; "
                f"it has {msg.callback_data}"
            )
        self._next_callback += 1
        query_id = str(4_000_000_000 + self._next_callback)
        self._pending_callbacks.add(query_id)
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": self._user(user_id),
                "message": self._bot_message_json(msg),
                "chat_instance": f"ci-{user_id}",
                "data": callback_data,
            },
        )
        return query_id

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        """Queue the my_chat_member update Telegram sends on block/unblock."""
        now = int(time.time())

        def member(status: str) -> JSONDict:
            body: JSONDict = {"status": status, "user": self._bot_user()}
            if status == "kicked":
                body["until_date"] = 0
            return body

        self._enqueue(
            "my_chat_member",
            {
                "chat": self._chat(user_id),
                "from": self._user(user_id),
                "date": now,
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    def block(
        self, user_id: int, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """The user blocks the bot: sends to them fail with 403 and my_chat_member is queued."""
        self._blocked[user_id] = description
        self._member_update(user_id, "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """The user unblocks (restarts) the bot."""
        self._blocked.pop(user_id, None)
        self._member_update(user_id, "kicked", "member")

    def deactivate(self, user_id: int) -> None:
        """The user deletes their account: 403 "user is deactivated", no update is sent."""
        self._blocked[user_id] = "Forbidden: user is deactivated"

    # ------------------------------------------------------------------ waiting

    def _touch(self) -> None:
        """Remember when something last happened, for wait_until_idle."""
        with contextlib.suppress(RuntimeError):
            self._last_activity = asyncio.get_running_loop().time()

    def _notify(self) -> None:
        """Wake everything waiting for a state change."""
        waiters, self._waiters = self._waiters, set()
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _changed(self, seconds: float) -> None:
        """Sleep until the state changes or ``seconds`` pass."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, seconds)
        finally:
            self._waiters.discard(fut)

    def describe_recent(self, n: int = 12) -> str:
        """The last ``n`` interesting calls, for timeout messages (idle empty polls are skipped)."""
        lines = []
        for c in self.calls[::-1]:
            if c.method == "getUpdates" and c.ok and not c.response.get("result"):
                continue
            extra = f" chat={c.chat_id}" if c.chat_id is not None else ""
            text = f" text={c.text[:60]!r}" if c.text else ""
            lines.append(f"  #{c.index} {c.method}{extra} -> {c.status}{text}")
            if len(lines) >= n:
                break
        return "\n".join(reversed(lines)) or "  (no calls)"

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        what: str = "",
    ) -> None:
        """Wait for a condition on the fake (or anything else), re-checking on every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                label = what or getattr(predicate, "__name__", "condition")
                raise TimeoutError(
                    f"{label} not met within {timeout}s; pending updates={self.pending_updates}; "
                    f"recent calls:\n{self.describe_recent()}"
                )
            await self._changed(min(remaining, 0.02))

    async def wait_for_call(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        after: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Call:
        """The first call of ``method`` (optionally to one chat) with index >= ``after``."""
        lname = method.lower()
        found: list[Call] = []
        scanned = after

        def seen() -> bool:
            nonlocal scanned
            while scanned < len(self.calls):
                c = self.calls[scanned]
                scanned += 1
                if c.method.lower() == lname and (chat_id is None or c.chat_id == chat_id):
                    found.append(c)
                    return True
            return False

        where = f" to chat {chat_id}" if chat_id is not None else ""
        await self.wait_for(seen, timeout, what=f"call {method}{where} after #{after}")
        return found[0]

    async def wait_updates_consumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until getUpdates confirmed (offset past) every queued update.

        PTB confirms on its next poll, before handlers finish, so this does not mean "handled".
        """
        await self.wait_for(lambda: not self._queue, timeout, what="updates consumed")

    def watch(self, busy: Callable[[], bool]) -> None:
        """Have ``wait_until_idle`` also wait while ``busy()``: a bot in this process that can
        tell when it is at work (an update being handled, a send queued, a job due), which
        the wire alone shows only as silence."""
        self._watched.append(busy)

    def unwatch(self, busy: Callable[[], bool]) -> None:
        """Undo ``watch`` (the bot stopped)."""
        self._watched.remove(busy)

    @property
    def quiet(self) -> float:
        """Seconds of silence that count as idle: ``SETTLE`` while a bot is watched (it says
        itself when it is at work), else ``QUIET``."""
        return SETTLE if self._watched else QUIET

    async def wait_until_idle(
        self,
        quiet: float | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until updates are consumed, only long polls are in flight and nothing happened
        (no call, no confirmation, no new update) for ``quiet`` seconds; use before asserting
        that the bot sent nothing more.

        A watched bot (``watch``) must also have been idle all that time, and then a short
        ``quiet`` (``SETTLE``) is enough; without one, silence on the wire is all there is to
        go by, and ``quiet`` defaults to the longer ``QUIET``.
        """
        if quiet is None:
            quiet = self.quiet
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.wait_updates_consumed(timeout)
        calm_since: float | None = None
        while True:
            now = loop.time()
            if any(busy() for busy in self._watched):
                calm_since = None
            elif calm_since is None:
                calm_since = now
            if calm_since is not None and now - calm_since >= quiet and self.idle_for(quiet):
                return
            if now >= deadline:
                raise TimeoutError(
                    f"bot not idle within {timeout}s; recent calls:\n{self.describe_recent()}"
                )
            await asyncio.sleep(IDLE_POLL if self._watched else quiet / 2)

    def idle_for(self, quiet: float) -> bool:
        """Whether only long polls are in flight, no update waits and nothing happened (no
        call, no confirmation, no new update) for ``quiet`` seconds of real time."""
        busy = self._in_flight - self._polls_waiting
        now = asyncio.get_running_loop().time()
        return busy <= 0 and not self._queue and now - self._last_activity >= quiet

    def release_long_polls(self) -> None:
        """Answer every pending getUpdates with an empty list now (used when stopping)."""
        self._release_serial += 1
        self._notify()

    # ------------------------------------------------------------------ methods

    async def _get_me(self, req: _Req) -> object:
        """getMe."""
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _allowed(self, update: JSONDict) -> bool:
        """Whether the persisted allowed_updates lets this update through."""
        kind = next(k for k in update if k != "update_id")
        if not self.allowed_updates:
            return kind not in _DEFAULT_EXCLUDED
        return kind in self.allowed_updates

    async def _get_updates(self, req: _Req) -> object:
        """getUpdates: confirm by offset, then long-poll up to ``timeout`` seconds."""
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = req.get_int("offset")
        limit = max(1, min(100, req.get_int("limit") or 100))
        timeout = max(0.0, req.get_float("timeout", 0.0))
        allowed = req.get_json("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(a) for a in allowed]
        if offset is not None and offset > 0:
            while self._queue and int(str(self._queue[0]["update_id"])) < offset:
                self._queue.popleft()
                self._touch()
            self._notify()
        self._poll_serial += 1
        mine = self._poll_serial
        released = self._release_serial
        self._notify()  # an older pending poll sees the newer serial and ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._polls_waiting += 1
        try:
            while True:
                if self._poll_serial != mine:
                    raise _ApiError(409, DEFAULT_DESCRIPTIONS[409])
                if self._release_serial != released:
                    return []
                batch = self._deliverable(limit)
                if batch:
                    return batch
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                await self._changed(remaining)
        finally:
            self._polls_waiting -= 1

    def _deliverable(self, limit: int) -> list[JSONDict]:
        """Unconfirmed updates, dropping (as Telegram does) types outside allowed_updates."""
        kept: deque[JSONDict] = deque()
        for update in self._queue:
            if self._allowed(update):
                kept.append(update)
            else:
                self.dropped_updates.append(update)
        if len(kept) != len(self._queue):
            self._queue = kept
            self._notify()
        return [json.loads(json.dumps(u)) for u in list(kept)[:limit]]

    async def _delete_webhook(self, req: _Req) -> object:
        """deleteWebhook, optionally dropping pending updates."""
        self.webhook_url = ""
        self.webhook_secret = None
        if req.get_bool("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _set_webhook(self, req: _Req) -> object:
        """setWebhook: record the url and secret token."""
        url = req.get_str("url") or ""
        schemes = ("https://", "http://") if self.local_mode else ("https://",)
        if url and not url.startswith(schemes):
            raise _ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        self.webhook_url = url
        self.webhook_secret = req.get_str("secret_token")
        if req.get_bool("drop_pending_updates"):
            self._queue.clear()
        allowed = req.get_json("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(a) for a in allowed]
        return True

    async def _get_webhook_info(self, req: _Req) -> object:
        """getWebhookInfo."""
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    @staticmethod
    def _commands_key(req: _Req) -> tuple[str, str]:
        """Commands are stored per (scope, language_code) like Telegram does."""
        scope = req.get_json("scope")
        scope_key = json.dumps(scope, sort_keys=True) if scope else '{"type": "default"}'
        return scope_key, req.get_str("language_code") or ""

    async def _set_my_commands(self, req: _Req) -> object:
        """setMyCommands: record them."""
        commands = req.get_json("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: commands must be an array")
        for cmd in commands:
            name = str(cmd.get("command", "")) if isinstance(cmd, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._commands_key(req)] = [dict(c) for c in commands]
        return True

    async def _get_my_commands(self, req: _Req) -> object:
        """getMyCommands."""
        return self.commands.get(self._commands_key(req), [])

    async def _delete_my_commands(self, req: _Req) -> object:
        """deleteMyCommands."""
        self.commands.pop(self._commands_key(req), None)
        return True

    def _parse_text(self, raw: str, parse_mode: str | None, what: str) -> str:
        """Validate formatting like Telegram and return the visible text."""
        mode = (parse_mode or "").lower()
        if mode == "html":
            plain = _strip_html(raw)
        elif mode == "markdownv2":
            plain = _strip_markdown_v2(raw)
        else:
            plain = raw
        if not plain.strip():
            raise _ApiError(400, f"Bad Request: {what} is empty")
        return plain

    def _markup(self, req: _Req) -> JSONDict | None:
        """Decode reply_markup and enforce the 64-byte callback_data limit."""
        markup = req.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []) or []:
            for button in row:
                data = button.get("callback_data") if isinstance(button, dict) else None
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _reply_to(self, req: _Req) -> int | None:
        """The message the bot replies to, from reply_parameters or reply_to_message_id."""
        params = req.get_json("reply_parameters")
        if isinstance(params, dict):
            return _as_int(params.get("message_id"))
        return req.get_int("reply_to_message_id")

    def _store(self, msg: SentMessage) -> JSONDict:
        """Remember a new bot message and return its JSON."""
        self._bot_messages.setdefault(msg.chat_id, {})[msg.message_id] = msg
        return self._bot_message_json(msg)

    def _bot_message_json(self, msg: SentMessage) -> JSONDict:
        """Message JSON that PTB's Message.de_json accepts."""
        body: JSONDict = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self._chat(msg.chat_id),
            "from": self._bot_user(),
        }
        if msg.text is not None:
            body["text"] = msg.text
        if msg.caption is not None:
            body["caption"] = msg.caption
        if msg.document is not None:
            body["document"] = {
                "file_id": msg.document.file_id,
                "file_unique_id": msg.document.file_unique_id,
                "file_name": msg.document.filename or "file",
                "mime_type": msg.document.mime_type or "application/octet-stream",
                "file_size": msg.document.size,
            }
        if msg.photo is not None:
            body["photo"] = self._photo_sizes(msg.photo.file_id, msg.photo.size)
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            body["reply_markup"] = msg.reply_markup
        if msg.edit_date is not None:
            body["edit_date"] = msg.edit_date
        return body

    @staticmethod
    def _photo_sizes(file_id: str, size: int) -> list[JSONDict]:
        """Two PhotoSize objects, as Telegram returns several sizes of one photo."""
        return [
            {
                "file_id": f"{file_id}-s",
                "file_unique_id": f"{file_id}-s",
                "width": 90,
                "height": 90,
                "file_size": min(size, 1000),
            },
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 800,
                "height": 800,
                "file_size": size,
            },
        ]

    def _new_bot_message(self, req: _Req, chat_id: int) -> SentMessage:
        """Common fields of a message the bot sends."""
        return SentMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            date=int(time.time()),
            parse_mode=req.get_str("parse_mode"),
            reply_markup=self._markup(req),
            reply_to=self._reply_to(req),
        )

    async def _send_message(self, req: _Req) -> object:
        """sendMessage."""
        chat_id = req.chat_id()
        raw = req.get_str("text")
        if raw is None or raw == "":
            raise _ApiError(400, "Bad Request: message text is empty")
        text = self._parse_text(raw, req.get_str("parse_mode"), "text")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        msg = self._new_bot_message(req, chat_id)
        msg.text = text
        msg.raw_text = raw
        return self._store(msg)

    def _caption(self, req: _Req) -> str | None:
        """Validate a caption (1024 characters after parsing)."""
        raw = req.get_str("caption")
        if raw is None:
            return None
        caption = self._parse_text(raw, req.get_str("parse_mode"), "caption") if raw else raw
        if len(caption) > 1024:
            raise _ApiError(400, "Bad Request: message caption is too long")
        return caption

    def _file(self, req: _Req, name: str) -> SentFile:
        """The uploaded file part ``name``, or an earlier file referenced by id or URL."""
        if name in req.files:
            data = req.files[name]
            self._next_file += 1
            fid = f"BQAC{self._next_file:06d}"
            sent = SentFile(
                file_id=fid,
                file_unique_id=f"AgAD{self._next_file:06d}",
                data=data,
                filename=req.file_names.get(name),
                mime_type=req.file_types.get(name),
            )
            self.files[fid] = sent
            return sent
        ref = req.get_str(name)
        if ref is None:
            raise _ApiError(400, f"Bad Request: there is no {name} in the request")
        if ref.startswith("attach://"):
            attached = ref.removeprefix("attach://")
            if attached not in req.files:
                raise _ApiError(400, f"Bad Request: file {attached} not found in the request")
            return self._file(req, attached)
        if ref in self.files:
            return self.files[ref]
        if ref.startswith(("http://", "https://")):
            return SentFile(file_id=f"url-{len(self.files)}", file_unique_id=ref, data=None)
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _send_document(self, req: _Req) -> object:
        """sendDocument."""
        chat_id = req.chat_id()
        document = self._file(req, "document")
        msg = self._new_bot_message(req, chat_id)
        msg.document = document
        msg.caption = self._caption(req)
        return self._store(msg)

    async def _send_photo(self, req: _Req) -> object:
        """sendPhoto."""
        chat_id = req.chat_id()
        photo = self._file(req, "photo")
        msg = self._new_bot_message(req, chat_id)
        msg.photo = photo
        msg.caption = self._caption(req)
        return self._store(msg)

    async def _send_chat_action(self, req: _Req) -> object:
        """sendChatAction."""
        req.chat_id()
        if not req.get_str("action"):
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _target(self, req: _Req, what: str) -> SentMessage:
        """The bot message an edit/delete refers to."""
        if req.get_str("inline_message_id"):
            raise _ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = req.chat_id()
        message_id = req.get_int("message_id")
        msg = self._bot_messages.get(chat_id, {}).get(message_id or 0)
        if msg is None or msg.deleted:
            if (chat_id, message_id or 0) in self._user_messages and what == "edit":
                raise _ApiError(400, "Bad Request: message can't be edited")
            raise _ApiError(400, f"Bad Request: message to {what} not found")
        return msg

    def _edited(self, msg: SentMessage) -> JSONDict:
        """Bump the edit counters and return the message JSON."""
        msg.edits += 1
        msg.edit_date = int(time.time())
        return self._bot_message_json(msg)

    async def _edit_message_text(self, req: _Req) -> object:
        """editMessageText; like Telegram, omitting reply_markup removes the inline keyboard."""
        msg = self._target(req, "edit")
        raw = req.get_str("text")
        if raw is None or raw == "":
            raise _ApiError(400, "Bad Request: message text is empty")
        if msg.text is None:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        text = self._parse_text(raw, req.get_str("parse_mode"), "text")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        markup = self._markup(req)
        if text == msg.text and markup == msg.reply_markup:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        msg.history.append(msg.text)
        msg.text, msg.raw_text, msg.reply_markup = text, raw, markup
        msg.parse_mode = req.get_str("parse_mode")
        return self._edited(msg)

    async def _edit_message_reply_markup(self, req: _Req) -> object:
        """editMessageReplyMarkup; omitting reply_markup removes the keyboard."""
        msg = self._target(req, "edit")
        markup = self._markup(req)
        if markup == msg.reply_markup:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        msg.reply_markup = markup
        return self._edited(msg)

    async def _answer_callback_query(self, req: _Req) -> object:
        """answerCallbackQuery; each query can be answered once."""
        query_id = req.get_str("callback_query_id") or ""
        if query_id not in self._pending_callbacks:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._pending_callbacks.discard(query_id)
        self.callback_answers[query_id] = {
            "text": req.get_str("text"),
            "show_alert": req.get_bool("show_alert"),
        }
        return True

    async def _delete_message(self, req: _Req) -> object:
        """deleteMessage."""
        msg = self._target(req, "delete")
        msg.deleted = True
        return True

    async def _get_file(self, req: _Req) -> object:
        """getFile, for files the bot uploaded earlier."""
        file_id = req.get_str("file_id") or ""
        sent = self.files.get(file_id)
        if sent is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": sent.file_id,
            "file_unique_id": sent.file_unique_id,
            "file_size": sent.size,
            "file_path": f"documents/{sent.file_id}",
        }

    async def _close(self, req: _Req) -> object:
        """close / logOut."""
        self.closed = True
        return True


def _strip_html(raw: str) -> str:
    """Check HTML the way Telegram does (supported tags, balanced) and return the visible text."""
    stack: list[str] = []
    out: list[str] = []
    pos = 0
    for match in _HTML_TAG_RE.finditer(raw):
        chunk = raw[pos : match.start()]
        if "<" in chunk or ">" in chunk:
            offset = len(raw[: pos + chunk.find("<" if "<" in chunk else ">")].encode())
            raise _ApiError(
                400,
                f"Bad Request: can't parse entities: Unsupported start tag at byte offset {offset}",
            )
        out.append(chunk)
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _HTML_TAGS:
            raise _ApiError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte '
                f"offset {len(raw[: match.start()].encode())}",
            )
        if closing:
            expected = stack[-1] if stack else ""
            if expected != name:
                raise _ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                    f"{len(raw[: match.start()].encode())}, expected </{expected}>",
                )
            stack.pop()
        else:
            stack.append(name)
        pos = match.end()
    tail = raw[pos:]
    if "<" in tail or ">" in tail:
        raise _ApiError(400, "Bad Request: can't parse entities: Unsupported start tag")
    out.append(tail)
    if stack:
        raise _ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start "
            f'tag "{stack[-1]}"',
        )
    return html.unescape("".join(out))


def _strip_markdown_v2(raw: str) -> str:
    """Reject unescaped reserved characters that are never markup; drop markers and escapes."""
    out: list[str] = []
    escaped = False
    for i, ch in enumerate(raw):
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in _MDV2_NEVER_MARKUP:
            raise _ApiError(
                400,
                f"Bad Request: can't parse entities: Character '{ch}' is reserved and must be "
                f"escaped with the preceding '\\' (at byte offset {len(raw[:i].encode())})",
            )
        elif ch not in _MDV2_MARKERS:
            out.append(ch)
    return "".join(out)
