"""bot.logs: JSON/text output, secret redaction everywhere, idempotent set-up."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from bot.logs import NOISY_LOGGERS, setup_logging

TOKEN = "1234567890:" + "FakeTestToken" * 2 + "abcdefghi"  # token-shaped, not real
SHORT_TOKEN = "123456:TEST"  # not token-shaped; only the explicit secret / URL rule catches it
Fmt = Literal["text", "json"]


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers = list(root.handlers)
    level = root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name, lvl in noisy.items():
        logging.getLogger(name).setLevel(lvl)


def configure(fmt: Fmt, level: str = "DEBUG", secrets: tuple[str, ...] = (TOKEN,)) -> io.StringIO:
    stream = io.StringIO()
    setup_logging(level, fmt, secrets, stream=stream)
    return stream


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_line_has_fields_and_extras() -> None:
    stream = configure("json", "info")
    due = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
    logging.getLogger("bot.dispatcher").info(
        "nudges sent",
        extra={"user_id": 42, "due": due, "sent": 3, "failed": 0, "duration_ms": 12.5},
    )
    (line,) = json_lines(stream)
    assert line["event"] == "nudges sent"
    assert line["level"] == "INFO"
    assert line["logger"] == "bot.dispatcher"
    assert line["user_id"] == 42
    assert line["sent"] == 3
    assert line["failed"] == 0
    assert line["duration_ms"] == 12.5
    assert datetime.fromisoformat(line["due"]) == due
    stamp = datetime.fromisoformat(line["time"])
    assert stamp.utcoffset() is not None
    assert stamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert "exc_info" not in line


def test_json_exception_is_a_string() -> None:
    stream = configure("json")
    log = logging.getLogger("bot.test")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed")
    (line,) = json_lines(stream)
    assert line["level"] == "ERROR"
    assert isinstance(line["exc_info"], str)
    assert "RuntimeError: boom" in line["exc_info"]


def test_text_format_is_readable() -> None:
    stream = configure("text", "INFO")
    logging.getLogger("bot.test").warning("hello %s", "world")
    out = stream.getvalue()
    assert out.endswith(" WARNING bot.test: hello world\n")
    assert datetime.fromisoformat(out.split(" ", 1)[0]).utcoffset() is not None


def test_level_filters_and_is_case_insensitive() -> None:
    stream = configure("text", "warning")
    log = logging.getLogger("bot.test")
    log.info("quiet")
    log.warning("loud")
    assert "quiet" not in stream.getvalue()
    assert "loud" in stream.getvalue()


def test_noisy_libraries_are_quieted() -> None:
    stream = configure("text", "DEBUG")
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/botX/getMe")
    logging.getLogger("apscheduler.executors.default").info("Running job")
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    assert stream.getvalue() == ""
    logging.getLogger("httpx").warning("retrying")
    assert "retrying" in stream.getvalue()


def test_noisy_libraries_follow_a_stricter_level() -> None:
    stream = configure("text", "ERROR")
    logging.getLogger("httpx").warning("retrying")
    assert stream.getvalue() == ""


def test_setup_is_idempotent() -> None:
    root = logging.getLogger()
    before = len(root.handlers)
    first = configure("text")
    second = configure("json")
    assert len(root.handlers) == before + 1
    logging.getLogger("bot.test").info("once")
    assert first.getvalue() == ""
    assert len(json_lines(second)) == 1


def _leaks(fmt: Fmt, secret: str, emit: Any) -> str:
    stream = configure(fmt, secrets=(secret,))
    emit(logging.getLogger("bot.test"), secret)
    out = stream.getvalue()
    assert out, "nothing was logged"
    return out


def _in_message(log: logging.Logger, token: str) -> None:
    log.info(f"token is {token} here")


def _in_args(log: logging.Logger, token: str) -> None:
    log.info("token is %s here, again %r", token, token)


def _in_url(log: logging.Logger, token: str) -> None:
    # What httpx would say (it is quieted, but at WARNING it still logs URLs).
    logging.getLogger("httpx").warning(
        'HTTP Request: POST %s "HTTP/1.1 502 Bad Gateway"',
        f"https://api.telegram.org/bot{token}/getUpdates",
    )


def _in_traceback(log: logging.Logger, token: str) -> None:
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{token}/sendMessage")
    except ConnectionError:
        log.exception("send failed")


def _in_chained_traceback(log: logging.Logger, token: str) -> None:
    try:
        try:
            raise ValueError(token)
        except ValueError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError:
        logging.getLogger("telegram.ext.Application").error("handler crashed", exc_info=True)


def _in_extra(log: logging.Logger, token: str) -> None:
    log.info("request", extra={"url": f"/bot{token}/getMe", "headers": {"auth": token}})


def _log_with_stack(log: logging.Logger) -> None:
    log.info("where am I %s", "?", stack_info=True)  # TOKEN_MARK is in this source line


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("secret", [TOKEN, SHORT_TOKEN])
@pytest.mark.parametrize(
    "emit",
    [_in_message, _in_args, _in_url, _in_traceback, _in_chained_traceback, _in_extra],
)
def test_secret_never_written(fmt: Fmt, secret: str, emit: Any) -> None:
    out = _leaks(fmt, secret, emit)
    assert secret not in out
    assert secret.split(":", 1)[1] not in out
    if fmt == "json":
        lines = [json.loads(line) for line in out.splitlines()]
        assert lines
        if emit is _in_extra:
            assert lines[0]["url"] == "/bot***/getMe"
            assert lines[0]["headers"] == {"auth": "***"}
    if not (emit is _in_extra and fmt == "text"):  # text lines don't show extras
        assert "***" in out


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_token_shape_is_redacted_without_being_a_known_secret(fmt: Fmt) -> None:
    stream = configure(fmt, secrets=())
    logging.getLogger("bot.test").info("leaked %s", TOKEN)
    logging.getLogger("bot.test").info("url https://api.telegram.org/bot%s/getMe", SHORT_TOKEN)
    out = stream.getvalue()
    assert TOKEN not in out
    assert SHORT_TOKEN not in out
    assert "/bot***/getMe" in out


def test_stack_info_is_redacted() -> None:
    stream = configure("text", secrets=("TOKEN_MARK",))
    _log_with_stack(logging.getLogger("bot.test"))
    out = stream.getvalue()
    assert "Stack (most recent call last)" in out
    assert "TOKEN_MARK" not in out


def test_empty_secret_is_ignored() -> None:
    stream = configure("text", secrets=("", "  "))
    logging.getLogger("bot.test").info("plain  text")
    assert stream.getvalue().endswith("bot.test: plain  text\n")


def test_bad_format_arguments_do_not_raise_or_leak() -> None:
    stream = configure("text")
    # Handed straight to our handler: pytest's own capture handler would raise on it first.
    (ours,) = [h for h in logging.getLogger().handlers if getattr(h, "_facenudge_handler", 0)]
    record = logging.makeLogRecord(
        {
            "name": "bot.test",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "only one %s",
            "args": (TOKEN, "extra"),
        }
    )
    ours.handle(record)
    out = stream.getvalue()
    assert TOKEN not in out
    assert "only one" in out


def test_dict_message_stays_structured_in_json() -> None:
    stream = configure("json")
    logging.getLogger("bot.test").info({"event_kind": "x", "token": TOKEN})
    (line,) = json_lines(stream)
    assert line["event_kind"] == "x"
    assert line["token"] == "***"


def test_library_arguments_are_hidden_but_their_wording_and_numbers_stay() -> None:
    stream = configure("text", "DEBUG")
    text = "my private diary entry"
    update = {"message": {"text": text}}
    logging.getLogger("telegram.ext.Updater").debug("Webhook received data: %s", json.dumps(update))
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", text)
    logging.getLogger("telegram.ext.Updater").debug("Received Update with ID %d on Webhook", 17)
    logging.getLogger("telegram.Bot").debug(
        "Calling %(endpoint)s with %(data)s", {"endpoint": "sendMessage", "data": text}
    )
    logging.getLogger("telegram.Bot").debug(update)
    logging.getLogger("bot.handlers").info("ours: %s", "kept")
    out = stream.getvalue()
    assert text not in out
    assert "Webhook received data: <hidden>" in out
    assert "Received Update with ID 17 on Webhook" in out
    assert "ours: kept" in out
    assert len(out.splitlines()) == 6
