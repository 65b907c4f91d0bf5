"""/start, time-zone set-up (location, place, zone name or offset) and /help.

Every typed zone goes through one resolver: an exact answer is set and echoed, a country or
region with several zones gets buttons, a near miss is asked about, and nothing is set until
the user picks or says yes.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

from telegram import ReplyKeyboardRemove, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.callbacks import ZONE_NONE, CallbackKind, parse_zone_choice
from bot.handlers.common import DISCLAIMER_SHOWN, PRIVATE, Feature, plan_text, reply
from bot.keyboards import location_keyboard, zone_choice_keyboard, zone_suggest_keyboard
from bot.repo import User
from bot.types import Context
from schedules.zones import (
    Choice,
    Exact,
    FixedOffset,
    NotFound,
    Suggestion,
    ZoneProblem,
    confirmation,
    describe_offset,
    is_fixed_offset,
    preload,
    resolve_place,
    zone_at,
)

PENDING_ZONE = "pending_zone"
"""chat_data: the zone a "did you mean …?" proposed and when, so a typed "yes" can accept it."""
PENDING_FOR = timedelta(hours=1)
"""How long a typed "yes" still answers that question; later it is just a word."""


class Onboarding(Feature):
    """Getting a user from hello to a running plan in their own time zone."""

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers, in match order."""
        return [
            CommandHandler("start", self.start, filters=PRIVATE),
            CommandHandler("help", self.help, filters=PRIVATE),
            CommandHandler("timezone", self.timezone, filters=PRIVATE),
            MessageHandler(filters.LOCATION & PRIVATE, self.location),
            CallbackQueryHandler(self.choose_zone, pattern=CallbackKind.ZONE.pattern),
        ]

    async def start(self, update: Update, context: Context) -> None:
        """Welcome, then ask for the zone (new user) or pick up where they left off."""
        sender, chat = update.effective_user, update.effective_chat
        if sender is None or chat is None:
            return
        user = await self.services.actions.register(sender.id, chat.id)
        await reply(update, texts.welcome())
        if context.chat_data is not None:
            context.chat_data[DISCLAIMER_SHOWN] = True
        if user.zone is None:
            # The place tables take a second or more to build: start while the user types.
            asyncio.get_running_loop().run_in_executor(None, preload)
            await reply(update, texts.ask_zone(), location_keyboard())
            return
        await self._apply_zone(update, user, user.zone)

    async def help(self, update: Update, _: Context) -> None:
        """Every command, one line each."""
        await reply(update, texts.help_text())

    async def timezone(self, update: Update, context: Context) -> None:
        """Show the zone, or change it to the argument."""
        sender = update.effective_user
        if sender is None:
            return
        user = await self.services.repo.get_user(sender.id)
        if user is None:
            await reply(update, texts.need_start())
            return
        if not context.args:
            offset = describe_offset(user.zone, self.services.now()) if user.zone else None
            await reply(update, texts.zone_current(user.zone, offset), location_keyboard())
            return
        await self.answer_zone(update, user, " ".join(context.args), context)

    async def location(self, update: Update, context: Context) -> None:
        """A shared location sets the zone, offline through tzfpy."""
        if context.chat_data is not None:
            context.chat_data.pop(PENDING_ZONE, None)
        sender, message = update.effective_user, update.effective_message
        if sender is None or message is None or message.location is None:
            return
        user = await self.services.repo.get_user(sender.id)
        if user is None:
            await reply(update, texts.need_start())
            return
        zone = zone_at(message.location.latitude, message.location.longitude)
        if zone is None:
            await reply(update, texts.zone_unknown("that location"))
            return
        await self._apply_zone(update, user, zone)

    async def choose_zone(self, update: Update, context: Context) -> None:
        """A zone button (a choice, or yes/no to a suggestion): set it, or ask again."""
        query = update.callback_query
        if query is None:
            return
        if context.chat_data is not None:
            context.chat_data.pop(PENDING_ZONE, None)
        zone = parse_zone_choice(query.data or "")
        user = await self.services.repo.get_user(query.from_user.id)
        if zone is None or user is None:
            await query.answer(texts.STALE_BUTTON)
            return
        await query.answer()
        if zone == ZONE_NONE:
            await reply(update, texts.zone_retry(), location_keyboard())
        else:
            await self._apply_zone(update, user, zone)
        # The question is answered: its buttons go (an old or already-edited message may refuse).
        with suppress(BadRequest):
            await query.edit_message_reply_markup(None)

    async def confirm_typed(self, update: Update, context: Context, user: User, text: str) -> bool:
        """A typed yes or no to the last "did you mean …?"; False when the text is not that."""
        chat_data = context.chat_data if context.chat_data is not None else {}
        pending = chat_data.get(PENDING_ZONE)
        if not isinstance(pending, tuple) or self.services.now() - pending[1] > PENDING_FOR:
            return False
        answer = confirmation(text)
        if answer is None:
            return False
        chat_data.pop(PENDING_ZONE, None)
        if answer:
            await self._apply_zone(update, user, pending[0])
        else:
            await reply(update, texts.zone_retry(), location_keyboard())
        return True

    async def answer_zone(
        self, update: Update, user: User, text: str, context: Context | None = None
    ) -> None:
        """Typed zone: a place, a zone name, an abbreviation or an offset."""
        # Off the event loop: the first lookup builds the place tables.
        answer = await asyncio.to_thread(resolve_place, text, self.services.now())
        chat_data = context.chat_data if context is not None else None
        if chat_data is not None:
            chat_data.pop(PENDING_ZONE, None)
            if isinstance(answer, Suggestion):
                chat_data[PENDING_ZONE] = (answer.option.zone, self.services.now())
        match answer:
            case Exact(zone=zone, place=place):
                await self._apply_zone(update, user, zone, place)
            case FixedOffset(zone=zone):
                await self._apply_zone(update, user, zone, fixed=True)
            case Choice(place=place, options=options):
                await reply(update, texts.zone_choice(place), zone_choice_keyboard(options))
            case Suggestion(option=option):
                await reply(
                    update,
                    texts.zone_suggest(option.label, option.local_now),
                    zone_suggest_keyboard(option.zone),
                )
            case NotFound(problem=problem):
                offset = problem in (
                    ZoneProblem.OFFSET_BAD_MINUTES,
                    ZoneProblem.OFFSET_OUT_OF_RANGE,
                )
                await reply(update, texts.zone_bad_offset() if offset else texts.zone_unknown(text))

    async def _apply_zone(
        self,
        update: Update,
        user: User,
        zone: str,
        place: str | None = None,
        *,
        fixed: bool = False,
    ) -> None:
        member = await self.services.actions.set_zone(user, zone)
        now = self.services.now()
        local_now = now.astimezone(member.tz)
        confirm = (
            texts.zone_set_fixed(zone, local_now)
            if fixed or is_fixed_offset(zone)
            else texts.zone_set(zone, describe_offset(zone, now), local_now, place)
        )
        await reply(update, confirm, ReplyKeyboardRemove())
        await reply(update, await plan_text(self.services, member))
