"""The dispatcher: sends what the database says is due, and arms itself for the next instant.

APScheduler (PTB's JobQueue) only wakes it: one one-shot job armed for the earliest due instant
(at most a minute away), never one job per reminder. A tick closes the day's unanswered nudges,
then keeps a pipeline full: place due slots as nudges, claim sends (the intent, committed first),
and keep as many sends on the wire as Telegram's rate needs over the measured round trip, capped
by ``max_in_flight``. Each send records its own result, so a crash repeats at most the sends that
were on the wire, and a fault stays with the one nudge it hit: every claim ends sent, queued for
its own retry, uncertain, failed or parked, and claims a stop left unsent go back to the queue.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time as monotonic
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram.error import TelegramError, TimedOut
from telegram.ext import ExtBot, Job

from bot import texts
from bot.intake import nudge_prompt
from bot.keyboards import nudge_keyboard, summary_keyboard
from bot.pacing import NUDGE, PriorityRateLimiter
from bot.repo import Claimed, DueSlot, Liveness, Repository
from bot.sending import after_failure, classify, log_failure
from bot.types import App, Context
from schedules.lifecycle import Failure
from schedules.nudges import Occurrence, first_due, next_summary, place_occurrence
from schedules.recurrence import local_date
from schedules.stats import day_states, weekly_adherence
from schedules.zones import resolve_zone

Clock = Callable[[], datetime]
Elapsed = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

PLACE_BATCH = 500
MAX_SLEEP = timedelta(minutes=1)
LEASE = timedelta(minutes=5)
"""A claim older than this was lost by its sender (not by a crash: start-up takes those)."""
BEAT_EVERY = 5.0
"""Seconds between heartbeats while a long tick drains a popular minute."""
API_PROBE_AFTER = timedelta(minutes=1)
"""With no successful call for this long, a wake asks Telegram ``getMe`` to prove it can."""
FAILURE_WINDOW = 20
"""Recent sends looked at to decide whether most of them are failing."""
DUE_SOON = 0.1
"""Seconds before its armed wake from which the dispatcher counts as busy (``busy``)."""
HOLD_FIRST = 2.0
HOLD_MAX = 60.0

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class TickReport:
    """What one tick did, for the log line and for tests."""

    placed: int = 0
    parked: int = 0
    expired: int = 0
    sent: int = 0
    failed: int = 0


class Dispatcher:
    """Owns the send loop; handlers call :meth:`wake_at` when they change the schedule."""

    def __init__(
        self,
        repo: Repository,
        clock: Clock,
        catch_up: timedelta,
        *,
        max_in_flight: int = 16,
        elapsed: Elapsed = monotonic.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._elapsed = elapsed
        self._sleep = sleep
        self._retry_wait: asyncio.Task[None] | None = None
        self._retry_at: datetime | None = None
        self._catch_up = catch_up
        self._max_in_flight = max_in_flight
        self._app: App | None = None
        self._armed: Job[Context] | None = None
        self._armed_deadline = math.inf
        self._tick_lock = asyncio.Lock()
        self._waking = 0
        self._stopping = False
        self._last_tick: tuple[datetime, float] | None = None
        self._last_beat = -math.inf
        self._api_ok_at: datetime | None = None
        self._failing_since: datetime | None = None
        self._recent: deque[bool] = deque(maxlen=FAILURE_WINDOW)
        self._hold_until = -math.inf
        self._hold = HOLD_FIRST
        self._window = max_in_flight
        """Halved on every timeout, grown back by one per success (AIMD)."""

    async def start(self, app: App) -> None:
        """Requeue sends cut off by a crash and run a first tick right away (catch-up)."""
        self._app = app
        self._stopping = False
        recovered = await self._repo.release_stale(None, self._clock())
        if recovered:
            _log.warning("re-sending %d nudge(s) in flight at the last stop", recovered)
        self.wake_at(self._clock())

    def stop(self) -> None:
        """Finish the sends on the wire, start no other."""
        self._stopping = True
        if self._retry_wait is not None:
            self._retry_wait.cancel()

    @property
    def _sending_allowed(self) -> bool:
        """False once shutdown began: finish the sends in flight, start no other."""
        return not self._stopping and self._app is not None and self._app.running

    @property
    def busy(self) -> bool:
        """Whether a wake or a tick is under way, or the armed wake is (almost) due: what an
        in-process test waits for before it asserts that nothing more was sent."""
        armed = self._armed is not None and not self._stopping
        due = armed and self._armed_deadline <= monotonic.monotonic() + DUE_SOON
        return due or self._waking > 0 or self._tick_lock.locked()

    def wake_at(self, at: datetime) -> None:
        """Make sure a tick runs no later than ``at``."""
        if self._app is None or self._app.job_queue is None or self._stopping:
            return
        delay = max(0.0, min(at - self._clock(), MAX_SLEEP).total_seconds())
        # the job sleeps in real time, so compare deadlines there (the wall clock may jump)
        deadline = monotonic.monotonic() + delay
        if self._armed is not None and self._armed_deadline <= deadline:
            return
        if self._armed is not None:
            self._armed.schedule_removal()
        self._armed = self._app.job_queue.run_once(
            self._on_wake, when=delay, name="dispatch", job_kwargs={"misfire_grace_time": None}
        )
        self._armed_deadline = deadline

    async def _on_wake(self, _: Context) -> None:
        """Run a tick, then re-arm even if it failed, so one error never stops the nudges."""
        self._armed = None
        self._waking += 1
        upcoming: datetime | None = None
        try:
            await self.tick()
            await self._probe_api()
            upcoming = await self._repo.next_wake()
        finally:
            self._waking -= 1  # first: the re-arm below must not leave the count up if it fails
            now = self._clock()
            held = timedelta(seconds=max(0.0, self._hold_until - self._elapsed()))
            self.wake_at(max(upcoming or now + MAX_SLEEP, now + held))

    async def tick(self) -> TickReport:
        """Do everything that is due now; safe to call at any time, runs one at a time."""
        async with self._tick_lock:
            started = monotonic.perf_counter()
            report = TickReport()
            now = self._clock()
            await self._follow_clock(now)
            await self._beat(force=True)
            report.expired = await self._repo.expire_open(now)
            await self._repo.release_stale(now - LEASE, now)
            await self._drain(report)
            await self._send_summaries(self._clock())
            await self._beat(force=True)
            _log.info(
                "dispatch tick",
                extra={
                    "due": report.placed,
                    "parked": report.parked,
                    "expired": report.expired,
                    "sent": report.sent,
                    "failed": report.failed,
                    "duration_ms": round((monotonic.perf_counter() - started) * 1000, 1),
                },
            )
            return report

    async def _follow_clock(self, now: datetime) -> None:
        """After the wall clock jumps (not downtime: the process kept running), start afresh.

        A jump of more than the catch-up window in either direction would otherwise mark the
        skipped days missed, or leave every next due time days in the future.
        """
        mono = self._elapsed()
        last = self._last_tick
        self._last_tick = (now, mono)
        if last is None:
            return
        drift = (now - last[0]) - timedelta(seconds=mono - last[1])
        if abs(drift) <= self._catch_up:
            return
        _log.warning("wall clock jumped by %s; next due times derived afresh", drift)
        await self._repo.rederive_dues(
            lambda at, zone, days: first_due(at, resolve_zone(zone), now, days)
        )

    def _in_flight_target(self) -> int:
        """Sends to keep on the wire: Telegram's rate times the measured round trip, capped."""
        limiter = self._app.bot.rate_limiter if self._app is not None else None
        if not isinstance(limiter, PriorityRateLimiter):
            return self._max_in_flight
        needed = math.ceil(limiter.per_second * limiter.round_trip) + 2
        return max(1, min(self._window, needed))

    def _holding(self) -> bool:
        return self._elapsed() < self._hold_until

    async def _drain(self, report: TickReport) -> None:
        """Place, claim and send until nothing is due, keeping the pipeline full."""
        sending: set[asyncio.Task[bool | None]] = set()
        try:
            while True:
                await self._beat()
                room = self._in_flight_target() - len(sending)
                if room > 0 and self._sending_allowed and not self._holding():
                    now = self._clock()
                    placement = await self._repo.materialize_due(now, PLACE_BATCH, self._place)
                    report.placed += placement.placed
                    report.parked += placement.parked
                    if placement.parked:
                        _log.error("parked %d slot(s) that failed to place", placement.parked)
                    claims = await self._repo.claim_sends(now, room, self._catch_up)
                    sending.update(asyncio.create_task(self._deliver(c)) for c in claims)
                    if claims or placement.placed or placement.parked:
                        continue
                if not sending:
                    return
                done, sending = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    delivered = task.result()
                    report.sent += delivered is True
                    report.failed += delivered is False
        finally:
            if sending:
                await asyncio.gather(*sending, return_exceptions=True)

    def _place(self, slot: DueSlot) -> Occurrence:
        return place_occurrence(
            slot.routine,
            slot.local_time,
            resolve_zone(slot.zone),
            slot.due,
            now=self._clock(),
            catch_up=self._catch_up,
            paused_until=slot.paused_until,
            days=slot.days,
        )

    @property
    def _bot(self) -> ExtBot[str]:
        assert self._app is not None
        return self._app.bot

    async def _deliver(self, claim: Claimed) -> bool | None:
        """Send one claimed nudge and record what happened.

        True when delivered, False when it failed, None when a stop came first (the claim went
        back to the queue). Never raises: one nudge's fault must not reach the others.
        """
        try:
            if not self._sending_allowed:
                await self._repo.release_claims([claim.nudge_id], self._clock())
                return None
            text = texts.nudge(
                claim.routine,
                await nudge_prompt(
                    self._repo, claim.user_id, claim.routine, claim.local_date, claim.local_time
                ),
                claim.local_time,
                repeat=claim.is_nag,
            )
            try:
                message = await self._bot.send_message(
                    claim.chat_id,
                    text,
                    reply_markup=nudge_keyboard(claim.nudge_id, claim.routine),
                    rate_limit_args=NUDGE,
                )
            except Exception as error:
                await self._failed(claim, classify(error), error)
                return False
            self._succeeded()
            await self._repo.record_sent(claim, message.message_id, self._clock())
            if claim.previous_message_id is not None:
                await self._retire_copy(claim, claim.previous_message_id)
            return True
        except Exception:
            _log.exception(
                "nudge parked after an unexpected error", extra={"nudge": claim.nudge_id}
            )
            await self._park(claim)
            return False

    async def _failed(self, claim: Claimed, failure: Failure, error: Exception) -> None:
        """Record a failed send, and back off for everyone only when most sends fail."""
        now = self._clock()
        log_failure("nudge", failure, error, claim.user_id)
        retry_at = await self._repo.record_failure(claim, failure, now)
        if retry_at is not None:
            self._wake_for_retry(retry_at)
        if isinstance(error, TimedOut):  # congestion on our side of the wire: send fewer at once
            self._window = max(1, self._window // 2)
        if failure in (Failure.RETRY, Failure.MAYBE_SENT):
            self._failing_since = self._failing_since or now
            self._recent.append(False)
            failing = self._recent.count(False)
            if len(self._recent) >= FAILURE_WINDOW // 2 and failing * 5 >= len(self._recent) * 4:
                self._hold_until = self._elapsed() + self._hold
                _log.warning("most sends are failing: holding all sends for %.0f s", self._hold)
                self._hold = min(self._hold * 2, HOLD_MAX)
                self._recent.clear()

    def _wake_for_retry(self, at: datetime) -> None:
        """Wake at the earliest retry due: a back-off waited with ``sleep`` (one wait at a time),
        which the tests' virtual clock skips, where the armed job would wait in real time."""
        waiting = self._retry_wait is not None and not self._retry_wait.done()
        if waiting and self._retry_at is not None and self._retry_at <= at:
            return
        if self._retry_wait is not None:
            self._retry_wait.cancel()
        self._retry_at = at
        self._retry_wait = asyncio.get_running_loop().create_task(self._wake_after_back_off(at))

    async def _wake_after_back_off(self, at: datetime) -> None:
        """Sleep until ``at`` (at most ``MAX_SLEEP``, as an armed job would, should the wall
        clock jump), then make sure a tick runs."""
        await self._sleep(max(timedelta(0), min(at - self._clock(), MAX_SLEEP)).total_seconds())
        self.wake_at(at)

    def _succeeded(self) -> None:
        self._api_ok_at = self._clock()
        self._failing_since = None
        self._recent.append(True)
        self._hold = HOLD_FIRST
        self._window = min(self._max_in_flight, self._window + 1)

    async def _park(self, claim: Claimed) -> None:
        try:
            await self._repo.record_failure(claim, Failure.BROKEN, self._clock())
        except Exception:
            _log.exception("could not park a nudge; its lease will requeue it")

    async def _retire_copy(self, claim: Claimed, message_id: int) -> None:
        """Take the buttons off the older copy of a re-sent nudge, so one copy stays live."""
        try:
            await self._bot.edit_message_text(
                texts.nudge_sent_again(claim.routine, claim.local_time),
                chat_id=claim.chat_id,
                message_id=message_id,
                rate_limit_args=NUDGE,
            )
        except TelegramError as error:
            _log.info("older copy of a nudge not edited: %s", error)

    async def _beat(self, *, force: bool = False) -> None:
        """Write the heartbeat, at most every few seconds unless forced."""
        mono = self._elapsed()
        if not force and mono - self._last_beat < BEAT_EVERY:
            return
        self._last_beat = mono
        updater = self._app.updater if self._app is not None else None
        await self._repo.heartbeat(
            Liveness(
                beat=self._clock(),
                api_ok_at=self._api_ok_at,
                failing_since=self._failing_since,
                receiving=updater is None or updater.running,
            )
        )

    async def _probe_api(self) -> None:
        """Prove Telegram still answers (and accepts the token) when nothing else has lately."""
        now = self._clock()
        if self._app is None or (self._api_ok_at and now - self._api_ok_at < API_PROBE_AFTER):
            return
        try:
            await self._bot.get_me()
        except TelegramError as error:
            _log.warning("Telegram did not answer getMe: %s", error)
            return
        self._api_ok_at = now
        await self._beat(force=True)

    async def _send_summaries(self, now: datetime) -> None:
        """The Sunday-evening summary; advanced before sending, so it is never sent twice.

        A user on holiday or with every routine off gets none that week.
        """
        for due in await self._repo.due_summaries(now, PLACE_BATCH):
            tz = resolve_zone(due.zone)
            if not await self._repo.advance_summary(due.user_id, due.due, next_summary(tz, now)):
                continue
            if due.paused or not due.any_enabled:
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
            except TelegramError as error:
                await after_failure(self._repo, "weekly summary", error, due.user_id)
