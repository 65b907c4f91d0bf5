"""Answering nudges: the Done / Snooze / Skip buttons, replies as notes, and /today."""

from __future__ import annotations

from datetime import datetime

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.callbacks import NUDGE_PREFIX, TODAY_PREFIX, parse_nudge, parse_today
from bot.handlers.common import MAX_NOTE, PRIVATE, Feature, reply
from bot.keyboards import nudge_keyboard, today_keyboard
from bot.repo import Nudge, User
from bot.types import Context
from schedules.nudges import OPEN_OUTCOMES, Outcome, place_occurrence, snooze_until
from schedules.prompts import prompt_for
from schedules.recurrence import local_date, occurrence
from schedules.zones import resolve_zone


class Nudges(Feature):
    """Recording what the user did about each nudge."""

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers."""
        return [
            CommandHandler("today", self.today, filters=PRIVATE),
            CallbackQueryHandler(self.record_answer, pattern=f"^{NUDGE_PREFIX}:"),
            CallbackQueryHandler(self.mark_done_early, pattern=f"^{TODAY_PREFIX}:"),
        ]

    async def _presser(self, query: CallbackQuery) -> User | None:
        user = await self.services.repo.get_user(query.from_user.id)
        if user is None or user.zone is None:
            await query.answer(texts.STALE_BUTTON)
            return None
        return user

    async def record_answer(self, update: Update, _: Context) -> None:
        """A nudge button: record it, edit the nudge to show it, answer the press."""
        query = update.callback_query
        if query is None:
            return
        action = parse_nudge(query.data or "")
        user = await self._presser(query)
        if user is None:
            return
        if action is None:
            await query.answer(texts.STALE_BUTTON)
            return
        now = self.services.now()
        snooze_to = (
            snooze_until(now, user.snooze_minutes) if action.outcome is Outcome.SNOOZED else None
        )
        result = await self.services.repo.answer(
            user.user_id, action.nudge_id, action.outcome, now, snooze_to
        )
        if result is None:
            await query.answer(texts.STALE_BUTTON)
            return
        if snooze_to is not None and result.changed:
            self.services.dispatcher.wake_at(snooze_to)
        await query.answer(texts.press_ack(action.outcome, result.changed, result.nudge.outcome))
        assert user.zone is not None
        back = (
            snooze_to.astimezone(resolve_zone(user.zone)) if snooze_to and result.changed else None
        )
        await self._show_outcome(query, result.nudge, back)

    async def _show_outcome(
        self, query: CallbackQuery, nudge: Nudge, back: datetime | None
    ) -> None:
        until = back.strftime("%H:%M") if back else ""
        text = texts.nudge_answered(
            nudge.routine,
            prompt_for(nudge.routine, nudge.local_date),
            nudge.local_time,
            nudge.outcome,
            until,
        )
        markup = (
            nudge_keyboard(nudge.nudge_id, nudge.routine)
            if nudge.outcome in OPEN_OUTCOMES
            else None
        )
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise

    async def record_note(self, update: Update, user_id: int, reply_to: int, text: str) -> bool:
        """A text reply to a nudge becomes its note; False when the message is not a nudge."""
        if len(text) > MAX_NOTE:
            await reply(update, texts.note_too_long(MAX_NOTE))
            return True
        nudge = await self.services.repo.add_note(user_id, reply_to, text, self.services.now())
        if nudge is None:
            return False
        await reply(update, texts.note_saved(nudge.routine, nudge.local_date))
        return True

    async def today(self, update: Update, context: Context) -> None:
        """Today's nudges with their state, and buttons to mark the open ones done."""
        user = await self.user_with_zone(update, context)
        if user is None:
            return
        text, markup = await self._today_view(user)
        await reply(update, text, markup)

    async def _today_view(self, user: User) -> tuple[str, InlineKeyboardMarkup | None]:
        """Planned and recorded nudges of the user's local today, merged by routine and time."""
        assert user.zone is not None
        day = local_date(self.services.now(), resolve_zone(user.zone))
        recorded = {
            (n.routine, n.local_time): n.outcome
            for n in await self.services.repo.nudges_on(user.user_id, day)
        }
        planned = {
            (entry.routine, at)
            for entry in await self.services.repo.get_plan(user.user_id)
            if entry.enabled
            for at in entry.times
        }
        rows = sorted(
            ((r, at, recorded.get((r, at))) for r, at in planned | recorded.keys()),
            key=lambda row: (row[1], row[0]),
        )
        open_items = [
            (r, at) for r, at, outcome in rows if outcome is None or outcome in OPEN_OUTCOMES
        ]
        return texts.today(day, rows), today_keyboard(day, open_items)

    async def mark_done_early(self, update: Update, _: Context) -> None:
        """A /today button: mark that nudge done, so it is not sent later today."""
        query = update.callback_query
        if query is None:
            return
        user = await self._presser(query)
        if user is None:
            return
        early = parse_today(query.data or "")
        assert user.zone is not None
        tz = resolve_zone(user.zone)
        now = self.services.now()
        if early is None or early.day != local_date(now, tz):
            await query.answer(texts.STALE_BUTTON)
            return
        due: datetime = occurrence(early.day, early.at, tz)
        occ = place_occurrence(
            early.routine,
            early.at,
            tz,
            due,
            now=now,
            catch_up=self.services.settings.catch_up,
            paused_until=None,
        )
        changed = await self.services.repo.mark_done_early(user.user_id, occ, now)
        await query.answer(texts.done_early(changed))
        if changed:
            text, markup = await self._today_view(user)
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
