"""/start, time-zone set-up (location, city, zone name or offset) and /help."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.handlers.common import DISCLAIMER_SHOWN, PRIVATE, Feature, plan_text, reply
from bot.keyboards import location_keyboard
from bot.repo import User
from bot.types import Context
from schedules.zones import describe_offset, parse_zone, resolve_zone, zone_at


class Onboarding(Feature):
    """Getting a user from hello to a running plan in their own time zone."""

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers, in match order."""
        return [
            CommandHandler("start", self.start, filters=PRIVATE),
            CommandHandler("help", self.help, filters=PRIVATE),
            CommandHandler("timezone", self.timezone, filters=PRIVATE),
            MessageHandler(filters.LOCATION & PRIVATE, self.location),
        ]

    async def start(self, update: Update, context: Context) -> None:
        """Welcome, then ask for the zone (new user) or pick up where they left off."""
        sender, chat = update.effective_user, update.effective_chat
        if sender is None or chat is None:
            return
        user, _ = await self.services.repo.register(sender.id, chat.id, self.services.now())
        await reply(update, texts.welcome())
        if context.chat_data is not None:
            context.chat_data[DISCLAIMER_SHOWN] = True
        if user.zone is None:
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
        await self.answer_zone(update, user, " ".join(context.args))

    async def location(self, update: Update, _: Context) -> None:
        """A shared location sets the zone, offline through tzfpy."""
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

    async def answer_zone(self, update: Update, user: User, text: str) -> None:
        """Typed zone: a city, an IANA name or an offset."""
        zone = parse_zone(text)
        if zone is None:
            await reply(update, texts.zone_unknown(text))
            return
        await self._apply_zone(update, user, zone)

    async def _apply_zone(self, update: Update, user: User, zone: str) -> None:
        await self.services.set_zone(user, zone)
        now = self.services.now()
        tz = resolve_zone(zone)
        local_now = now.astimezone(tz)
        await reply(
            update,
            texts.zone_set(zone, describe_offset(zone, now), local_now),
            ReplyKeyboardRemove(),
        )
        await reply(update, await plan_text(self.services, user.user_id))
