"""One policy for a send Telegram did not take: nudges, weekly summaries and replies alike
(and a yoga session's edit that finds the bot blocked).

:func:`classify` says what an error means for the user and the message
(:class:`schedules.lifecycle.Failure`). :func:`after_failure` applies it: a user who blocked the
bot or whose chat is gone is marked inactive (no more nudges until they /start again) and one
line is logged at the level the README's log table gives: the block at INFO with the user's id,
retries and timeouts at WARNING without a traceback, a refusal or our own bug at ERROR with one.
Never the message text; the token is redacted by ``bot.logs`` wherever an error carries it.

The dispatcher records a nudge's failure and the block in one transaction
(``Repository.record_failure``), so for nudges it only classifies and logs here.
"""

from __future__ import annotations

import logging

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.repo import Repository
from schedules.lifecycle import Failure

_log = logging.getLogger(__name__)

SAY_SORRY = frozenset({Failure.REFUSED, Failure.BROKEN})
"""After these a reply still reaches the user and what they asked for did not: say so. Not
after a block (nothing reaches them), a network fault (the apology would fail the same way) or
a timeout (the answer may have arrived)."""


def classify(error: BaseException) -> Failure:
    """What a send's exception means for the user and the message.

    PTB raises ``TimedOut`` for every timeout: a connect or pool timeout never left the
    machine (retry), a read or write timeout may have been delivered (never resend).
    """
    if isinstance(error, Forbidden):
        return Failure.BLOCKED
    if isinstance(error, BadRequest):
        message = str(error).lower()
        gone = "chat not found" in message or "user is deactivated" in message
        return Failure.BLOCKED if gone else Failure.REFUSED
    if isinstance(error, TimedOut):
        never_left = isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
        return Failure.RETRY if never_left else Failure.MAYBE_SENT
    if isinstance(error, NetworkError | RetryAfter):
        return Failure.RETRY
    if isinstance(error, TelegramError):
        return Failure.REFUSED
    return Failure.BROKEN


def log_failure(what: str, failure: Failure, error: BaseException, user_id: int | None) -> None:
    """The one log line a failed send gets; ``what`` names the message ("nudge", "reply")."""
    extra = {"user_id": user_id, "failure": failure.value}
    if failure is Failure.BLOCKED:
        _log.info("%s not sent: user %s blocked the bot or is gone", what, user_id, extra=extra)
    elif failure in (Failure.RETRY, Failure.MAYBE_SENT):
        _log.warning("%s not sent: %s", what, error, extra=extra)
    else:
        _log.error("%s not sent: %r", what, error, exc_info=error, extra=extra)


async def after_failure(
    repo: Repository, what: str, error: BaseException, user_id: int | None
) -> Failure:
    """Apply the policy to a send to ``user_id`` that raised ``error``; what it meant."""
    failure = classify(error)
    if failure is Failure.BLOCKED and user_id is not None:
        await repo.deactivate(user_id)
    log_failure(what, failure, error, user_id)
    return failure
