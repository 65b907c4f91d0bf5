"""/yoga and the session's buttons: ▶ Start on a yoga nudge, ⏭ Next and ⏹ Stop."""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.callbacks import CallbackKind, YogaAction, YogaStep, parse_yoga
from bot.handlers.common import PRIVATE, Feature, reply
from bot.repo import SessionState, User
from bot.services import Services
from bot.types import Context
from bot.yoga import YogaCoach
from schedules.nudges import OPEN_OUTCOMES
from schedules.recurrence import local_date
from schedules.routines import Routine


class Yoga(Feature):
    """Doing the facial-yoga routine in the chat, guided move by move."""

    def __init__(self, services: Services, coach: YogaCoach) -> None:
        super().__init__(services)
        self.coach = coach

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers."""
        return [
            CommandHandler("yoga", self.yoga, filters=PRIVATE),
            CallbackQueryHandler(self.press, pattern=CallbackKind.YOGA.pattern),
        ]

    async def yoga(self, update: Update, context: Context) -> None:
        """/yoga: a session now; finishing it also marks today's open yoga nudge done."""
        member = await self.member(update, context)
        chat = update.effective_chat
        if member is None or chat is None:
            return
        user, tz = member.user, member.tz
        day = local_date(self.services.now(), tz)
        open_nudges = [
            n
            for n in await self.services.repo.nudges_on(user.user_id, day)
            if n.routine is Routine.YOGA and n.outcome in OPEN_OUTCOMES
        ]
        session = await self.coach.start(
            user.user_id,
            chat.id,
            nudge_id=open_nudges[-1].nudge_id if open_nudges else None,
            message_id=None,
            day=day,
        )
        if session is None:
            await reply(update, texts.YOGA_ALREADY_RUNNING)
            return
        text, markup = await self.coach.view(session)
        try:
            message = await reply(update, text, markup)
        except BaseException:
            await self.coach.stop(session)
            raise
        if message is not None:
            await self.coach.sent(session.session_id, message.message_id)

    async def press(self, update: Update, _: Context) -> None:
        """A session button; forged, foreign or stale data is refused and changes nothing."""
        query = update.callback_query
        if query is None:
            return
        member = await self.presser(query)
        if member is None:
            return
        user = member.user
        action = parse_yoga(query.data or "")
        if action is None:
            await query.answer(texts.STALE_BUTTON)
            return
        if action.step is YogaStep.START:
            await self._start_from_nudge(query, user, action)
            return
        session = await self.services.repo.session(action.target)
        if (
            session is None
            or session.user_id != user.user_id
            or session.state is not SessionState.RUNNING
        ):
            await query.answer(texts.STALE_BUTTON)
            return
        if action.step is YogaStep.STOP:
            await self.coach.stop(session)
            await query.answer(texts.YOGA_STOPPED_TOAST)
        else:
            move = await self.coach.next(session)
            await query.answer(texts.yoga_next(move.name) if move else texts.YOGA_FINISHED_TOAST)
        self.coach.refresh_soon(session.session_id)

    async def _start_from_nudge(self, query: CallbackQuery, user: User, action: YogaAction) -> None:
        """▶ Start on a yoga nudge: that message becomes the session."""
        nudge = await self.services.repo.own_nudge(user.user_id, action.target)
        if nudge is None or query.message is None:
            await query.answer(texts.STALE_BUTTON)
            return
        if nudge.routine is not Routine.YOGA:
            await query.answer(texts.YOGA_NOT_YOGA)
            return
        session = await self.coach.start(
            user.user_id,
            query.message.chat.id,
            nudge_id=nudge.nudge_id,
            message_id=query.message.message_id,
            day=nudge.local_date,
        )
        if session is None:
            await query.answer(texts.YOGA_ALREADY_RUNNING)
            return
        await query.answer(texts.yoga_started(self.coach.moves(session)[0].name))
        self.coach.refresh_soon(session.session_id)
