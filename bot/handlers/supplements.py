"""/dose and food added as "+300 mg yogurt": calcium and vitamin D against the article's aims."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.handlers.common import PRIVATE, Feature, reply
from bot.types import Context
from schedules.recurrence import local_date
from schedules.supplements import dose_on, parse_dose, parse_food

FOOD = filters.Regex(r"^\s*\+\s*[0-9]")
"""A message that starts with + and a number adds food (also as a reply to a nudge)."""


class Supplements(Feature):
    """Recording what a supplement ✅ stands for, and food, per local day."""

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers; the food one must come before the free-text catch-all."""
        return [
            CommandHandler("dose", self.dose, filters=PRIVATE),
            MessageHandler(filters.TEXT & ~filters.COMMAND & PRIVATE & FOOD, self.add_food),
        ]

    async def dose(self, update: Update, context: Context) -> None:
        """/dose calcium 600 vitd 400 [pills 2]: from today, what one ✅ stands for."""
        member = await self.member(update, context)
        if member is None:
            return
        dose = parse_dose(context.args or [])
        if dose is None:
            user, tz = member.user, member.tz
            today = local_date(self.services.now(), tz)
            current = dose_on(await self.services.repo.doses(user.user_id), today)
            await reply(update, texts.dose_usage(current))
            return
        await self.services.actions.set_dose(member, dose)
        await reply(update, texts.dose_set(dose))

    async def add_food(self, update: Update, context: Context) -> None:
        """+300 mg yogurt: calcium (mg) or vitamin D (IU) from food, on the user's today."""
        member = await self.member(update, context)
        message = update.effective_message
        if member is None or message is None or not message.text:
            return
        food = parse_food(message.text)
        if food is None:
            await reply(update, texts.food_usage())
            return
        today = await self.services.actions.add_food(member, food)
        await reply(update, texts.food_added(food, today))
