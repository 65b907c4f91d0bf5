"""The dispatcher: sends what the database says is due, and arms itself for the next instant.

APScheduler (PTB's JobQueue) only wakes it: one one-shot job armed for the earliest due instant
(at most a minute away), never one job per reminder. A tick closes the day's unanswered nudges,
then alternates: place a batch of due slots as nudges, claim a small batch of sends (the intent,
committed first), send those one message at a time through the priority rate limiter and record
each result. A popular minute thus starts sending before all of it is placed. Only one send is
ever on the wire, so a crash repeats at most that one: start-up resends the claims left behind,
and all but the one in flight were never sent.
"""

from __future__ import annotations

import asyncio
import logging
import time as monotonic
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot, Job

from bot import texts
from bot.intake import nudge_prompt
from bot.keyboards import nudge_keyboard, summary_keyboard
from bot.pacing import NUDGE
from bot.repo import Claimed, DueSlot, Repository
from bot.types import App, Context
from schedules.nudges import Occurrence, next_summary, place_occurrence
from schedules.recurrence import local_date
from schedules.stats import day_states, weekly_adherence
from schedules.zones import resolve_zone

Clock = Callable[[], datetime]

BATCH = 30
"""Sends claimed per round: about a second of sending, so a stop never waits long."""
PLACE_BATCH = 500
MAX_SLEEP = timedelta(minutes=1)
NETWORK_RETRIES = 3
RETRY_LATER = timedelta(minutes=1)

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class TickReport:
    """What one tick did, for the log line and for tests."""

    placed: int = 0
    expired: int = 0
    sent: int = 0
    failed: int = 0


