"""Tests for schedules.parsing: command arguments from forgiving user input."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.parsing import (
    MAX_TIMES,
    NAG_OFF,
    parse_days,
    parse_minutes,
    parse_nag,
    parse_routine,
    parse_time,
    parse_times,
)
from schedules.routines import Routine

SETTINGS = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["08:00"], (time(8),)),
        (["8:00"], (time(8),)),
        (["8"], (time(8),)),
        (["0800"], (time(8),)),
        (["8.30"], (time(8, 30),)),
        (["00:00"], (time(0),)),
        (["23:59"], (time(23, 59),)),
        (["21:30", "08:00"], (time(8), time(21, 30))),
        (["8", "08:00", "0800"], (time(8),)),
        (["8am"], (time(8),)),
        (["9:30pm"], (time(21, 30),)),
        (["9:30", "PM"], (time(21, 30),)),
        (["12am"], (time(0),)),
        (["12pm"], (time(12),)),
        (
            ["8,21:00"],
            (
                time(8),
                time(21),
            ),
        ),
        (["1", "2", "3", "4", "5", "6"], tuple(time(h) for h in range(1, 7))),
    ],
)
def test_parse_times_accepts(args: list[str], expected: tuple[time, ...]) -> None:
    assert parse_times(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        [],
        [""],
        ["24:00"],
        ["7:60"],
        ["-1"],
        ["800"],
        ["8:0"],
        ["13pm"],
        ["0am"],
        ["noon"],
        ["08:00", "later"],
        ["pm"],
        ["1", "2", "3", "4", "5", "6", "7"],
        ["\u0668:\u0660\u0660"],  # Arabic-Indic digits,
    ],
)
def test_parse_times_rejects(args: list[str]) -> None:
    assert parse_times(args) is None


def test_parse_time_single() -> None:
    assert parse_time(" 7:05 ") == time(7, 5)
    assert parse_time("7:5") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yoga", Routine.YOGA),
        ("YOGA", Routine.YOGA),
        ("face yoga", Routine.YOGA),
        ("facial-yoga", Routine.YOGA),
        ("exercise", Routine.YOGA),
        ("yoha", Routine.YOGA),
        ("moisturize", Routine.MOISTURIZE),
        ("moisturise", Routine.MOISTURIZE),
        ("moisturizer", Routine.MOISTURIZE),
        ("cream", Routine.MOISTURIZE),
        ("lotion", Routine.MOISTURIZE),
        ("skin", Routine.MOISTURIZE),
        ("moisturze", Routine.MOISTURIZE),
        ("supplements", Routine.SUPPLEMENTS),
        ("supplement", Routine.SUPPLEMENTS),
        ("calcium", Routine.SUPPLEMENTS),
        ("vitamins", Routine.SUPPLEMENTS),
        ("vitamin d", Routine.SUPPLEMENTS),
        ("Vitamin  D", Routine.SUPPLEMENTS),
        ("vit d", Routine.SUPPLEMENTS),
        ("pills", Routine.SUPPLEMENTS),
        ("suplements", Routine.SUPPLEMENTS),
        ("calcuim", Routine.SUPPLEMENTS),
    ],
)
def test_parse_routine_accepts(text: str, expected: Routine) -> None:
    assert parse_routine(text) is expected


@pytest.mark.parametrize(
    "text", ["", "  ", "banana", "pizza", "skip", "yogurt", "supper", "x", "all", "a" * 100]
)
def test_parse_routine_rejects(text: str) -> None:
    assert parse_routine(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15", 15),
        ("15m", 15),
        ("15 min", 15),
        ("15mins", 15),
        ("90 minutes", 90),
        ("1h", 60),
        ("2 hours", 120),
        ("1h30", 90),
        ("1h 30m", 90),
        ("240", 240),
        ("5", 5),
    ],
)
def test_parse_minutes_accepts(text: str, expected: int) -> None:
    assert parse_minutes(text, low=5, high=240) == expected


@pytest.mark.parametrize(
    "text", ["", "0", "4", "241", "5h", "-5", "1.5h", "15s", "abc", "1h60", "1" * 40]
)
def test_parse_minutes_rejects(text: str) -> None:
    assert parse_minutes(text, low=5, high=240) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3), ("3d", 3), ("3 days", 3), ("1 day", 1), ("2w", 14), ("365", 365)],
)
def test_parse_days_accepts(text: str, expected: int) -> None:
    assert parse_days(text) == expected


@pytest.mark.parametrize("text", ["", "0", "366", "-1", "3 months", "x", "53w"])
def test_parse_days_rejects(text: str) -> None:
    assert parse_days(text) is None


def test_parse_days_custom_bounds() -> None:
    assert parse_days("10", low=1, high=7) is None
    assert parse_days("7", low=1, high=7) == 7


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["20", "3"], (20, 3)),
        (["5", "1"], (5, 1)),
        (["240", "10"], (240, 10)),
        (["20m", "3x"], (20, 3)),
        (["1h", "2"], (60, 2)),
        (["20", "min", "3", "times"], (20, 3)),
        (["off"], NAG_OFF),
        (["OFF"], "off"),
    ],
)
def test_parse_nag_accepts(args: list[str], expected: object) -> None:
    assert parse_nag(args) == expected


@pytest.mark.parametrize(
    "args",
    [[], ["20"], ["4", "3"], ["241", "3"], ["20", "0"], ["20", "11"], ["off", "now"], ["a", "b"]],
)
def test_parse_nag_rejects(args: list[str]) -> None:
    assert parse_nag(args) is None


@SETTINGS
@given(st.lists(st.text(max_size=12), max_size=8))
def test_parse_times_output_is_sorted_unique(args: list[str]) -> None:
    result = parse_times(args)
    if result is not None:
        assert 1 <= len(result) <= MAX_TIMES
        assert list(result) == sorted(set(result))
        assert all(isinstance(t, time) and t.tzinfo is None for t in result)


@SETTINGS
@given(st.lists(st.times().map(lambda t: t.replace(second=0, microsecond=0)), max_size=6))
def test_parse_times_round_trips_clock_text(moments: list[time]) -> None:
    expected = tuple(sorted(set(moments))) or None
    assert parse_times([m.strftime("%H:%M") for m in moments]) == expected


@SETTINGS
@given(st.text(max_size=40))
def test_text_parsers_never_raise(text: str) -> None:
    parse_routine(text)
    minutes = parse_minutes(text, low=1, high=1440)
    assert minutes is None or 1 <= minutes <= 1440
    days = parse_days(text)
    assert days is None or 1 <= days <= 365
    parse_time(text)


@SETTINGS
@given(st.lists(st.text(max_size=10), max_size=5))
def test_parse_nag_never_raises(args: list[str]) -> None:
    result = parse_nag(args)
    if isinstance(result, tuple):
        assert 5 <= result[0] <= 240
        assert 1 <= result[1] <= 10
