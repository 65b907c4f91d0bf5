"""Logging set-up for the whole process: one stderr handler on the root logger, text or JSON.

The bot token is a full credential for the bot, and it travels in every Bot API URL
(``{root}/bot{token}/{method}``), so it turns up in places the code never chose to log: httpx's
request lines, exception messages and tracebacks from the HTTP layer, reprs of request objects.
Instead of trusting each call site, the one handler that writes the logs carries a filter that
renders every record fully (message, arguments, traceback, stack, string extras) and replaces
the known secrets, anything shaped like a Telegram token and the ``/bot<token>/`` URL segment
with ``***`` before a formatter sees it; the formatters redact their final output once more as a
second line of defence. Chatty libraries (httpx logs every request URL at INFO, APScheduler every
job run) are held at WARNING so the logs stay about the bot. Message text is private too, and
python-telegram-bot puts whole updates and request parameters into the arguments of its DEBUG
lines (and of one CRITICAL line about undecodable webhook data), so a second filter keeps only
the wording of library records and replaces every non-numeric argument with ``<hidden>``: DEBUG
still shows what PTB does and when, never what anyone wrote. ``LOG_FORMAT=json`` gives one JSON
object per line with ``time``, ``level``, ``logger``, ``event`` and the ``extra=`` fields, for log
shippers; ``text`` is for people.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

__all__ = [
    "HIDDEN",
    "LIBRARY_LOGGERS",
    "NOISY_LOGGERS",
    "REDACTED",
    "LibraryArgumentsFilter",
    "Redactor",
    "SecretFilter",
    "setup_logging",
]

REDACTED = "***"
"""What a secret is replaced with."""

NOISY_LOGGERS: tuple[str, ...] = ("httpx", "httpcore", "apscheduler", "bm25s")
"""Libraries whose INFO lines are noise (and, for httpx, carry the token in the URL)."""

HIDDEN = "<hidden>"
"""What a library log line's argument is replaced with."""

LIBRARY_LOGGERS: tuple[str, ...] = ("telegram",)
"""Libraries whose log arguments may hold updates, message text or request parameters
(httpx and httpcore log URLs and headers, never bodies, and are held at WARNING anyway)."""

_TOKEN_SHAPE = r"\d{5,12}:[A-Za-z0-9_-]{30,}"
# The path segment of a Bot API URL, whatever the token looks like (test tokens are short).
_URL_TOKEN = r"(?<=/bot)\d+:[^/\s\"'?#]+"

_HANDLER_MARK = "_facenudge_handler"

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class Redactor:
    """Replaces secrets, token-shaped strings and ``/bot<token>/`` segments with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        literal = sorted({s for s in secrets if s and s.strip()}, key=len, reverse=True)
        parts = [re.escape(s) for s in literal] + [_URL_TOKEN, _TOKEN_SHAPE]
        self._pattern = re.compile("|".join(parts))

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text)

    def deep(self, value: Any) -> Any:
        """Redact strings inside ``value``, walking dicts, lists and tuples; others pass."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {key: self.deep(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(item) for item in value]
        return value


class SecretFilter(logging.Filter):
    """Renders a record completely, redacts it and freezes the result on the record.

    Attached to the handler (not to a logger) so it sees records from every logger that
    propagates to the root, including third-party ones. It never drops a record.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor
        self._exc_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self._redact
        if isinstance(record.msg, Mapping) and not record.args:
            # A dict message (python-json-logger merges it into the object): keep the shape.
            record.msg = redact.deep(record.msg)
        else:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string must not leak its arguments
                message = f"{record.msg!r} args={record.args!r}"
            record.msg = redact(message)
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exc_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str | Mapping | list | tuple):
                setattr(record, key, redact.deep(value))
        return True


class LibraryArgumentsFilter(logging.Filter):
    """Keeps a library record's wording and hides its arguments (numbers excepted).

    PTB logs ``"Processing update %s"`` and ``"Webhook received data: %s"`` with the user's
    message inside the argument; the format string itself is the library's own text. Attached
    to the handler before :class:`SecretFilter`; it never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.partition(".")[0] not in LIBRARY_LOGGERS:
            return True
        if not isinstance(record.msg, str):
            record.msg, record.args = f"<{type(record.msg).__name__}>", None
        elif isinstance(record.args, Mapping):
            record.args = {key: _hide(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_hide(value) for value in record.args)
        return True


def _hide(value: object) -> object:
    return value if isinstance(value, int | float) else HIDDEN


def _utc_iso(created: float) -> str:
    stamp = datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class _TextFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redact = redactor

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record.created)

    def formatException(self, ei: Any) -> str:
        return self._redact(super().formatException(ei))

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class _JsonFormatter(JsonFormatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "message": "event",
            },
            json_ensure_ascii=False,
        )
        self._redact = redactor

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record.created)

    def formatException(self, ei: Any) -> str:
        return self._redact(logging.Formatter.formatException(self, ei))

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        redacted: dict[str, Any] = self._redact.deep(log_data)
        return redacted

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def setup_logging(
    level: str,
    fmt: Literal["text", "json"],
    secrets: Sequence[str] = (),
    *,
    stream: TextIO | None = None,
) -> None:
    """Configure the root logger: one redacting handler to ``stream`` (stderr by default).

    Idempotent: a second call replaces the handler this function installed earlier instead of
    adding another; handlers installed by others (pytest's, say) are left alone. ``level`` is a
    level name in any case (``"info"``, ``"DEBUG"``); ``secrets`` are strings never to be
    written, typically the bot token and the webhook secret (empty strings are ignored).
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level: {level!r}")
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(_JsonFormatter(redactor) if fmt == "json" else _TextFormatter(redactor))
    handler.addFilter(LibraryArgumentsFilter())
    handler.addFilter(SecretFilter(redactor))
    setattr(handler, _HANDLER_MARK, True)

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, numeric))
