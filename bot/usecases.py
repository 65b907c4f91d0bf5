"""Every change a handler makes, one short named method each: handler → use case → repository.

A button press or a command can be followed in three files: its handler in ``bot/handlers/``
parses the update and calls one method of :class:`UseCases`; the method asks the domain
(``schedules/``) what follows, writes it through ``bot/repo.py`` (one transaction where one
suffices), wakes the dispatcher when a send moved earlier, and returns what the handler renders
with ``bot/texts.py``. Handlers may still read through the repository (/today, /stats); they
never write through it. Guided yoga sessions are the one exception: their writes live with
their timing in ``bot/yoga.py``'s ``YogaCoach``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from bot.dispatcher import Clock, Dispatcher
from bot.intake import intake_by_day
from bot.repo import Answer, Nudge, PlanEntry, Repository, User
from schedules.nudges import (
    Outcome,
    first_due,
    next_summary,
    pause_until,
    place_occurrence,
    snooze_until,
)
from schedules.recurrence import Weekdays, local_date, occurrence
from schedules.routines import DEFAULT_TIMES, Routine
from schedules.supplements import Dose, Food, Intake
from schedules.zones import resolve_zone


@dataclass(frozen=True, slots=True)
class Member:
    """A user who finished set-up, with their zone resolved once for everything that follows."""

    user: User
    zone: str
    tz: tzinfo

    @classmethod
    def of(cls, user: User) -> Member | None:
        """The member a stored user is, or None while they have no zone yet."""
        return None if user.zone is None else cls(user, user.zone, resolve_zone(user.zone))

    def local(self, instant: datetime | None) -> datetime | None:
        """An instant on the member's clock (None stays None)."""
        return instant.astimezone(self.tz) if instant is not None else None

    def next_send(self, entry: PlanEntry) -> datetime | None:
        """When a routine of theirs really sends next, holiday mode applied, on their clock."""
        return self.local(entry.next_send(self.tz, self.user.paused_until))


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """An answer as recorded, and when a snooze it started brings the nudge back."""

    answer: Answer
    back: datetime | None
    """On the member's clock; None unless this answer snoozed the nudge."""


class UseCases:
    """The writes handlers make; built by ``Services.open`` and reached as ``services.actions``."""

    def __init__(
        self, repo: Repository, dispatcher: Dispatcher, clock: Clock, catch_up: timedelta
    ) -> None:
        self._repo = repo
        self._dispatcher = dispatcher
        self._clock = clock
        self._catch_up = catch_up

    # --- who is here -------------------------------------------------------------------------

    async def register(self, user_id: int, chat_id: int) -> User:
        """/start: a new user, or a returning one (who may have blocked the bot) active again."""
        user, _ = await self._repo.register(user_id, chat_id, self._clock())
        return user

    async def deactivate(self, user_id: int) -> None:
        """The user blocked the bot or is gone: no more nudges until they /start again."""
        await self._repo.deactivate(user_id)

    async def forget(self, user_id: int) -> bool:
        """Delete everything held on the user; False when nothing was."""
        return await self._repo.forget(user_id)

    # --- answering nudges --------------------------------------------------------------------

    async def answer(self, member: Member, nudge_id: int, outcome: Outcome) -> AnswerResult | None:
        """Done, snooze or skip on the member's own nudge; None when it is not theirs."""
        user = member.user
        now = self._clock()
        snooze_to = snooze_until(now, user.snooze_minutes) if outcome is Outcome.SNOOZED else None
        answer = await self._repo.answer(user.user_id, nudge_id, outcome, now, snooze_to)
        if answer is None:
            return None
        if snooze_to is not None and answer.changed:
            self._dispatcher.wake_at(snooze_to)
        return AnswerResult(answer, member.local(snooze_to) if answer.changed else None)

    async def done_early(
        self, member: Member, routine: Routine, day: date, at: time
    ) -> bool | None:
        """Mark one of today's planned times done before it is sent, so it is not sent today.

        True when marked, False when it was already closed, None when the button is stale: it
        is for another day, or the plan changed and today became a rest day.
        """
        now = self._clock()
        if day != local_date(now, member.tz):
            return None
        plan = {entry.routine: entry for entry in await self._repo.get_plan(member.user.user_id)}
        if routine in plan and day.weekday() not in plan[routine].days:
            return None
        occ = place_occurrence(
            routine,
            at,
            member.tz,
            occurrence(day, at, member.tz),
            now=now,
            catch_up=self._catch_up,
            paused_until=None,
        )
        return await self._repo.mark_done_early(member.user.user_id, occ, now)

    async def note(self, user_id: int, message_id: int, text: str) -> Nudge | None:
        """A reply's text becomes a note on the nudge that message is; None if it is none.

        Raises :class:`bot.repo.NoteFull`, storing nothing, when the note would grow too long.
        """
        return await self._repo.add_note(user_id, message_id, text, self._clock())

    # --- the plan: zone, times, days, on/off -------------------------------------------------

    async def set_zone(self, user: User, zone: str) -> Member:
        """Move the user's plan to a new zone, creating the default plan on first use."""
        now = self._clock()
        tz = resolve_zone(zone)
        plan = await self._repo.get_plan(user.user_id)
        if not plan:
            first = {
                (routine, at): first_due(at, tz, now)
                for routine, times in DEFAULT_TIMES.items()
                for at in times
            }
            summary = next_summary(tz, now) if user.weekly_summary else None
            await self._repo.start_plan(user.user_id, zone, DEFAULT_TIMES, first, summary)
        else:
            taken = await self._repo.recorded_dues(user.user_id, now)
            dues = {
                (entry.routine, at): first_due(
                    at, tz, now, entry.days, taken=taken.get((entry.routine, at), ())
                )
                for entry in plan
                if entry.enabled
                for at in entry.times
            }
            await self._repo.set_zone(user.user_id, zone, dues, next_summary(tz, now))
        self._wake_for(await self._repo.get_plan(user.user_id))
        return Member(replace(user, zone=zone), zone, tz)

    async def set_times(
        self,
        member: Member,
        routine: Routine,
        times: Iterable[time] | None,
        days: Weekdays | None = None,
    ) -> PlanEntry:
        """Replace a routine's daily times and/or weekdays (and switch it on).

        What is not given (None) is kept, so "/set yoga 08:00" keeps a Mon/Wed/Fri plan's days
        and "/set yoga weekends" keeps its times.
        """
        current = await self._entry(member, routine)
        return await self._store(
            member,
            routine,
            enabled=True,
            times=current.times if times is None else tuple(times),
            days=current.days if days is None else days,
        )

    async def switch(self, member: Member, routines: Iterable[Routine], enabled: bool) -> None:
        """Switch routines on or off, keeping their times and weekdays."""
        for routine in routines:
            current = await self._entry(member, routine)
            await self._store(
                member, routine, enabled=enabled, times=current.times, days=current.days
            )

    # --- how insistently: holiday mode, snooze, nag --------------------------------------------

    async def pause(self, member: Member, days: int | None) -> datetime:
        """Holiday mode for ``days`` (until /resume when None); when it ends, on their clock."""
        until = pause_until(self._clock(), days)
        await self._repo.set_paused(member.user.user_id, until)
        return until.astimezone(member.tz)

    async def resume(self, member: Member) -> bool:
        """End holiday mode now; whether it was on."""
        paused_until = member.user.paused_until
        was_paused = paused_until is not None and paused_until > self._clock()
        await self._repo.set_paused(member.user.user_id, None)
        return was_paused

    async def set_snooze(self, member: Member, minutes: int) -> None:
        """How long ⏰ Snooze waits from now on."""
        await self._repo.set_snooze(member.user.user_id, minutes)

    async def set_nag(self, member: Member, minutes: int, times: int) -> None:
        """Re-send an unanswered nudge every ``minutes``, at most ``times`` times."""
        await self._repo.set_nag(member.user.user_id, minutes, times)

    async def nag_off(self, member: Member) -> None:
        """No more re-sends, including those already queued."""
        await self._repo.set_nag(member.user.user_id, None, 0)

    # --- the weekly summary --------------------------------------------------------------------

    async def summary_on(self, member: Member) -> datetime:
        """The weekly summary on; when the first one comes, on their clock."""
        upcoming = next_summary(member.tz, self._clock())
        await self._repo.set_weekly_summary(member.user.user_id, upcoming)
        self._dispatcher.wake_at(upcoming)
        return upcoming.astimezone(member.tz)

    async def summary_off(self, user_id: int) -> None:
        """No weekly summary (also from its own opt-out button, which needs no zone)."""
        await self._repo.set_weekly_summary(user_id, None)

    # --- calcium and vitamin D -----------------------------------------------------------------

    async def set_dose(self, member: Member, dose: Dose) -> None:
        """From the member's today on, what one ✅ on a supplement nudge stands for."""
        today = local_date(self._clock(), member.tz)
        await self._repo.set_dose(member.user.user_id, today, dose)

    async def add_food(self, member: Member, food: Food) -> Intake:
        """Food on the member's today; that day's calcium and vitamin D so far."""
        now = self._clock()
        today = local_date(now, member.tz)
        await self._repo.add_food(member.user.user_id, today, food, now)
        return (await intake_by_day(self._repo, member.user.user_id, [today]))[today]

    # --- helpers of the plan changes ------------------------------------------------------------

    async def _entry(self, member: Member, routine: Routine) -> PlanEntry:
        """The routine as planned now, or its default (daily, default times) if never planned."""
        current = {entry.routine: entry for entry in await self._repo.get_plan(member.user.user_id)}
        if routine in current:
            return current[routine]
        return PlanEntry(routine, False, DEFAULT_TIMES[routine], None)

    async def _store(
        self,
        member: Member,
        routine: Routine,
        *,
        enabled: bool,
        times: tuple[time, ...],
        days: Weekdays,
    ) -> PlanEntry:
        user_id = member.user.user_id
        now = self._clock()
        taken = await self._repo.recorded_dues(user_id, now)
        dues = {
            at: first_due(at, member.tz, now, days, taken=taken.get((routine, at), ()))
            for at in times
        }
        await self._repo.set_plan(
            user_id, routine, enabled=enabled, times=times, dues=dues, days=days
        )
        plan = await self._repo.get_plan(user_id)
        self._wake_for(plan)
        return next(entry for entry in plan if entry.routine is routine)

    def _wake_for(self, plan: Iterable[PlanEntry]) -> None:
        """A plan change may bring a send forward: the dispatcher must not sleep past it."""
        dues = [entry.next_due for entry in plan if entry.next_due is not None]
        if dues:
            self._dispatcher.wake_at(min(dues))
