"""Daily recurrence of a local wall-clock time in a user's zone.

APScheduler's CronTrigger fires twice on a fall-back night and shifts spring-forward times by
the gap, so occurrences are computed here from one candidate per local date: a time that does
not exist that day fires at the first valid minute after it, a time that occurs twice fires
once (the first time). Every function takes ``now``/``after`` as an argument.

A routine may be planned on some weekdays only ("mon wed fri"): its days are a set of
``date.weekday()`` values (0 = Monday, unlike PTB's ``days`` where 0 is Sunday), and an
occurrence is only ever placed on a local date whose weekday is in the set.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

_MINUTE = timedelta(minutes=1)

Weekdays = frozenset[int]
"""The local weekdays a routine is planned on, as ``date.weekday()`` values (0 = Monday)."""

EVERY_DAY: Weekdays = frozenset(range(7))
"""A daily routine's days."""

ALL_DAYS_MASK = 0b1111111
"""``days_mask(EVERY_DAY)``: the stored value of a daily routine."""


def days_mask(days: Weekdays) -> int:
    """The days as a 7-bit mask (bit 0 = Monday), the form they are stored in."""
    return sum(1 << day for day in days if 0 <= day <= 6)


def mask_days(mask: int) -> Weekdays:
    """The days of a stored 7-bit mask; an empty or out-of-range mask means every day."""
    days = frozenset(day for day in range(7) if mask >> day & 1)
    return days or EVERY_DAY


def _exists(local: datetime) -> bool:
    """Whether a naive-equivalent wall time survives a round trip through UTC."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def occurrence(day: date, at: time, tz: tzinfo) -> datetime:
    """The UTC instant of wall time ``at`` on local ``day``, shifted out of a DST gap."""
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz)
    while not _exists(local):
        local = (local + _MINUTE).replace(second=0, microsecond=0)
    return local.astimezone(UTC)


def next_occurrence(at: time, tz: tzinfo, after: datetime, days: Weekdays = EVERY_DAY) -> datetime:
    """The first occurrence of ``at`` strictly after the instant ``after`` on one of ``days``."""
    if not days & EVERY_DAY:
        raise ValueError(f"no weekday to plan on: {sorted(days)}")
    day = after.astimezone(tz).date()
    while True:
        if day.weekday() in days:
            candidate = occurrence(day, at, tz)
            if candidate > after:
                return candidate
        day += timedelta(days=1)


def local_date(instant: datetime, tz: tzinfo) -> date:
    """The user's calendar date at ``instant``."""
    return instant.astimezone(tz).date()


def day_start(day: date, tz: tzinfo) -> datetime:
    """The UTC instant the local ``day`` begins (midnight, or the end of a gap at midnight)."""
    return occurrence(day, time(0, 0), tz)


def day_end(day: date, tz: tzinfo) -> datetime:
    """The UTC instant the local ``day`` ends; unanswered nudges turn missed then."""
    return day_start(day + timedelta(days=1), tz)


def next_weekly(weekday: int, at: time, tz: tzinfo, after: datetime) -> datetime:
    """The next local ``weekday`` (0 = Monday, as ``date.weekday``) at ``at`` after ``after``."""
    candidate = next_occurrence(at, tz, after)
    while local_date(candidate, tz).weekday() != weekday:
        candidate = next_occurrence(at, tz, candidate)
    return candidate
