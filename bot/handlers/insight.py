"""/stats with its chart, /export, /forget, and /summary with the weekly summary's opt-out."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import partial

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.callbacks import SUMMARY_OFF_DATA, CallbackKind, parse_forget
from bot.charts import render_stats_chart
from bot.export import nudges_csv
from bot.handlers.common import PRIVATE, Feature, reply
from bot.intake import stats_section
from bot.keyboards import forget_keyboard
from bot.offload import RenderPool
from bot.repo import Nudge
from bot.services import Services
from bot.types import Context
from schedules.nudges import Outcome, next_summary
from schedules.parsing import parse_switch
from schedules.recurrence import local_date
from schedules.routines import Routine
from schedules.stats import DayState, day_states, routine_stats


def _days_by_routine(history: list[Nudge]) -> dict[Routine, dict[date, DayState]]:
    grouped: dict[Routine, list[tuple[date, Outcome]]] = defaultdict(list)
    for n in history:
        grouped[n.routine].append((n.local_date, n.outcome))
    return {routine: day_states(grouped.get(routine, [])) for routine in Routine}


class Insight(Feature):
    """Turning the records into something a person can see, take away or delete."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._renders = RenderPool()

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers."""
        return [
            CommandHandler("stats", self.stats, filters=PRIVATE),
            CommandHandler("export", self.export, filters=PRIVATE),
            CommandHandler("forget", self.forget, filters=PRIVATE),
            CommandHandler("summary", self.summary, filters=PRIVATE),
            CallbackQueryHandler(self.confirm_forget, pattern=CallbackKind.FORGET.pattern),
            CallbackQueryHandler(self.summary_off, pattern=f"^{SUMMARY_OFF_DATA}$"),
        ]

    async def stats(self, update: Update, context: Context) -> None:
        """Streaks, 7/30-day adherence and strength as a chart and caption; a first-timer's intro.

        Before anything is recorded there is nothing to chart, so a new user is told what will
        appear and when their first nudge comes instead of getting a blank chart of dashes.
        """
        member = await self.member(update, context)
        message = update.effective_message
        if member is None or message is None:
            return
        user, tz = member.user, member.tz
        today = local_date(self.services.now(), tz)
        joined = local_date(user.joined_at, tz)
        history = await self.services.repo.history(user.user_id)
        intake = await stats_section(self.services.repo, user.user_id, today)
        if not history and not intake:
            plan = await self.services.repo.get_plan(user.user_id)
            upcoming = [(e.next_due, e.routine) for e in plan if e.enabled and e.next_due]
            first = min(upcoming, default=None)
            await reply(
                update, texts.stats_first((first[1], first[0].astimezone(tz)) if first else None)
            )
            return
        days = _days_by_routine(history)
        stats = [routine_stats(r, days[r], today=today, joined=joined) for r in Routine]
        caption = texts.stats(
            [
                (
                    s.routine,
                    s.current_streak,
                    s.best_streak,
                    s.adherence_7,
                    s.adherence_30,
                    s.strength,
                )
                for s in stats
            ]
        )
        caption += intake
        png = await self._renders.render(
            ("stats", user.user_id),
            (today, joined, tuple(history)),
            partial(render_stats_chart, stats, days, today=today, title="Last 30 days"),
        )
        await message.reply_photo(
            InputFile(png, filename="stats.png"), caption=caption, parse_mode=ParseMode.HTML
        )

    async def export(self, update: Update, context: Context) -> None:
        """All of the user's records as a CSV document."""
        member = await self.member(update, context)
        message = update.effective_message
        if member is None or message is None:
            return
        user, tz = member.user, member.tz
        history = await self.services.repo.history(user.user_id)
        if not history:
            await reply(update, texts.export_empty())
            return
        data = await self._renders.render(
            ("export", user.user_id),
            (member.zone, tuple(history)),
            partial(nudges_csv, history, member.zone, tz),
        )
        await message.reply_document(
            InputFile(data, filename="facenudge-export.csv"),
            caption=texts.export_caption(len(history)),
        )

    async def forget(self, update: Update, _: Context) -> None:
        """Ask before deleting everything."""
        await reply(update, texts.forget_confirm(), forget_keyboard())

    async def confirm_forget(self, update: Update, _: Context) -> None:
        """Delete on 'yes' (only the presser's own data); a second press finds nothing."""
        query = update.callback_query
        if query is None:
            return
        confirmed = parse_forget(query.data or "")
        if confirmed is None:
            await query.answer(texts.STALE_BUTTON)
            return
        await query.answer()
        if not confirmed:
            await query.edit_message_text(texts.forget_cancelled())
            return
        deleted = await self.services.actions.forget(query.from_user.id)
        for kind in ("stats", "export"):
            self._renders.forget((kind, query.from_user.id))
        await query.edit_message_text(texts.forgotten() if deleted else texts.forget_nothing())

    async def summary(self, update: Update, context: Context) -> None:
        """/summary on|off switches the weekly summary; /summary alone shows whether it's on."""
        member = await self.member(update, context)
        if member is None:
            return
        user, tz = member.user, member.tz
        if not context.args:
            upcoming = next_summary(tz, self.services.now())
            await reply(update, texts.summary_state(user.weekly_summary, upcoming.astimezone(tz)))
            return
        wanted = parse_switch(" ".join(context.args))
        if wanted is None:
            await reply(update, texts.summary_usage())
        elif wanted:
            await reply(update, texts.summary_on(await self.services.actions.summary_on(member)))
        else:
            await self.services.actions.summary_off(user.user_id)
            await reply(update, texts.summary_off())

    async def summary_off(self, update: Update, _: Context) -> None:
        """The weekly summary's opt-out button."""
        query = update.callback_query
        if query is None:
            return
        await self.services.actions.summary_off(query.from_user.id)
        await query.answer(texts.summary_off())
        await query.edit_message_reply_markup(None)
