"""Occurrences of local times across DST, offsets and date lines, against a fixed clock."""

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from schedules.recurrence import (
    day_end,
    day_start,
    local_date,
    next_occurrence,
    next_weekly,
    occurrence,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        (BERLIN, date(2026, 1, 15), time(8, 0), utc(2026, 1, 15, 7, 0)),
        (BERLIN, date(2026, 7, 15), time(8, 0), utc(2026, 7, 15, 6, 0)),
        # spring forward 02:00 -> 03:00: 02:30 does not exist, fires at 03:00 CEST
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        # fall back 03:00 -> 02:00: 02:30 happens twice, fires at the first (CEST)
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (KATHMANDU, date(2026, 6, 1), time(8, 0), utc(2026, 6, 1, 2, 15)),
        # Lord Howe springs forward 30 minutes at 02:00 local
        (LORD_HOWE, date(2026, 10, 4), time(2, 10), utc(2026, 10, 3, 15, 30)),
        (LORD_HOWE, date(2026, 10, 4), time(8, 0), utc(2026, 10, 3, 21, 0)),
        (
            timezone(timedelta(hours=5, minutes=45)),
            date(2026, 6, 1),
            time(8, 0),
            utc(2026, 6, 1, 2, 15),
        ),
    ],
)
def test_occurrence_is_the_local_wall_time(
    zone: tzinfo, day: date, at: time, expected: datetime
) -> None:
    assert occurrence(day, at, zone) == expected


def test_fall_back_time_fires_once_per_day() -> None:
    after = utc(2026, 10, 24, 12, 0)
    first = next_occurrence(time(2, 30), BERLIN, after)
    second = next_occurrence(time(2, 30), BERLIN, first)
    assert first == utc(2026, 10, 25, 0, 30)
    assert second == utc(2026, 10, 26, 1, 30)


def test_spring_forward_day_still_gets_its_nudge() -> None:
    fires: list[str] = []
    after = utc(2026, 3, 7, 12, 0)
    for _ in range(3):
        after = next_occurrence(time(2, 30), NEW_YORK, after)
        fires.append(after.astimezone(NEW_YORK).strftime("%m-%d %H:%M %Z"))
    assert fires == ["03-08 03:00 EDT", "03-09 02:30 EDT", "03-10 02:30 EDT"]


def test_next_occurrence_is_strictly_after() -> None:
    at = utc(2026, 6, 1, 2, 15)
    assert next_occurrence(time(8, 0), KATHMANDU, at) == utc(2026, 6, 2, 2, 15)
    assert next_occurrence(time(8, 0), KATHMANDU, at - timedelta(seconds=1)) == at


def test_day_is_23_or_25_hours_on_dst_days() -> None:
    assert day_end(date(2026, 3, 29), BERLIN) - day_start(date(2026, 3, 29), BERLIN) == (
        timedelta(hours=23)
    )
    assert day_end(date(2026, 10, 25), BERLIN) - day_start(date(2026, 10, 25), BERLIN) == (
        timedelta(hours=25)
    )


def test_local_date_rolls_over_at_local_midnight() -> None:
    assert local_date(utc(2026, 6, 1, 18, 14), KATHMANDU) == date(2026, 6, 1)
    assert local_date(utc(2026, 6, 1, 18, 15), KATHMANDU) == date(2026, 6, 2)


def test_next_weekly_lands_on_the_local_sunday_evening() -> None:
    after = utc(2026, 11, 25, 12, 0)  # a Wednesday
    sunday = next_weekly(6, time(19, 0), KATHMANDU, after)
    assert sunday == utc(2026, 11, 29, 13, 15)
    assert next_weekly(6, time(19, 0), KATHMANDU, sunday) == utc(2026, 12, 6, 13, 15)
