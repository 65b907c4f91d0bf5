"""What a failed send means, from the error alone: one table for nudges, summaries and replies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.sending import classify
from schedules.lifecycle import Failure


def timed_out(cause: Exception) -> TimedOut:
    """A TimedOut the way PTB raises it: chained to httpx's own timeout."""
    try:
        raise TimedOut from cause
    except TimedOut as error:
        return error


ERRORS: list[tuple[str, Callable[[], Exception], Failure]] = [
    ("blocked", lambda: Forbidden("Forbidden: bot was blocked by the user"), Failure.BLOCKED),
    ("account deleted", lambda: Forbidden("Forbidden: user is deactivated"), Failure.BLOCKED),
    ("chat gone", lambda: BadRequest("Bad Request: chat not found"), Failure.BLOCKED),
    ("bad markup", lambda: BadRequest("Bad Request: can't parse entities"), Failure.REFUSED),
    ("other 4xx", lambda: TelegramError("Conflict: something odd"), Failure.REFUSED),
    ("connect timeout", lambda: timed_out(httpx.ConnectTimeout("connect")), Failure.RETRY),
    ("pool timeout", lambda: timed_out(httpx.PoolTimeout("pool")), Failure.RETRY),
    ("read timeout", lambda: timed_out(httpx.ReadTimeout("read")), Failure.MAYBE_SENT),
    ("write timeout", lambda: timed_out(httpx.WriteTimeout("write")), Failure.MAYBE_SENT),
    ("5xx", lambda: NetworkError("Bad Gateway"), Failure.RETRY),
    ("429", lambda: RetryAfter(timedelta(seconds=3)), Failure.RETRY),
    ("our bug", lambda: ValueError("a bug of ours"), Failure.BROKEN),
]
"""Built inside the test: PTB warns about a timedelta RetryAfter unless PTB_TIMEDELTA is set."""


@pytest.mark.parametrize(("make", "failure"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_each_error_means_one_thing(make: Callable[[], Exception], failure: Failure) -> None:
    assert classify(make()) is failure
