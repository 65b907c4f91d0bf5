"""Habit statistics — streaks, adherence and habit strength — as pure functions of day states.

Statistics are what keep people coming back, so they must be fair and predictable: a rest day
or holiday must never cost a streak, an unfinished today must never count against you, and one
bad day after weeks of effort should dent, not erase, your progress. Everything here is keyed
by the user's *local* calendar date (a DST day with 23 or 25 hours is still one date) and takes
``today`` as a parameter instead of reading the clock, so every rule is deterministic and
unit-testable; the exact rules are spelled out in the comment below the imports.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from schedules.nudges import Outcome
from schedules.routines import Routine

# Semantics, in one place:
#
# * :func:`day_state` folds a day's nudge outcomes: any ``missed`` → MISSED; otherwise any
#   ``pending``/``snoozed`` → OPEN; otherwise any ``done`` → DONE (skipped/paused nudges beside a
#   done one don't spoil it); otherwise (all skipped/paused) → SKIPPED; no nudges → NONE.
# * A day before ``today`` that is still OPEN has ended unfinished and counts as MISSED; an OPEN
#   ``today`` is not judged yet. SKIPPED and NONE days are neutral everywhere: they neither
#   extend nor break a streak, are left out of adherence, and leave strength unchanged. Days
#   before ``joined`` and after ``today`` are ignored.
# * Only planned days count: a routine gets nudges only on its planned weekdays, so an off day
#   (Tuesday in a Mon/Wed/Fri plan) has no nudges, is NONE, and neither breaks a streak nor
#   lowers adherence; the streak counts planned days done in a row.
# * Current streak: consecutive DONE days, neutral days passed over, ending today — or ending
#   yesterday while today is not DONE yet (OPEN/SKIPPED/NONE). A MISSED day ends it.
# * Adherence over N days: done / (done + missed) over the N calendar days ending ``today``
#   (on or after ``joined``); ``None`` when nothing was judged (shown as "—").
# * Strength: Loop Habit Tracker's exponential smoothing, ``s = s·m + checkmark·(1 - m)`` with
#   ``m = 0.5 ** (1/13)`` for a daily habit, from 0 on ``joined``; DONE is checkmark 1, MISSED
#   is 0, neutral days and an OPEN today leave it unchanged. 13 perfect days reach 50%.

__all__ = [
    "STRENGTH_MULTIPLIER",
    "DayState",
    "Outcome",
    "RoutineStats",
    "adherence",
    "current_streak",
    "day_state",
    "day_states",
    "routine_stats",
    "settled_state",
    "streaks",
    "strength",
    "weekly_adherence",
]

STRENGTH_MULTIPLIER: float = 0.5 ** (math.sqrt(1.0) / 13.0)
"""Loop Habit Tracker's daily decay factor (~0.948): half-life of 13 days."""

_ONE_DAY = timedelta(days=1)


class DayState(StrEnum):
    """The verdict on one routine for one local date."""

    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"
    OPEN = "open"
    NONE = "none"


@dataclass(frozen=True)
class RoutineStats:
    """Streaks, adherence and strength of one routine as of ``today``."""

    routine: Routine
    current_streak: int
    best_streak: int
    adherence_7: float | None
    adherence_30: float | None
    strength: float
    done_7: int
    due_7: int
    done_30: int
    due_30: int


def day_state(outcomes: Iterable[Outcome]) -> DayState:
    """Fold one day's nudge outcomes into a verdict (MISSED > OPEN > DONE > SKIPPED > NONE)."""
    seen = set(outcomes)
    if not seen:
        return DayState.NONE
    if Outcome.MISSED in seen:
        return DayState.MISSED
    if seen & {Outcome.PENDING, Outcome.SNOOZED}:
        return DayState.OPEN
    if Outcome.DONE in seen:
        return DayState.DONE
    return DayState.SKIPPED


def day_states(nudges: Iterable[tuple[date, Outcome]]) -> dict[date, DayState]:
    """Group ``(local date, outcome)`` pairs of one routine into a verdict per date."""
    by_day: defaultdict[date, list[Outcome]] = defaultdict(list)
    for day, outcome in nudges:
        by_day[day].append(outcome)
    return {day: day_state(outcomes) for day, outcomes in sorted(by_day.items())}


