"""Small helpers every handler uses: who is asking, and replying in HTML."""

from __future__ import annotations

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import filters

from bot import texts
from bot.services import Services
from bot.types import Context
from bot.usecases import Member

PRIVATE = filters.ChatType.PRIVATE
MAX_NOTE = 1000
DISCLAIMER_SHOWN = "disclaimer_shown"
"""chat_data flag: the not-medical-advice line is said once per conversation."""

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


async def reply(update: Update, text: str, markup: Markup = None) -> Message | None:
    """Answer in the chat the update came from."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        disable_web_page_preview=True,
    )


class Feature:
    """Base of the handler groups: gives them the services and a 'who is this' helper."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def member(self, update: Update, _: Context) -> Member | None:
        """The sender as a set-up user with their zone, or None after saying what is missing."""
        sender = update.effective_user
        if sender is None:
            return None
        user = await self.services.repo.get_user(sender.id)
        if user is None:
            await reply(update, texts.need_start())
            return None
        member = Member.of(user)
        if member is None:
            await reply(update, texts.need_zone())
        return member

    async def known(self, user_id: int) -> Member | None:
        """The set-up member with this id, or None, quietly, for anyone else."""
        user = await self.services.repo.get_user(user_id)
        return Member.of(user) if user is not None else None

    async def presser(self, query: CallbackQuery) -> Member | None:
        """Who pressed a button; a stale button for someone not (or no longer) set up."""
        member = await self.known(query.from_user.id)
        if member is None:
            await query.answer(texts.STALE_BUTTON)
        return member


async def plan_text(services: Services, member: Member) -> str:
    """The /plan view in the user's local time."""
    user = member.user
    entries = []
    for entry in await services.repo.get_plan(user.user_id):
        entries.append(
            (entry.routine, entry.enabled, entry.times, member.next_send(entry), entry.days)
        )
    return texts.plan(
        entries,
        member.zone,
        member.local(user.paused_until),
        user.snooze_minutes,
        (user.nag_minutes, user.nag_times) if user.nag_minutes else None,
    )