class Dispatcher:
    """Owns the send loop; handlers call :meth:`wake_at` when they change the schedule."""

    def __init__(self, repo: Repository, clock: Clock, catch_up: timedelta) -> None:
        self._repo = repo
        self._clock = clock
        self._catch_up = catch_up
        self._app: App | None = None
        self._armed: Job[Context] | None = None
        self._armed_for: datetime | None = None
        self._tick_lock = asyncio.Lock()
        self._stopping = False

    async def start(self, app: App) -> None:
        """Requeue sends cut off by a crash and run a first tick right away (catch-up)."""
        self._app = app
        self._stopping = False
        recovered = await self._repo.recover_in_flight()
        if recovered:
            _log.warning("re-sending %d nudge(s) in flight at the last stop", recovered)
        self.wake_at(self._clock())

    def stop(self) -> None:
        """Finish the message in flight, claim nothing new."""
        self._stopping = True

    @property
    def _sending_allowed(self) -> bool:
        """False once shutdown began: finish the send in flight, start no other."""
        return not self._stopping and self._app is not None and self._app.running

    def wake_at(self, at: datetime) -> None:
        """Make sure a tick runs no later than ``at``."""
        if self._app is None or self._app.job_queue is None or self._stopping:
            return
        if self._armed is not None and self._armed_for is not None and self._armed_for <= at:
            return
        if self._armed is not None:
            self._armed.schedule_removal()
        at = min(at, self._clock() + MAX_SLEEP)
        delay = max(0.0, (at - self._clock()).total_seconds())
        self._armed = self._app.job_queue.run_once(
            self._on_wake, when=delay, name="dispatch", job_kwargs={"misfire_grace_time": None}
        )
        self._armed_for = at

    async def _on_wake(self, _: Context) -> None:
        """Run a tick, then re-arm even if it failed, so one error never stops the nudges."""
        self._armed = None
        self._armed_for = None
        upcoming: datetime | None = None
        try:
            await self.tick()
            upcoming = await self._repo.next_wake()
        finally:
            self.wake_at(upcoming or self._clock() + MAX_SLEEP)

    async def tick(self) -> TickReport:
        """Do everything that is due now; safe to call at any time, runs one at a time."""
        async with self._tick_lock:
            started = monotonic.perf_counter()
            report = TickReport()
            now = self._clock()
            report.expired = await self._repo.expire_open(now)
            while True:
                now = self._clock()
                placed = await self._repo.materialize_due(now, PLACE_BATCH, self._place)
                report.placed += placed
                claims = (
                    await self._repo.claim_sends(now, BATCH, now - self._catch_up)
                    if self._sending_allowed
                    else []
                )
                if not claims and not placed:
                    break
                for index, claim in enumerate(claims):
                    if not self._sending_allowed:
                        await self._repo.release_claims([c.nudge_id for c in claims[index:]])
                        break
                    delivered = await self._deliver(claim)
                    report.sent += delivered
                    report.failed += not delivered
            await self._send_summaries(now)
            await self._repo.heartbeat(self._clock())
            _log.info(
                "dispatch tick",
                extra={
                    "due": report.placed,
                    "expired": report.expired,
                    "sent": report.sent,
                    "failed": report.failed,
                    "duration_ms": round((monotonic.perf_counter() - started) * 1000, 1),
                },
            )
            return report

    def _place(self, slot: DueSlot) -> Occurrence:
        return place_occurrence(
            slot.routine,
            slot.local_time,
            resolve_zone(slot.zone),
            slot.due,
            now=self._clock(),
            catch_up=self._catch_up,
            paused_until=slot.paused_until,
        )

    @property
    def _bot(self) -> ExtBot[str]:
        assert self._app is not None
        return self._app.bot

    async def _deliver(self, claim: Claimed) -> bool:
        """Send one claimed nudge and record what happened; True when it was delivered."""
        text = texts.nudge(
            claim.routine,
            await nudge_prompt(self._repo, claim.user_id, claim.routine, claim.local_date),
            claim.local_time,
            repeat=claim.is_nag,
        )
        for attempt in range(NETWORK_RETRIES + 1):
            try:
                message = await self._bot.send_message(
                    claim.chat_id,
                    text,
                    reply_markup=nudge_keyboard(claim.nudge_id, claim.routine),
                    rate_limit_args=NUDGE,
                )
            except Forbidden:
                _log.info("user blocked the bot; nudges stop", extra={"user_id": claim.user_id})
                await self._repo.deactivate(claim.user_id)
                await self._repo.mark_undelivered(claim.nudge_id, "failed", None)
                return False
            except TimedOut:
                _log.warning("send timed out; not resending", extra={"user_id": claim.user_id})
                await self._repo.mark_undelivered(claim.nudge_id, "uncertain", None)
                return False
            except BadRequest as error:
                _log.warning("send rejected: %s", error, extra={"user_id": claim.user_id})
                if "chat not found" in str(error).lower():
                    await self._repo.deactivate(claim.user_id)
                await self._repo.mark_undelivered(claim.nudge_id, "failed", None)
                return False
            except (NetworkError, RetryAfter) as error:
                if attempt == NETWORK_RETRIES:
                    _log.warning("send failed, retrying later: %s", error)
                    retry_at = self._clock() + RETRY_LATER
                    await self._repo.mark_undelivered(claim.nudge_id, "queued", retry_at)
                    self.wake_at(retry_at)
                    return False
                await asyncio.sleep(2**attempt * 0.5)
                continue
            except TelegramError as error:
                _log.error("send refused: %s", error, extra={"user_id": claim.user_id})
                await self._repo.mark_undelivered(claim.nudge_id, "failed", None)
                return False
            now = self._clock()
            nag_at = (
                now + timedelta(minutes=claim.nag_minutes)
                if claim.nag_minutes and claim.nags_left > int(claim.is_nag)
                else None
            )
            await self._repo.mark_sent(claim, message.message_id, now, nag_at)
            return True
        return False

    async def _send_summaries(self, now: datetime) -> None:
        """The Sunday-evening summary; advanced before sending, so it is never sent twice."""
        for due in await self._repo.due_summaries(now, BATCH):
            tz = resolve_zone(due.zone)
            if not await self._repo.advance_summary(due.user_id, due.due, next_summary(tz, now)):
                continue
            week_end = local_date(now, tz)
            since = week_end - timedelta(days=6)
            history = await self._repo.history(due.user_id, since)
            days = day_states((n.local_date, n.outcome) for n in history)
            week = weekly_adherence(days, week_end=week_end)
            line = texts.WEEKLY_LINES[week_end.toordinal() // 7 % len(texts.WEEKLY_LINES)]
            try:
                await self._bot.send_message(
                    due.chat_id,
                    texts.weekly_summary(week, line),
                    reply_markup=summary_keyboard(),
                    rate_limit_args=NUDGE,
                )
            except (Forbidden, BadRequest):
                await self._repo.deactivate(due.user_id)
            except NetworkError as error:
                _log.warning("weekly summary not sent: %s", error)
