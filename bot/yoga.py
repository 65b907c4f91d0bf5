"""Guided facial-yoga sessions: one message, edited as the session goes, paced and restartable.

A session lives in the database (the move it is on and since when); where it stands at any
instant is the domain's :func:`schedules.yoga.position`, so nothing about it is kept only in
memory. One repeating JobQueue job (every few seconds) finishes sessions whose time is up and
refreshes each running session's countdown; it runs beside the dispatcher and never blocks it.
Because it reads the database, it also resumes every running session after a restart.

Edits are paced three ways: the countdown goes through the rate limiter's nudge lane, it
stands back altogether while a popular minute drains (the session still advances by the clock,
and button presses still show at once), and one message is never edited twice within
:data:`MIN_GAP`, which keeps a chat under Telegram's one-message-a-second limit even when a
button press follows a countdown edit. A button press answers at once and refreshes the message
in a task, so a slow edit never holds up other people's updates.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import Final

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ExtBot

from bot import texts
from bot.keyboards import nudge_keyboard, yoga_keyboard
from bot.pacing import NUDGE, PriorityRateLimiter
from bot.repo import SessionState, YogaSession
from bot.sending import after_failure
from bot.services import Services
from bot.types import App, Context
from schedules.nudges import OPEN_OUTCOMES, Outcome
from schedules.routines import Routine
from schedules.yoga import Move, position, session_moves

COUNTDOWN_EVERY: Final = 5.0
"""Seconds between countdown edits of one session (and between the job's runs)."""
MIN_GAP: Final = 1.1
"""No two edits of one session's message closer than this, in seconds."""
BUSY_SENDS: Final = 15
"""Sends in the last second from which a popular minute is draining: the countdown waits."""
EXPIRE_AFTER: Final = timedelta(minutes=15)
"""A session whose time ran out this long ago (the bot was down), or that never got its
message, is stopped, not counted done."""

_log = logging.getLogger(__name__)


class YogaCoach:
    """Starts, steps and ends sessions, and keeps their messages up to date."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._app: App | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._last_edit: dict[int, float] = {}
        self._working = 0

    def arm(self, app: App) -> None:
        """Schedule the countdown job; it starts with the application and resumes sessions."""
        self._app = app
        assert app.job_queue is not None
        app.job_queue.run_repeating(
            self._on_tick,
            interval=COUNTDOWN_EVERY,
            first=1.0,
            name="yoga-countdown",
            job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    @property
    def busy(self) -> bool:
        """Whether a countdown tick or a refresh is under way (an in-process test waits)."""
        return self._working > 0

    async def _on_tick(self, _: Context) -> None:
        self._working += 1
        try:
            await self.tick()
        finally:
            self._working -= 1

    async def tick(self) -> None:
        """Finish sessions whose time is up and refresh the countdown of the others."""
        now = self._services.now()
        refreshes = []
        limiter = self._bot().rate_limiter
        busy = (
            isinstance(limiter, PriorityRateLimiter) and limiter.sends_last_second() >= BUSY_SENDS
        )
        for session in await self._services.repo.running_sessions():
            moves = session_moves(session.local_date)
            where = position(moves, session.step, session.step_started, now)
            if where.finished:
                ends = session.step_started + timedelta(
                    seconds=sum(m.seconds for m in moves[session.step :])
                )
                if now - ends > EXPIRE_AFTER or session.message_id is None:
                    await self.stop(session, now)
                else:
                    await self._finish(session, now)
                refreshes.append(self._refresh(session.session_id, paced=True))
            elif (
                session.message_id is not None
                and not busy
                and self._countdown_due(session.session_id)
            ):
                refreshes.append(self._refresh(session.session_id, paced=True))
        await asyncio.gather(*refreshes)

    def _countdown_due(self, session_id: int) -> bool:
        lock = self._locks.get(session_id)
        if lock is not None and lock.locked():
            return False
        last = self._last_edit.get(session_id)
        return last is None or self._services.elapsed() - last >= COUNTDOWN_EVERY - 1.0

    async def start(
        self, user_id: int, chat_id: int, *, nudge_id: int | None, message_id: int | None, day: date
    ) -> YogaSession | None:
        """A new session at its first move; None when the user has one running already."""
        return await self._services.repo.start_session(
            user_id,
            chat_id,
            nudge_id=nudge_id,
            message_id=message_id,
            day=day,
            now=self._services.now(),
        )

    def moves(self, session: YogaSession) -> tuple[Move, ...]:
        """The moves of a session."""
        return session_moves(session.local_date)

    async def next(self, session: YogaSession) -> Move | None:
        """⏭ Next: the move now begun, or None when that finished the session."""
        now = self._services.now()
        moves = self.moves(session)
        step = position(moves, session.step, session.step_started, now).step + 1
        if step >= len(moves):
            await self._finish(session, now)
            return None
        if not await self._services.repo.move_session(session, step, now):
            current = await self._services.repo.session(session.session_id)
            return moves[current.step] if current and current.step < len(moves) else None
        return moves[step]

    async def stop(self, session: YogaSession, now: datetime | None = None) -> None:
        """⏹ Stop: record the move the user had reached."""
        now = now or self._services.now()
        moves = self.moves(session)
        step = min(position(moves, session.step, session.step_started, now).step, len(moves) - 1)
        await self._services.repo.end_session(session, SessionState.STOPPED, step, now)

    async def _finish(self, session: YogaSession, now: datetime) -> None:
        """The whole session done: its nudge is marked done, as the ✅ button would."""
        moves = self.moves(session)
        ended = await self._services.repo.end_session(session, SessionState.DONE, len(moves), now)
        if ended and session.nudge_id is not None:
            await self._services.repo.answer(
                session.user_id, session.nudge_id, Outcome.DONE, now, None
            )

    def refresh_soon(self, session_id: int) -> None:
        """Show a session's new state without making the caller wait for the edit."""
        assert self._app is not None
        self._working += 1
        task = self._app.create_task(self._refresh(session_id, paced=False), name="yoga-refresh")
        task.add_done_callback(self._done)

    def _done(self, _: object) -> None:
        """A refresh task ended, however it ended."""
        self._working -= 1

    async def sent(self, session_id: int, message_id: int) -> None:
        """The session's message was just sent: it is the one the countdown edits from now on,
        and the next edit keeps its distance from it."""
        await self._services.repo.set_session_message(session_id, message_id)
        self._last_edit[session_id] = self._services.elapsed()

    async def view(self, session: YogaSession) -> tuple[str, InlineKeyboardMarkup | None]:
        """The session's message as it should look now."""
        moves = self.moves(session)
        if session.state is SessionState.DONE:
            return texts.yoga_done(len(moves), session.nudge_id is not None), None
        if session.state is SessionState.STOPPED:
            # a session shown in the nudge's own message gives the nudge its buttons back
            markup = None
            if session.nudge_id is not None:
                nudge = await self._services.repo.own_nudge(session.user_id, session.nudge_id)
                is_nudge = nudge is not None and nudge.message_id == session.message_id
                if nudge is not None and is_nudge and nudge.outcome in OPEN_OUTCOMES:
                    markup = nudge_keyboard(nudge.nudge_id, Routine.YOGA)
            return texts.yoga_stopped(session.step, len(moves)), markup
        now = self._services.now()
        where = position(moves, session.step, session.step_started, now)
        step = min(where.step, len(moves) - 1)
        remaining = where.remaining if not where.finished else 0
        text = texts.yoga_move(moves[step], step, len(moves), remaining)
        return text, yoga_keyboard(session.session_id, last=step == len(moves) - 1)

    async def _refresh(self, session_id: int, *, paced: bool) -> None:
        """Edit the session's message to its current state, one edit at a time per session."""
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        async with lock:
            last = self._last_edit.get(session_id)
            if last is not None and (wait := last + MIN_GAP - self._services.elapsed()) > 0:
                await self._services.sleep(min(wait, MIN_GAP))  # never longer, should time go back
            session = await self._services.repo.session(session_id)
            if session is None or session.message_id is None:
                return
            text, markup = await self.view(session)
            try:
                await self._bot().edit_message_text(
                    text,
                    chat_id=session.chat_id,
                    message_id=session.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    rate_limit_args=NUDGE if paced else None,
                )
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    _log.warning(
                        "session message gone: %s", error, extra={"user_id": session.user_id}
                    )
                    await self.stop(session)
            except Forbidden as error:  # blocked mid-session: the send policy's, as for a nudge
                await after_failure(self._services.repo, "yoga session", error, session.user_id)
                await self.stop(session)
            except TelegramError as error:
                _log.warning("session edit failed, next tick retries: %s", error)
            finally:
                self._last_edit[session_id] = self._services.elapsed()
            if session.state is not SessionState.RUNNING:
                self._locks.pop(session_id, None)
                self._last_edit.pop(session_id, None)

    def _bot(self) -> ExtBot[str]:
        assert self._app is not None
        return self._app.bot


def coach_of(app: App) -> YogaCoach:
    """The coach an application was built with (for tests)."""
    coach = app.bot_data["yoga"]
    assert isinstance(coach, YogaCoach)
    return coach
