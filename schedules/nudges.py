"""What happens to one nudge: its outcome, when it is due, and whether it still should go out.

A nudge is one routine at one scheduled local time on one local date. These rules decide, from
plain values and an explicit ``now``, whether a due occurrence is sent, recorded as paused, or
counted as missed because the bot was down for longer than the catch-up window.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from schedules.recurrence import (
    EVERY_DAY,
    Weekdays,
    day_end,
    local_date,
    next_occurrence,
    next_weekly,
)
from schedules.routines import Routine


class Outcome(StrEnum):
    """What became of a nudge; the value is stored in the database."""

    PENDING = "pending"
    DONE = "done"
    SNOOZED = "snoozed"
    SKIPPED = "skipped"
    MISSED = "missed"
    PAUSED = "paused"


SUMMARY_WEEKDAY = 6
SUMMARY_TIME = time(19, 0)
"""The weekly summary goes out on the user's Sunday evening."""

OPEN_OUTCOMES = frozenset({Outcome.PENDING, Outcome.SNOOZED})
"""Outcomes a button press or the end of the day can still change."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One scheduled nudge, placed in the user's calendar."""

    routine: Routine
    local_date: date
    local_time: time
    due: datetime
    day_end: datetime
    answer_until: datetime
    outcome: Outcome
    next_due: datetime


def place_occurrence(
    routine: Routine,
    at: time,
    tz: tzinfo,
    due: datetime,
    *,
    now: datetime,
    catch_up: timedelta,
    paused_until: datetime | None,
    days: Weekdays = EVERY_DAY,
) -> Occurrence:
    """Decide the fate of the occurrence due at ``due`` and find the one after it.

    A nudge due while the user is on holiday is recorded as paused; one that fell due longer
    ago than ``catch_up`` (the bot was down) is missed rather than sent in the middle of the night.
    The next one falls on the routine's next planned weekday (``days``), so off days get nothing.
    """
    day = local_date(due, tz)
    if paused_until is not None and due < paused_until:
        outcome = Outcome.PAUSED
    elif now - due > catch_up:
        outcome = Outcome.MISSED
    else:
        outcome = Outcome.PENDING
    return Occurrence(
        routine=routine,
        local_date=day,
        local_time=at,
        due=due,
        day_end=day_end(day, tz),
        answer_until=day_end(day + timedelta(days=1), tz),
        outcome=outcome,
        next_due=next_occurrence(at, tz, due, days),
    )


def first_due(
    at: time,
    tz: tzinfo,
    now: datetime,
    days: Weekdays = EVERY_DAY,
    *,
    taken: Collection[datetime] = (),
) -> datetime:
    """The first time a newly planned slot falls due: its next occurrence from now on ``days``.

    Occurrences in ``taken`` already have their nudge (marked done early, say): the dispatcher
    would not send them again, so they are not the slot's next due time either.
    """
    due = next_occurrence(at, tz, now, days)
    while due in taken:
        due = next_occurrence(at, tz, due, days)
    return due


PAUSED_UNTIL_RESUMED = datetime(9000, 1, 1, tzinfo=UTC)
"""Holiday mode without a number of days lasts until /resume; far enough, and safe in any zone."""


def pause_until(now: datetime, days: int | None) -> datetime:
    """When holiday mode ends: after ``days``, or only on /resume."""
    return PAUSED_UNTIL_RESUMED if days is None else now + timedelta(days=days)


def snooze_until(now: datetime, minutes: int) -> datetime:
    """When a snoozed nudge comes back."""
    return now + timedelta(minutes=minutes)


def next_summary(tz: tzinfo, after: datetime) -> datetime:
    """When the next weekly summary is due: the user's next Sunday at 19:00."""
    return next_weekly(SUMMARY_WEEKDAY, SUMMARY_TIME, tz, after)
