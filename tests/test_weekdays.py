"""Weekday plans in the domain: occurrences only on planned days, DST included, and the parser."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.nudges import Outcome, first_due, place_occurrence
from schedules.parsing import (
    MAX_TIMES,
    Schedule,
    TimesProblem,
    TimesRejected,
    parse_weekdays,
    read_schedule,
    split_routine,
)
from schedules.recurrence import (
    ALL_DAYS_MASK,
    EVERY_DAY,
    Weekdays,
    days_mask,
    mask_days,
    next_occurrence,
)
from schedules.routines import Routine
from schedules.stats import DayState, adherence, day_states, streaks

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
AUCKLAND = ZoneInfo("Pacific/Auckland")
MON_WED_FRI: Weekdays = frozenset({0, 2, 4})
WEEKDAYS: Weekdays = frozenset(range(5))
WEEKENDS: Weekdays = frozenset({5, 6})
SETTINGS = settings(max_examples=200, deadline=None)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fires(at: time, tz: ZoneInfo, after: datetime, days: Weekdays, count: int) -> list[str]:
    """The next ``count`` occurrences as local "Mon 03-23 08:00 CET" strings."""
    out: list[str] = []
    for _ in range(count):
        after = next_occurrence(at, tz, after, days)
        out.append(after.astimezone(tz).strftime("%a %m-%d %H:%M %Z"))
    return out


def test_mon_wed_fri_fires_only_on_those_days_across_a_week() -> None:
    # 2026-11-30 is a Monday
    assert fires(time(7, 30), BERLIN, utc(2026, 11, 29, 12, 0), MON_WED_FRI, 4) == [
        "Mon 11-30 07:30 CET",
        "Wed 12-02 07:30 CET",
        "Fri 12-04 07:30 CET",
        "Mon 12-07 07:30 CET",
    ]


def test_mon_wed_fri_across_spring_forward_keeps_the_wall_time() -> None:
    # Berlin springs forward on Sunday 2026-03-29; Monday's 08:00 is an hour earlier in UTC
    after = utc(2026, 3, 23, 0, 0)
    dues = [after := next_occurrence(time(8, 0), BERLIN, after, MON_WED_FRI) for _ in range(4)]
    assert dues == [
        utc(2026, 3, 23, 7, 0),
        utc(2026, 3, 25, 7, 0),
        utc(2026, 3, 27, 7, 0),
        utc(2026, 3, 30, 6, 0),
    ]


def test_a_sunday_only_time_in_the_gap_fires_once_after_it() -> None:
    # 02:30 does not exist on 2026-03-29 in Berlin: it fires at 03:00 CEST, then a week later
    sundays: Weekdays = frozenset({6})
    assert fires(time(2, 30), BERLIN, utc(2026, 3, 27, 0, 0), sundays, 2) == [
        "Sun 03-29 03:00 CEST",
        "Sun 04-05 02:30 CEST",
    ]


def test_a_weekend_time_on_the_fall_back_night_fires_once() -> None:
    # 01:30 happens twice on Sunday 2026-11-01 in New York: it fires at the first only
    got = fires(time(1, 30), NEW_YORK, utc(2026, 10, 30, 0, 0), WEEKENDS, 3)
    assert got == ["Sat 10-31 01:30 EDT", "Sun 11-01 01:30 EDT", "Sat 11-07 01:30 EST"]


def test_weekday_is_the_users_local_weekday_not_utcs() -> None:
    # 07:00 Monday in Auckland is still Sunday in UTC
    due = first_due(time(7, 0), AUCKLAND, utc(2026, 11, 28, 12, 0), frozenset({0}))
    assert due == utc(2026, 11, 29, 18, 0)
    assert due.astimezone(AUCKLAND).weekday() == 0


def test_every_day_is_the_default_and_matches_a_daily_plan() -> None:
    after = utc(2026, 11, 30, 12, 0)
    assert next_occurrence(time(8, 0), BERLIN, after) == next_occurrence(
        time(8, 0), BERLIN, after, EVERY_DAY
    )


def test_no_days_at_all_is_refused_rather_than_looping() -> None:
    with pytest.raises(ValueError, match="no weekday"):
        next_occurrence(time(8, 0), BERLIN, utc(2026, 11, 30), frozenset())


def test_placing_fridays_nudge_sets_the_next_due_to_monday() -> None:
    due = utc(2026, 12, 4, 6, 30)  # Fri 07:30 CET
    occ = place_occurrence(
        Routine.YOGA,
        time(7, 30),
        BERLIN,
        due,
        now=due,
        catch_up=timedelta(hours=2),
        paused_until=None,
        days=MON_WED_FRI,
    )
    assert occ.outcome is Outcome.PENDING
    assert occ.local_date == date(2026, 12, 4)
    assert occ.next_due == utc(2026, 12, 7, 6, 30)


@pytest.mark.parametrize(
    "days",
    [EVERY_DAY, MON_WED_FRI, WEEKDAYS, WEEKENDS, frozenset({6}), frozenset({0, 6})],
)
def test_days_survive_the_stored_mask(days: Weekdays) -> None:
    assert mask_days(days_mask(days)) == days


def test_a_daily_routine_is_stored_as_the_default_mask() -> None:
    assert days_mask(EVERY_DAY) == ALL_DAYS_MASK == 127
    assert mask_days(0) == EVERY_DAY


@SETTINGS
@given(
    st.frozensets(st.integers(0, 6), min_size=1),
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.times(),
)
def test_next_occurrence_is_on_a_planned_day_within_a_week(
    days: Weekdays, after: datetime, at: time
) -> None:
    due = next_occurrence(at, NEW_YORK, after, days)
    assert due > after
    assert due.astimezone(NEW_YORK).weekday() in days
    assert due - after <= timedelta(days=8)


# --- the parser ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon", frozenset({0})),
        ("Tuesday", frozenset({1})),
        ("THURS", frozenset({3})),
        ("sundays", frozenset({6})),
        ("weekdays", WEEKDAYS),
        ("weekends", WEEKENDS),
        ("daily", EVERY_DAY),
        ("mon-fri", WEEKDAYS),
        ("sat–sun", WEEKENDS),
        ("fri-mon", frozenset({4, 5, 6, 0})),
        ("tue,thu", frozenset({1, 3})),
        ("mon/wed/fri", MON_WED_FRI),
        ("mon-wed,fri", frozenset({0, 1, 2, 4})),
    ],
)
def test_parse_weekdays(text: str, days: Weekdays) -> None:
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", ["", "funday", "8", "mon-", "mon-funday", "tue,,", "yoga", "m"])
def test_parse_weekdays_refuses_anything_else(text: str) -> None:
    assert parse_weekdays(text) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["07:30", "mon", "wed", "fri"], Schedule((time(7, 30),), MON_WED_FRI)),
        (["08:00", "21:30", "daily"], Schedule((time(8), time(21, 30)), EVERY_DAY)),
        (["7", "weekdays"], Schedule((time(7),), WEEKDAYS)),
        (["7", "tue,thu"], Schedule((time(7),), frozenset({1, 3}))),
        (["7", "on", "Tuesdays", "and", "Thursdays"], Schedule((time(7),), frozenset({1, 3}))),
        (["mon", "to", "fri", "8"], Schedule((time(8),), WEEKDAYS)),
        (["9:30", "pm", "sat"], Schedule((time(21, 30),), frozenset({5}))),
        (["8", "every", "day"], Schedule((time(8),), EVERY_DAY)),
        (["8:00", "20:00"], Schedule((time(8), time(20)), None)),
        (["weekends"], Schedule((), WEEKENDS)),
    ],
)
def test_read_schedule(args: list[str], expected: Schedule) -> None:
    assert read_schedule(args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["8:00", "funday"], TimesRejected(TimesProblem.NOT_A_DAY, "funday")),
        (["8:00", "mon", "later"], TimesRejected(TimesProblem.NOT_A_DAY, "later")),
        (["25:00", "mon"], TimesRejected(TimesProblem.NOT_A_TIME, "25:00")),
        ([], TimesRejected(TimesProblem.MISSING)),
        (["on", "and"], TimesRejected(TimesProblem.MISSING)),
        ([str(h) for h in range(1, 9)] + ["mon"], TimesRejected(TimesProblem.TOO_MANY)),
    ],
)
def test_read_schedule_says_why_it_refuses(args: list[str], expected: TimesRejected) -> None:
    assert read_schedule(args) == expected


@pytest.mark.parametrize(
    ("args", "routine", "rest"),
    [
        (["yoga", "weekends", "8"], "yoga", ["weekends", "8"]),
        (["yoga", "on", "mon", "8"], "yoga", ["mon", "8"]),
        (["face", "yoga", "7:30", "mon"], "face yoga", ["7:30", "mon"]),
        (["mon", "8"], "mon", ["8"]),
    ],
)
def test_split_routine_stops_at_days_after_the_routine(
    args: list[str], routine: str, rest: list[str]
) -> None:
    assert split_routine(args) == (routine, rest)


@SETTINGS
@given(st.lists(st.text(max_size=12), max_size=30))
def test_read_schedule_never_raises_and_gives_days_or_a_reason(args: list[str]) -> None:
    result = read_schedule(args)
    if isinstance(result, TimesRejected):
        assert result.problem in TimesProblem
        wrong_token = result.problem in {TimesProblem.NOT_A_TIME, TimesProblem.NOT_A_DAY}
        assert wrong_token == bool(result.token)
    else:
        assert len(result.times) <= MAX_TIMES
        assert result.times or result.days
        assert result.days is None or result.days <= EVERY_DAY


@SETTINGS
@given(st.text(max_size=40))
def test_parse_weekdays_never_raises_and_gives_real_days(text: str) -> None:
    days = parse_weekdays(text)
    assert days is None or (days and days <= EVERY_DAY)


@SETTINGS
@given(
    st.lists(
        st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, max_size=7
    ),
    st.sampled_from([" ", ",", ", "]),
)
def test_any_list_of_day_names_is_read_whatever_the_separator(names: list[str], sep: str) -> None:
    result = read_schedule(["8:00", *sep.join(names).split(" ")])
    order = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert result == Schedule((time(8),), frozenset(order.index(name) for name in names))


# --- statistics count only planned days -----------------------------------------------------


def test_an_off_day_between_planned_days_does_not_break_the_streak() -> None:
    # Mon 11-30, Wed 12-02 and Fri 12-04 done; Tuesday and Thursday have no nudges at all
    days = day_states(
        [
            (date(2026, 11, 30), Outcome.DONE),
            (date(2026, 12, 2), Outcome.DONE),
            (date(2026, 12, 4), Outcome.DONE),
        ]
    )
    assert days[date(2026, 11, 30)] is DayState.DONE
    today = date(2026, 12, 5)
    assert streaks(days, today=today, joined=date(2026, 11, 30)) == (3, 3)
    assert adherence(days, today=today, window=7, joined=date(2026, 11, 30)) == 1.0


def test_a_missed_planned_day_still_breaks_it() -> None:
    days = day_states(
        [
            (date(2026, 11, 30), Outcome.DONE),
            (date(2026, 12, 2), Outcome.MISSED),
            (date(2026, 12, 4), Outcome.DONE),
        ]
    )
    today = date(2026, 12, 5)
    assert streaks(days, today=today, joined=date(2026, 11, 30)) == (1, 1)
    assert adherence(days, today=today, window=7, joined=date(2026, 11, 30)) == pytest.approx(2 / 3)
