"""Answering nudges: the Done / Snooze / Skip buttons, typed answers, notes, and /today.

A typed answer ("done" as a reply to a nudge, or "done"/"skip" on its own for the latest open
nudge) goes through the same use case (``UseCases.answer``) and the same edit of the nudge as
the button.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.callbacks import CallbackKind, parse_nudge, parse_today
from bot.handlers.common import MAX_NOTE, PRIVATE, Feature, reply
from bot.keyboards import nudge_keyboard, today_keyboard
from bot.repo import MAX_NOTE_TOTAL, NoteFull, Nudge
from bot.types import Context
from bot.usecases import Member
from schedules.nudges import OPEN_OUTCOMES, Outcome
from schedules.parsing import ALONE_ANSWERS, parse_answer
from schedules.prompts import prompt_for
from schedules.recurrence import local_date
from schedules.today import OPEN_STATES, Recorded, SlotState, TodayItem, slot_state


class Nudges(Feature):
    """Recording what the user did about each nudge."""

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers."""
        return [
            CommandHandler("today", self.today, filters=PRIVATE),
            CallbackQueryHandler(self.record_answer, pattern=CallbackKind.NUDGE.pattern),
            CallbackQueryHandler(self.mark_done_early, pattern=CallbackKind.TODAY.pattern),
        ]

    async def record_answer(self, update: Update, _: Context) -> None:
        """A nudge button: record it, edit the nudge to show it, answer the press."""
        query = update.callback_query
        if query is None:
            return
        action = parse_nudge(query.data or "")
        member = await self.presser(query)
        if member is None:
            return
        if action is None:
            await query.answer(texts.STALE_BUTTON)
            return
        recorded = await self.services.actions.answer(member, action.nudge_id, action.outcome)
        if recorded is None:
            await query.answer(texts.STALE_BUTTON)
            return
        result = recorded.answer
        if result.too_old:
            await query.answer(texts.TOO_OLD)
        else:
            await query.answer(
                texts.press_ack(action.outcome, result.changed, result.nudge.outcome)
            )
        text, markup = _outcome_view(result.nudge, recorded.back)
        await _unless_unchanged(
            query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        )

    async def answer_or_note(self, update: Update, context: Context, text: str) -> bool:
        """Typed text that answers a nudge or is a note on one; False when it is neither.

        A reply to a nudge that is only an answer ("done", "did it ✅", "skip", "later") records
        that answer; any other reply to a nudge is its note. "done" or "skip" typed on its own
        answers the user's latest open nudge, or says plainly that there is none.
        """
        message, sender = update.effective_message, update.effective_user
        if message is None or sender is None:
            return False
        outcome = parse_answer(text)
        replied = message.reply_to_message
        if replied is not None and outcome is None:
            return await self.record_note(update, sender.id, replied.message_id, text)
        if outcome is None:
            return False
        member = await self.known(sender.id)
        if member is None:
            return False
        repo = self.services.repo
        if replied is not None:
            nudge = await repo.nudge_for_message(member.user.user_id, replied.message_id)
            if nudge is not None:
                return await self._answer_typed(
                    update, context, member, nudge, outcome, replied.message_id
                )
        if outcome not in ALONE_ANSWERS:
            return False
        latest = await repo.latest_open_nudge(member.user.user_id, self.services.now())
        if latest is None or latest.message_id is None:
            await reply(update, texts.no_open_nudge(outcome))
            return True
        return await self._answer_typed(update, context, member, latest, outcome, latest.message_id)

    async def _answer_typed(
        self,
        update: Update,
        context: Context,
        member: Member,
        nudge: Nudge,
        outcome: Outcome,
        message_id: int,
    ) -> bool:
        """Record a typed answer, edit that nudge message as a press would, and confirm."""
        recorded = await self.services.actions.answer(member, nudge.nudge_id, outcome)
        if recorded is None:
            return False
        result = recorded.answer
        text, markup = _outcome_view(result.nudge, recorded.back)
        try:
            await _unless_unchanged(
                context.bot.edit_message_text(
                    text,
                    chat_id=member.user.chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            )
        except BadRequest as error:  # the user deleted that nudge; the answer still counts
            if "not found" not in str(error).lower():
                raise
        ack = (
            texts.TOO_OLD
            if result.too_old
            else texts.press_ack(outcome, result.changed, result.nudge.outcome)
        )
        await reply(update, texts.typed_ack(nudge.routine, nudge.local_time, ack))
        return True

    async def record_note(self, update: Update, user_id: int, reply_to: int, text: str) -> bool:
        """A text reply to a nudge becomes its note; False when the message is not a nudge."""
        if len(text) > MAX_NOTE:
            await reply(update, texts.note_too_long(MAX_NOTE))
            return True
        try:
            nudge = await self.services.actions.note(user_id, reply_to, text)
        except NoteFull:
            await reply(update, texts.note_full(MAX_NOTE_TOTAL))
            return True
        if nudge is None:
            return False
        await reply(update, texts.note_saved(nudge.routine, nudge.local_date))
        return True

    async def today(self, update: Update, context: Context) -> None:
        """Today's nudges with their state, and buttons to mark the open ones done."""
        member = await self.member(update, context)
        if member is None:
            return
        text, markup = await self._today_view(member)
        await reply(update, text, markup)

    async def _today_view(self, member: Member) -> tuple[str, InlineKeyboardMarkup | None]:
        """Planned and recorded nudges of the user's local today, merged by routine and time."""
        user, tz = member.user, member.tz
        now = self.services.now()
        day = local_date(now, tz)
        recorded = {
            (n.routine, n.local_time): Recorded(n.outcome, n.sends, n.send_at)
            for n in await self.services.repo.nudges_on(user.user_id, day)
        }
        plan = [e for e in await self.services.repo.get_plan(user.user_id) if e.enabled and e.times]
        planned = {
            (entry.routine, at): entry.due_at(at)
            for entry in plan
            if day.weekday() in entry.days
            for at in entry.times
        }
        resting = [
            (entry.routine, entry.days, member.next_send(entry))
            for entry in plan
            if day.weekday() not in entry.days
            and not any(routine is entry.routine for routine, _ in recorded)
        ]
        items = []
        for routine, at in sorted(planned.keys() | recorded.keys(), key=lambda k: (k[1], k[0])):
            state, until = slot_state(
                day,
                at,
                tz,
                now,
                recorded=recorded.get((routine, at)),
                slot_due=planned.get((routine, at)),
                paused_until=user.paused_until,
            )
            items.append(TodayItem(routine, at, state, member.local(until)))
        open_items = [
            (i.routine, i.at) for i in items if i.state in OPEN_STATES | {SlotState.PASSED}
        ]
        return texts.today(day, items, resting), today_keyboard(day, open_items)

    async def mark_done_early(self, update: Update, _: Context) -> None:
        """A /today button: mark that nudge done, so it is not sent later today."""
        query = update.callback_query
        if query is None:
            return
        member = await self.presser(query)
        if member is None:
            return
        early = parse_today(query.data or "")
        changed = (
            await self.services.actions.done_early(member, early.routine, early.day, early.at)
            if early is not None
            else None
        )
        if changed is None:
            await query.answer(texts.STALE_BUTTON)
            return
        await query.answer(texts.done_early(changed))
        if changed:
            text, markup = await self._today_view(member)
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


def _outcome_view(nudge: Nudge, back: datetime | None) -> tuple[str, InlineKeyboardMarkup | None]:
    """A nudge message after an answer: its outcome, and buttons only while it is still open."""
    until = back.strftime("%H:%M") if back else ""
    text = texts.nudge_answered(
        nudge.routine,
        prompt_for(nudge.routine, nudge.local_date, nudge.local_time),
        nudge.local_time,
        nudge.outcome,
        until,
    )
    markup = (
        nudge_keyboard(nudge.nudge_id, nudge.routine) if nudge.outcome in OPEN_OUTCOMES else None
    )
    return text, markup


async def _unless_unchanged(edit: Awaitable[object]) -> None:
    """Run an edit; Telegram's "message is not modified" (a repeated answer) is fine."""
    try:
        await edit
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise
