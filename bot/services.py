"""What the handlers share: settings, clock, repository, dispatcher, FAQ index, and plan changes.

Plan changes are small use cases (compute due instants with the domain, store them, wake the
dispatcher); they live here so every handler that changes a plan does it the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from time import monotonic

from bot.dispatcher import Clock, Dispatcher, Elapsed
from bot.faq import FaqIndex
from bot.repo import PlanEntry, Repository, User
from bot.settings import Settings
from schedules.nudges import first_due, next_summary
from schedules.recurrence import Weekdays
from schedules.routines import DEFAULT_TIMES, Routine
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


class Services:
    """The composition root's objects, reachable from every handler; storage opens in post_init."""

    def __init__(
        self, settings: Settings, clock: Clock, faq: FaqIndex, elapsed: Elapsed = monotonic
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.elapsed = elapsed
        self.faq = faq
        self._repo: Repository | None = None
        self._dispatcher: Dispatcher | None = None

    async def open(self) -> None:
        """Open (and migrate) the database; called from PTB's post_init."""
        self._repo = await Repository.open(self.settings.database_path)
        self._dispatcher = Dispatcher(
            self._repo,
            self.clock,
            self.settings.catch_up,
            max_in_flight=self.settings.max_in_flight,
            elapsed=self.elapsed,
        )

    async def close(self) -> None:
        """Close the database; called from PTB's post_shutdown."""
        if self._repo is not None:
            await self._repo.close()
            self._repo = None

    @property
    def repo(self) -> Repository:
        """The open repository."""
        assert self._repo is not None, "Services.open() has not run"
        return self._repo

    @property
    def dispatcher(self) -> Dispatcher:
        """The running dispatcher."""
        assert self._dispatcher is not None, "Services.open() has not run"
        return self._dispatcher

    def now(self) -> datetime:
        """The current instant from the injected clock."""
        return self.clock()

    async def _wake_for(self, user_id: int) -> None:
        plan = await self.repo.get_plan(user_id)
        dues = [entry.next_due for entry in plan if entry.next_due is not None]
        if dues:
            self.dispatcher.wake_at(min(dues))

    async def set_zone(self, user: User, zone: str) -> list[PlanEntry]:
        """Move the user's plan to a new zone, creating the default plan on first use."""
        now = self.now()
        tz = resolve_zone(zone)
        plan = await self.repo.get_plan(user.user_id)
        if not plan:
            first = {
                (routine, at): first_due(at, tz, now)
                for routine, times in DEFAULT_TIMES.items()
                for at in times
            }
            summary = next_summary(tz, now) if user.weekly_summary else None
            await self.repo.start_plan(user.user_id, zone, DEFAULT_TIMES, first, summary)
            await self._wake_for(user.user_id)
            return await self.repo.get_plan(user.user_id)
        taken = await self.repo.recorded_dues(user.user_id, now)
        dues = {
            (entry.routine, at): first_due(
                at, tz, now, entry.days, taken=taken.get((entry.routine, at), ())
            )
            for entry in plan
            if entry.enabled
            for at in entry.times
        }
        await self.repo.set_zone(user.user_id, zone, dues)
        if user.weekly_summary:
            summary = next_summary(tz, now)
            await self.repo.set_weekly_summary(user.user_id, summary)
        await self._wake_for(user.user_id)
        return await self.repo.get_plan(user.user_id)

    async def set_times(
        self,
        user: User,
        routine: Routine,
        times: Iterable[time] | None,
        days: Weekdays | None = None,
    ) -> PlanEntry:
        """Replace a routine's daily times and/or weekdays (and switch it on).

        What is not given (None) is kept, so "/set yoga 08:00" keeps a Mon/Wed/Fri plan's days
        and "/set yoga weekends" keeps its times.
        """
        current = await self._entry(user, routine)
        return await self._store(
            user,
            routine,
            enabled=True,
            times=current.times if times is None else tuple(times),
            days=current.days if days is None else days,
        )

    async def set_enabled(self, user: User, routine: Routine, enabled: bool) -> PlanEntry:
        """Switch a routine on or off, keeping its times and weekdays."""
        current = await self._entry(user, routine)
        return await self._store(
            user, routine, enabled=enabled, times=current.times, days=current.days
        )

    async def _entry(self, user: User, routine: Routine) -> PlanEntry:
        """The routine as planned now, or its default (daily, default times) if never planned."""
        current = {entry.routine: entry for entry in await self.repo.get_plan(user.user_id)}
        if routine in current:
            return current[routine]
        return PlanEntry(routine, False, DEFAULT_TIMES[routine], None)

    async def _store(
        self,
        user: User,
        routine: Routine,
        *,
        enabled: bool,
        times: tuple[time, ...],
        days: Weekdays,
    ) -> PlanEntry:
        assert user.zone is not None
        tz = resolve_zone(user.zone)
        now = self.now()
        taken = await self.repo.recorded_dues(user.user_id, now)
        dues = {
            at: first_due(at, tz, now, days, taken=taken.get((routine, at), ())) for at in times
        }
        await self.repo.set_plan(
            user.user_id, routine, enabled=enabled, times=times, dues=dues, days=days
        )
        await self._wake_for(user.user_id)
        plan = {entry.routine: entry for entry in await self.repo.get_plan(user.user_id)}
        return plan[routine]
