"""/faq, free text, and everything that is not a command we know.

Free text is routed in one place, in this order: the safety pass (``bot.triage``) first, so an
emergency, a crisis or distress gets a pointer to help even in a reply to a nudge; a typed answer
to a nudge ("done", "skip") is recorded and any other reply to a nudge is its note; a typed yes
or no answers a pending "did you mean …?" about a time zone; small talk gets a short friendly
reply; a user still choosing a time zone is answering that question (unless it is plainly an
FAQ question and no place), and after an FAQ answer is asked for the zone again; anything else
is a question for the FAQ, answered part by part when it asks several things.
"""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.callbacks import CallbackKind, parse_faq
from bot.faq import MAX_MESSAGE_CHARS, FaqEntry
from bot.handlers.common import DISCLAIMER_SHOWN, PRIVATE, Feature, reply
from bot.handlers.nudges import Nudges
from bot.handlers.onboarding import Onboarding
from bot.keyboards import faq_keyboard, location_keyboard
from bot.services import Services
from bot.triage import Kind, triage
from bot.types import Context
from schedules.zones import NotFound, resolve_place

SAFETY_REPLIES = {
    Kind.EMERGENCY: texts.EMERGENCY,
    Kind.CRISIS: texts.CRISIS,
    Kind.DISTRESS: texts.DISTRESS,
    Kind.DISCOMFORT: texts.DISCOMFORT,
}


class Conversation(Feature):
    """Questions, answers, and polite replies to everything unexpected."""

    def __init__(self, services: Services, nudges: Nudges, onboarding: Onboarding) -> None:
        super().__init__(services)
        self._nudges = nudges
        self._onboarding = onboarding

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers; the free-text catch-all is last on purpose."""
        return [
            CommandHandler("faq", self.faq, filters=PRIVATE),
            CallbackQueryHandler(self.faq_topic, pattern=CallbackKind.FAQ.pattern),
            CallbackQueryHandler(self.stale_button),
            MessageHandler(filters.COMMAND & PRIVATE, self.unknown_command),
            MessageHandler(filters.TEXT & PRIVATE, self.free_text),
            MessageHandler(PRIVATE, self.not_text),
        ]

    async def faq(self, update: Update, _: Context) -> None:
        """Topic buttons for the article's questions."""
        topics = [(e.id, e.topic) for e in self.services.faq.topics()]
        await reply(update, texts.faq_intro(), faq_keyboard(topics))

    async def faq_topic(self, update: Update, context: Context) -> None:
        """A topic button: its answer."""
        query = update.callback_query
        if query is None:
            return
        entry_id = parse_faq(query.data or "")
        entry = self.services.faq.get(entry_id) if entry_id else None
        if entry is None:
            await query.answer(texts.STALE_BUTTON)
            return
        await query.answer()
        await self._send_answer(update, context, entry)

    async def stale_button(self, update: Update, _: Context) -> None:
        """CallbackKind data nobody here understands: say so and change nothing."""
        if update.callback_query is not None:
            await update.callback_query.answer(texts.STALE_BUTTON)

    async def unknown_command(self, update: Update, _: Context) -> None:
        """A slash command we don't have."""
        await reply(update, texts.unknown_command())

    async def not_text(self, update: Update, _: Context) -> None:
        """Stickers, photos, voice notes and the like."""
        await reply(update, texts.unsupported_message())

    async def free_text(self, update: Update, context: Context) -> None:
        """An answer or note on a nudge, a time-zone answer or a question, in that order."""
        message, sender = update.effective_message, update.effective_user
        if message is None or sender is None or not message.text:
            return
        text = message.text.strip()
        kind = triage(text)
        urgent = SAFETY_REPLIES.get(kind) if kind is not None else None
        if urgent is not None:
            await reply(update, urgent)
        if await self._nudges.answer_or_note(update, context, text) or urgent is not None:
            return
        user = await self.services.repo.get_user(sender.id)
        if user is not None and await self._onboarding.confirm_typed(update, context, user, text):
            return
        waiting = user is not None and user.zone is None
        if kind is not None:
            await reply(update, texts.SMALL_TALK[kind.value])
            if waiting:
                await reply(update, texts.ask_zone(), location_keyboard())
            return
        if len(text) > MAX_MESSAGE_CHARS:
            await reply(update, texts.too_long(MAX_MESSAGE_CHARS))
            return
        entries = self.services.faq.answers(text)
        if user is not None and waiting and (not entries or await self._names_place(text)):
            await self._onboarding.answer_zone(update, user, text, context)
        elif not entries:
            await reply(update, texts.faq_unknown())
        else:
            await self._send_answer(update, context, *entries)
            if waiting:
                await reply(update, texts.ask_zone(), location_keyboard())

    async def _names_place(self, text: str) -> bool:
        """Whether the time-zone resolver finds anything at all in the text."""
        answer = await asyncio.to_thread(resolve_place, text, self.services.now())
        return not isinstance(answer, NotFound)

    async def _send_answer(self, update: Update, context: Context, *entries: FaqEntry) -> None:
        """One message with every answer; the disclaimer once per conversation."""
        chat_data = context.chat_data if context.chat_data is not None else {}
        about_article = any(not e.about_bot for e in entries)
        first = about_article and not chat_data.get(DISCLAIMER_SHOWN, False)
        if first:
            chat_data[DISCLAIMER_SHOWN] = True
        chat = update.effective_chat
        if chat is None:
            return
        parts = [(e.question, e.answer) for e in entries]
        await context.bot.send_message(
            chat.id, texts.faq_answers(parts, with_disclaimer=first), parse_mode=ParseMode.HTML
        )


async def private_only(update: Update, _: Context) -> None:
    """Commands in groups and channels get one polite pointer to a private chat."""
    await reply(update, texts.PRIVATE_ONLY)


async def ignore(_: Update, __: Context) -> None:
    """Edited messages are not re-processed: the original already counted."""
