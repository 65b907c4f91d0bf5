"""Unit tests for the habit statistics in ``schedules.stats``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedules.nudges import Outcome
from schedules.routines import Routine
from schedules.stats import (
    STRENGTH_MULTIPLIER,
    DayState,
    RoutineStats,
    adherence,
    current_streak,
    day_state,
    day_states,
    routine_stats,
    streaks,
    strength,
    weekly_adherence,
)

TODAY = date(2026, 6, 15)
D, S, M, OP, N = DayState.DONE, DayState.SKIPPED, DayState.MISSED, DayState.OPEN, DayState.NONE


def history(*states: DayState, end: date = TODAY) -> dict[date, DayState]:
    """Map the given states onto consecutive dates, the last one on ``end``."""
    first = end - timedelta(days=len(states) - 1)
    return {first + timedelta(days=i): s for i, s in enumerate(states) if s is not N}


# --- day_state -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([], N),
        ([Outcome.DONE], D),
        ([Outcome.DONE, Outcome.DONE], D),
        ([Outcome.DONE, Outcome.SKIPPED], D),
        ([Outcome.PAUSED, Outcome.DONE], D),
        ([Outcome.SKIPPED], S),
        ([Outcome.PAUSED], S),
        ([Outcome.SKIPPED, Outcome.PAUSED], S),
        ([Outcome.MISSED], M),
        ([Outcome.DONE, Outcome.MISSED], M),
        ([Outcome.MISSED, Outcome.PENDING], M),
        ([Outcome.SKIPPED, Outcome.MISSED], M),
        ([Outcome.PENDING], OP),
        ([Outcome.SNOOZED], OP),
        ([Outcome.DONE, Outcome.PENDING], OP),
        ([Outcome.SKIPPED, Outcome.SNOOZED], OP),
    ],
)
def test_day_state(outcomes: list[Outcome], expected: DayState) -> None:
    assert day_state(outcomes) is expected


def test_day_state_accepts_iterators() -> None:
    assert day_state(iter([Outcome.DONE, Outcome.PAUSED])) is D


def test_outcome_values_match_storage() -> None:
    assert {o.value for o in Outcome} == {
        "pending",
        "done",
        "snoozed",
        "skipped",
        "missed",
        "paused",
    }


def test_day_states_groups_by_date() -> None:
    a, b = date(2026, 1, 1), date(2026, 1, 2)
    got = day_states([(a, Outcome.DONE), (b, Outcome.DONE), (a, Outcome.MISSED)])
    assert got == {a: M, b: D}


# --- streaks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "current", "best"),
    [
        pytest.param([], 0, 0, id="empty"),
        pytest.param([D], 1, 1, id="done-today"),
        pytest.param([D, D, D], 3, 3, id="three-done"),
        pytest.param([D, D, OP], 2, 2, id="open-today-keeps-yesterday"),
        pytest.param([D, D, N], 2, 2, id="none-today-keeps-yesterday"),
        pytest.param([D, D, M], 0, 2, id="missed-today-breaks"),
        pytest.param([D, D, S, D], 3, 3, id="skip-neither-breaks-nor-extends"),
        pytest.param([D, S, S, S, D], 2, 2, id="long-holiday-bridged"),
        pytest.param([D, D, N, D], 3, 3, id="no-nudge-day-neutral"),
        pytest.param([D, D, S], 2, 2, id="skipped-today"),
        pytest.param([D, D, D, M, D], 1, 3, id="missed-breaks-best-kept"),
        pytest.param([D, M, D, D, OP], 2, 2, id="open-today-after-miss"),
        pytest.param([D, D, OP, D], 1, 2, id="past-open-counts-as-missed"),
        pytest.param([M, M, M], 0, 0, id="all-missed"),
        pytest.param([S, S, OP], 0, 0, id="only-rest-days"),
    ],
)
def test_streaks(states: list[DayState], current: int, best: int) -> None:
    days = history(*states)
    joined = TODAY - timedelta(days=max(len(states) - 1, 0))
    assert streaks(days, today=TODAY, joined=joined) == (current, best)
    assert current_streak(days, today=TODAY, joined=joined) == current
    stats = routine_stats(Routine.YOGA, days, today=TODAY, joined=joined)
    assert (stats.current_streak, stats.best_streak) == (current, best)


def test_days_before_joining_are_ignored() -> None:
    days = history(D, D, D, D, M, M, D, D)
    joined = TODAY - timedelta(days=1)  # only the last two days count
    assert streaks(days, today=TODAY, joined=joined) == (2, 2)
    # a miss before joining does not break the streak that starts on the joining day
    days = history(M, D, D)
    assert streaks(days, today=TODAY, joined=TODAY - timedelta(days=1)) == (2, 2)


def test_days_after_today_are_ignored() -> None:
    days = history(D, D) | {TODAY + timedelta(days=1): M}
    assert streaks(days, today=TODAY, joined=TODAY - timedelta(days=5)) == (2, 2)


def test_joined_in_the_future_gives_zeroes() -> None:
    stats = routine_stats(Routine.YOGA, history(D, D), today=TODAY, joined=TODAY + timedelta(1))
    assert stats == RoutineStats(Routine.YOGA, 0, 0, None, None, 0.0, 0, 0, 0, 0)


def test_joined_defaults_to_earliest_recorded_day() -> None:
    assert streaks(history(M, D, D), today=TODAY) == (2, 2)
    assert streaks({}, today=TODAY) == (0, 0)


@given(st.lists(st.sampled_from(list(DayState)), max_size=60))
def test_streak_invariants(states: list[DayState]) -> None:
    days = history(*states) if states else {}
    joined = TODAY - timedelta(days=max(len(states) - 1, 0))
    current, best = streaks(days, today=TODAY, joined=joined)
    assert 0 <= current <= best <= sum(s is D for s in states)
    if states and states[-1] is M:
        assert current == 0


# --- adherence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param([], None, id="no-history"),
        pytest.param([OP], None, id="only-open-today"),
        pytest.param([S, S, S], None, id="only-rest-days"),
        pytest.param([D], 1.0, id="done-today-counts"),
        pytest.param([M], 0.0, id="missed-today-counts"),
        pytest.param([D, D, D, OP], 1.0, id="open-today-not-counted"),
        pytest.param([D, M, OP], 0.5, id="open-today-not-counted-mixed"),
        pytest.param([D, S, M, S], 0.5, id="skips-out-of-denominator"),
        pytest.param([D, D, D, N, M], 0.75, id="none-out-of-denominator"),
        pytest.param([D, OP, D, D], 0.75, id="past-open-is-missed"),
        pytest.param([M, M, D, D, D, D, D, D, D], 1.0, id="window-is-seven-days"),
        pytest.param([M, D, D, D, D, D, D, OP], 1.0, id="open-today-window-not-shifted"),
    ],
)
def test_adherence_7(states: list[DayState], expected: float | None) -> None:
    days = history(*states) if states else {}
    joined = TODAY - timedelta(days=40)
    got = adherence(days, today=TODAY, window=7, joined=joined)
    assert got == (None if expected is None else pytest.approx(expected))
    assert routine_stats(Routine.MOISTURIZE, days, today=TODAY, joined=joined).adherence_7 == got


def test_adherence_30_and_counts() -> None:
    states = [M] * 5 + [D, M, S] * 10  # 30 days ending today; the 5 misses are outside
    days = history(*states)
    stats = routine_stats(Routine.SUPPLEMENTS, days, today=TODAY, joined=TODAY - timedelta(99))
    assert (stats.done_30, stats.due_30) == (10, 20)
    assert stats.adherence_30 == pytest.approx(0.5)
    assert (stats.done_7, stats.due_7) == (2, 4)  # the last seven are S D M S D M S
    assert stats.adherence_7 == pytest.approx(0.5)


def test_adherence_ignores_days_before_joining() -> None:
    days = history(M, M, M, D, D)
    joined = TODAY - timedelta(days=1)
    assert adherence(days, today=TODAY, window=7, joined=joined) == 1.0
    assert adherence(days, today=TODAY, window=7, joined=TODAY - timedelta(10)) == 0.4


def test_adherence_rejects_empty_window() -> None:
    with pytest.raises(ValueError, match="window"):
        adherence({}, today=TODAY, window=0)


def test_weekly_adherence_is_the_seven_days_ending_week_end() -> None:
    sunday = date(2026, 6, 14)
    days = history(M, D, D, D, M, D, D, D, end=sunday) | {sunday + timedelta(1): M}
    # Mon 8 … Sun 14: D D D M D D D; the miss on Sun 7 and on Mon 15 lie outside
    assert weekly_adherence(days, week_end=sunday) == pytest.approx(6 / 7)
    assert weekly_adherence({}, week_end=sunday) is None
    assert weekly_adherence(days, week_end=sunday, joined=sunday - timedelta(2)) == 1.0


def test_weekly_adherence_matches_routine_stats() -> None:
    days = history(D, M, S, OP, D, N, D, OP)
    joined = TODAY - timedelta(30)
    stats = routine_stats(Routine.YOGA, days, today=TODAY, joined=joined)
    assert weekly_adherence(days, week_end=TODAY, joined=joined) == stats.adherence_7


# --- strength --------------------------------------------------------------------------------


def test_multiplier_is_loops_daily_value() -> None:
    assert pytest.approx(0.948, abs=5e-4) == STRENGTH_MULTIPLIER


def test_strength_about_half_after_13_perfect_days() -> None:
    days = history(*[D] * 13)
    got = strength(days, today=TODAY, joined=TODAY - timedelta(12))
    assert got == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param([], 0.0, id="nothing"),
        pytest.param([M, M, M], 0.0, id="only-misses"),
        pytest.param([S, S, OP], 0.0, id="only-neutral"),
        pytest.param([D], 1 - STRENGTH_MULTIPLIER, id="one-done"),
        pytest.param([D, S, S, N], 1 - STRENGTH_MULTIPLIER, id="neutral-days-unchanged"),
        pytest.param([D, OP], 1 - STRENGTH_MULTIPLIER, id="open-today-unchanged"),
        pytest.param([D, M], (1 - STRENGTH_MULTIPLIER) * STRENGTH_MULTIPLIER, id="miss-decays"),
        pytest.param([D, OP, N], (1 - STRENGTH_MULTIPLIER) * STRENGTH_MULTIPLIER, id="past-open"),
    ],
)
def test_strength_steps(states: list[DayState], expected: float) -> None:
    days = history(*states) if states else {}
    joined = TODAY - timedelta(days=max(len(states) - 1, 0))
    assert strength(days, today=TODAY, joined=joined) == pytest.approx(expected)


def test_one_bad_day_after_a_long_streak_costs_only_a_few_points() -> None:
    joined = TODAY - timedelta(days=60)
    before = strength(history(*[D] * 60, OP), today=TODAY, joined=joined)
    after = strength(history(*[D] * 60, M), today=TODAY, joined=joined)
    assert before > 0.9
    assert 0.03 < before - after < 0.06  # a dent, not a reset
    # and the streak is reset, which is why strength is the forgiving number
    assert current_streak(history(*[D] * 60, M), today=TODAY, joined=joined) == 0
    # a week back on track wins most of it back
    recovered = strength(history(*[D] * 60, M, *[D] * 7), today=TODAY + timedelta(7), joined=joined)
    assert recovered > after


def test_strength_rises_then_falls() -> None:
    joined = TODAY - timedelta(days=39)
    up = strength(history(*[D] * 20, *[S] * 20), today=TODAY, joined=joined)
    down = strength(history(*[D] * 20, *[M] * 20), today=TODAY, joined=joined)
    assert up == pytest.approx(1 - STRENGTH_MULTIPLIER**20)
    assert down == pytest.approx(up * STRENGTH_MULTIPLIER**20)


@given(st.lists(st.sampled_from(list(DayState)), max_size=120))
def test_strength_in_unit_interval(states: list[DayState]) -> None:
    days = history(*states) if states else {}
    joined = TODAY - timedelta(days=max(len(states) - 1, 0))
    assert 0.0 <= strength(days, today=TODAY, joined=joined) <= 1.0


# --- DST: a local date is one day, whatever its length ----------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_days(first: date, last: date, times: tuple[time, ...]) -> dict[date, DayState]:
    """Nudge at each local time every day, stored as UTC, all done; regroup by local date."""
    nudges: list[tuple[date, Outcome]] = []
    day = first
    while day <= last:
        for at in times:
            instant = datetime.combine(day, at, tzinfo=BERLIN).astimezone(ZoneInfo("UTC"))
            nudges.append((instant.astimezone(BERLIN).date(), Outcome.DONE))
        day += timedelta(days=1)
    return day_states(nudges)


@pytest.mark.parametrize(
    "dst_day",
    [
        pytest.param(date(2026, 3, 29), id="spring-forward-23h"),
        pytest.param(date(2026, 10, 25), id="fall-back-25h"),
    ],
)
def test_dst_day_is_one_day(dst_day: date) -> None:
    first, last = dst_day - timedelta(days=5), dst_day + timedelta(days=5)
    # 02:30 does not exist on 29 March and happens twice on 25 October; neither matters
    days = berlin_days(first, last, (time(2, 30), time(8, 0), time(23, 30)))
    assert len(days) == 11
    assert set(days.values()) == {D}
    assert streaks(days, today=last, joined=first) == (11, 11)
    stats = routine_stats(Routine.YOGA, days, today=last, joined=first)
    assert stats.adherence_7 == 1.0
    assert stats.done_7 == 7


@pytest.mark.parametrize("dst_day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_hourly_utc_nudges_through_dst_day_fall_on_one_local_date(dst_day: date) -> None:
    start = datetime.combine(dst_day, time(0, 0), tzinfo=BERLIN).astimezone(ZoneInfo("UTC"))
    hours = 23 if dst_day.month == 3 else 25
    nudges = [
        ((start + timedelta(hours=h)).astimezone(BERLIN).date(), Outcome.DONE) for h in range(hours)
    ]
    nudges.append(((start - timedelta(days=1)).astimezone(BERLIN).date(), Outcome.DONE))
    days = day_states(nudges)
    assert days == {dst_day - timedelta(days=1): D, dst_day: D}
    assert streaks(days, today=dst_day, joined=dst_day - timedelta(days=1)) == (2, 2)