def settled_state(days: Mapping[date, DayState], day: date, today: date) -> DayState:
    """The state of ``day`` as judged on ``today``: a past OPEN day counts as MISSED."""
    # Public so that displays (the chart) colour a day exactly as the statistics count it.
    state = days.get(day, DayState.NONE)
    if state is DayState.OPEN and day < today:
        return DayState.MISSED
    return state


def _span(start: date, end: date) -> Iterable[date]:
    """Every date from ``start`` to ``end`` inclusive (nothing if ``start > end``)."""
    day = start
    while day <= end:
        yield day
        day += _ONE_DAY


def _first_day(days: Mapping[date, DayState], joined: date | None) -> date | None:
    """The earliest date that counts: ``joined``, or the earliest key when unknown."""
    if joined is not None:
        return joined
    return min(days, default=None)


def streaks(
    days: Mapping[date, DayState], *, today: date, joined: date | None = None
) -> tuple[int, int]:
    """Return ``(current, best)`` streaks of DONE days from ``joined`` up to ``today``."""
    start = _first_day(days, joined)
    if start is None or start > today:
        return 0, 0
    run = best = 0
    for day in _span(start, today):
        state = settled_state(days, day, today)
        if state is DayState.DONE:
            run += 1
            best = max(best, run)
        elif state is DayState.MISSED:
            run = 0
    return run, best


def current_streak(
    days: Mapping[date, DayState], *, today: date, joined: date | None = None
) -> int:
    """Consecutive DONE days ending today (or yesterday while today is unfinished)."""
    return streaks(days, today=today, joined=joined)[0]


def _counts(
    days: Mapping[date, DayState], *, today: date, window: int, joined: date | None
) -> tuple[int, int]:
    """Return ``(done, due)`` over the ``window`` days ending ``today``, from ``joined`` on."""
    start = today - timedelta(days=window - 1)
    if joined is not None:
        start = max(start, joined)
    done = missed = 0
    for day in _span(start, today):
        state = settled_state(days, day, today)
        if state is DayState.DONE:
            done += 1
        elif state is DayState.MISSED:
            missed += 1
    return done, done + missed


def _ratio(done: int, due: int) -> float | None:
    """``done / due``, or ``None`` when nothing was due."""
    return done / due if due else None


def adherence(
    days: Mapping[date, DayState], *, today: date, window: int, joined: date | None = None
) -> float | None:
    """Share of judged days that were DONE over the ``window`` days ending ``today``."""
    if window < 1:
        raise ValueError(f"window must be at least one day, got {window}")
    return _ratio(*_counts(days, today=today, window=window, joined=joined))


def weekly_adherence(
    days: Mapping[date, DayState], *, week_end: date, joined: date | None = None
) -> float | None:
    """Adherence over the 7 days ending ``week_end``, for the Sunday summary."""
    return adherence(days, today=week_end, window=7, joined=joined)


def strength(days: Mapping[date, DayState], *, today: date, joined: date | None = None) -> float:
    """Loop-style habit strength in ``[0, 1]``: exponentially smoothed DONE/MISSED history."""
    start = _first_day(days, joined)
    score = 0.0
    if start is None:
        return score
    for day in _span(start, today):
        state = settled_state(days, day, today)
        if state is DayState.DONE:
            score = score * STRENGTH_MULTIPLIER + (1.0 - STRENGTH_MULTIPLIER)
        elif state is DayState.MISSED:
            score *= STRENGTH_MULTIPLIER
    return min(max(score, 0.0), 1.0)


def routine_stats(
    routine: Routine, days: Mapping[date, DayState], *, today: date, joined: date
) -> RoutineStats:
    """Compute every statistic of one routine as of ``today`` for a user who joined ``joined``."""
    current, best = streaks(days, today=today, joined=joined)
    done_7, due_7 = _counts(days, today=today, window=7, joined=joined)
    done_30, due_30 = _counts(days, today=today, window=30, joined=joined)
    return RoutineStats(
        routine=routine,
        current_streak=current,
        best_streak=best,
        adherence_7=_ratio(done_7, due_7),
        adherence_30=_ratio(done_30, due_30),
        strength=strength(days, today=today, joined=joined),
        done_7=done_7,
        due_7=due_7,
        done_30=done_30,
        due_30=due_30,
    )
