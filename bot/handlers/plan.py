"""/plan, /set, /on, /off, /pause, /resume, /snooze and /nag."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot import texts
from bot.handlers.common import PRIVATE, Feature, plan_text, reply
from bot.types import Context
from schedules.parsing import (
    NAG_OFF,
    SNOOZE_MINUTES,
    TimesProblem,
    TimesRejected,
    parse_days,
    parse_minutes,
    parse_nag,
    parse_routine,
    parse_routines,
    read_schedule,
    split_routine,
)
from schedules.routines import Routine


class Plan(Feature):
    """Changing what gets nudged, when, and how insistently."""

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """This feature's handlers."""
        return [
            CommandHandler("plan", self.show_plan, filters=PRIVATE),
            CommandHandler("set", self.set_times, filters=PRIVATE),
            CommandHandler("on", self.switch_on, filters=PRIVATE),
            CommandHandler("off", self.switch_off, filters=PRIVATE),
            CommandHandler("pause", self.pause, filters=PRIVATE),
            CommandHandler("resume", self.resume, filters=PRIVATE),
            CommandHandler("snooze", self.snooze, filters=PRIVATE),
            CommandHandler("nag", self.nag, filters=PRIVATE),
        ]

    async def show_plan(self, update: Update, context: Context) -> None:
        """Each routine, its times, on/off and the next nudge."""
        if member := await self.member(update, context):
            await reply(update, await plan_text(self.services, member))

    async def set_times(self, update: Update, context: Context) -> None:
        """/set <routine> <HH:MM> [HH:MM ...] [days]; the routine may be several words."""
        member = await self.member(update, context)
        if member is None:
            return
        user = member.user
        words, time_args = split_routine(context.args or [])
        if not words or not time_args:
            await reply(update, texts.set_usage())
            return
        routine = parse_routine(words)
        if routine is None:
            await reply(update, texts.unknown_routine(words))
            return
        schedule = read_schedule(time_args)
        if isinstance(schedule, TimesRejected):
            await reply(update, _times_refused(schedule))
            return
        entry = await self.services.actions.set_times(
            member, routine, schedule.times or None, schedule.days
        )
        await reply(
            update,
            texts.times_set(
                routine,
                entry.times,
                member.next_send(entry),
                entry.days,
                paused=user.paused_until is not None,
            ),
        )

    async def switch_on(self, update: Update, context: Context) -> None:
        """/on <routine>."""
        await self._switch(update, context, enabled=True)

    async def switch_off(self, update: Update, context: Context) -> None:
        """/off <routine>."""
        await self._switch(update, context, enabled=False)

    async def _switch(self, update: Update, context: Context, *, enabled: bool) -> None:
        member = await self.member(update, context)
        if member is None:
            return
        command = "on" if enabled else "off"
        if not context.args:
            await reply(update, texts.on_off_usage(command))
            return
        routines = parse_routines(" ".join(context.args))
        if routines is None:
            await reply(update, texts.unknown_routine(" ".join(context.args), or_all=True))
            return
        await self.services.actions.switch(member, routines, enabled)
        if len(routines) == len(Routine):
            await reply(update, texts.switched_all(enabled))
        else:
            await reply(update, texts.switched(routines[0], enabled))

    async def pause(self, update: Update, context: Context) -> None:
        """/pause [days]: holiday mode, until /resume when no days are given."""
        member = await self.member(update, context)
        if member is None:
            return
        days = parse_days(" ".join(context.args)) if context.args else None
        if context.args and days is None:
            await reply(update, texts.pause_usage())
            return
        until = await self.services.actions.pause(member, days)
        await reply(update, texts.paused(until))

    async def resume(self, update: Update, context: Context) -> None:
        """/resume: end holiday mode now."""
        member = await self.member(update, context)
        if member is None:
            return
        was_paused = await self.services.actions.resume(member)
        await reply(update, texts.resumed(was_paused))

    async def snooze(self, update: Update, context: Context) -> None:
        """/snooze <minutes>: how long the snooze button waits."""
        member = await self.member(update, context)
        if member is None:
            return
        low, high = SNOOZE_MINUTES
        minutes = (
            parse_minutes(" ".join(context.args), low=low, high=high) if context.args else None
        )
        if minutes is None:
            await reply(update, texts.snooze_usage(member.user.snooze_minutes))
            return
        await self.services.actions.set_snooze(member, minutes)
        await reply(update, texts.snooze_set(minutes))

    async def nag(self, update: Update, context: Context) -> None:
        """/nag <minutes> <times> or /nag off."""
        member = await self.member(update, context)
        if member is None:
            return
        parsed = parse_nag(context.args or [])
        if parsed is None:
            await reply(update, texts.nag_usage())
        elif parsed == NAG_OFF:
            await self.services.actions.nag_off(member)
            await reply(update, texts.nag_off())
        else:
            minutes, times = parsed
            await self.services.actions.set_nag(member, minutes, times)
            await reply(update, texts.nag_set(minutes, times))


def _times_refused(rejected: TimesRejected) -> str:
    """The reply to times /set could not use, naming what was wrong."""
    if rejected.problem is TimesProblem.TOO_MANY:
        return texts.too_many_times()
    if rejected.problem is TimesProblem.MISSING:
        return texts.set_usage()
    if rejected.problem is TimesProblem.NOT_A_DAY:
        return texts.bad_days(rejected.token)
    return texts.bad_times(rejected.token)
