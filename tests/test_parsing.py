"""Tests for schedules.parsing: command arguments from forgiving user input."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.nudges import Outcome
from schedules.parsing import (
    MAX_TIMES,
    NAG_OFF,
    TimesProblem,
    TimesRejected,
    parse_answer,
    parse_days,
    parse_minutes,
    parse_nag,
    parse_routine,
    parse_routines,
    parse_switch,
    parse_time,
    parse_times,
    read_times,
    split_routine,
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
        (["noon"], (time(12),)),
        (["Midnight"], (time(0),)),
        (["midday"], (time(12),)),
        (["19h"], (time(19),)),
        (["19h30"], (time(19, 30),)),
        (["7pm"], (time(19),)),
        (["7.30pm"], (time(19, 30),)),
        (["7:30", "p.m."], (time(19, 30),)),
        (["8:00", "and", "20:00"], (time(8), time(20))),
        (["8:00", "&", "noon"], (time(8), time(12))),
        (["8:00,", "20:00"], (time(8), time(20))),
        (["8:00", ",", "13:00,", "20:00"], (time(8), time(13), time(20))),
        (["12", "noon"], (time(12),)),
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
        ["noonish"],
        ["08:00", "later"],
        ["and"],
        ["pm"],
        ["1", "2", "3", "4", "5", "6", "7"],
        ["\u0668:\u0660\u0660"],  # Arabic-Indic digits,
    ],
)
def test_parse_times_rejects(args: list[str]) -> None:
    assert parse_times(args) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], TimesRejected(TimesProblem.MISSING)),
        (["and", ","], TimesRejected(TimesProblem.MISSING)),
        (["8", "later"], TimesRejected(TimesProblem.NOT_A_TIME, "later")),
        (["25:00", "8"], TimesRejected(TimesProblem.NOT_A_TIME, "25:00")),
        ([str(h) for h in range(1, 11)], TimesRejected(TimesProblem.TOO_MANY)),
        (["1,2,3,4,5,6,7"], TimesRejected(TimesProblem.TOO_MANY)),
        (["8"] * 100, TimesRejected(TimesProblem.TOO_MANY)),
    ],
)
def test_read_times_says_why_it_refuses(args: list[str], expected: TimesRejected) -> None:
    assert read_times(args) == expected


def test_more_than_max_times_is_too_many_not_a_bad_time() -> None:
    enough = [f"{h}:00" for h in range(MAX_TIMES)]
    assert read_times(enough) == tuple(time(h) for h in range(MAX_TIMES))
    assert read_times([*enough, "23:00"]) == TimesRejected(TimesProblem.TOO_MANY)


@pytest.mark.parametrize(
    ("args", "routine", "rest"),
    [
        (["yoga", "8:00"], "yoga", ["8:00"]),
        (["face", "yoga", "8:00"], "face yoga", ["8:00"]),
        (["vitamin", "d", "9:15"], "vitamin d", ["9:15"]),
        (["vitamin", "d3", "noon", "20h"], "vitamin d3", ["noon", "20h"]),
        (["yoga", "at", "8"], "yoga", ["8"]),
        (["yoga"], "yoga", []),
        (["8:00"], "", ["8:00"]),
        ([], "", []),
    ],
)
def test_split_routine(args: list[str], routine: str, rest: list[str]) -> None:
    assert split_routine(args) == (routine, rest)


@pytest.mark.parametrize(
    ("args", "routine"),
    [
        (["face", "yoga", "8:00"], Routine.YOGA),
        (["vitamin", "d", "9:15"], Routine.SUPPLEMENTS),
        (["Facial", "Yoga", "8:00"], Routine.YOGA),
        (["face", "cream", "21:00"], Routine.MOISTURIZE),
    ],
)
def test_multi_word_routines_use_the_same_aliases_as_on(args: list[str], routine: Routine) -> None:
    words, rest = split_routine(args)
    assert parse_routine(words) is routine
    assert parse_routines(words) == (routine,)
    assert parse_times(rest) is not None


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


@pytest.mark.parametrize("text", ["all", "ALL", "everything", "all routines", " all  three "])
def test_parse_routines_all(text: str) -> None:
    assert parse_routines(text) == tuple(Routine)


@pytest.mark.parametrize("text", ["", "al", "allx", "banana", "all yoga"])
def test_parse_routines_rejects(text: str) -> None:
    assert parse_routines(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("on", True), ("ON", True), ("yes", True), ("off", False), (" Off ", False), ("stop", False)],
)
def test_parse_switch(text: str, expected: bool) -> None:
    assert parse_switch(text) is expected


@pytest.mark.parametrize("text", ["", "maybe", "onn", "sunday"])
def test_parse_switch_rejects(text: str) -> None:
    assert parse_switch(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("done", Outcome.DONE),
        ("Done!", Outcome.DONE),
        ("DONE.", Outcome.DONE),
        ("did it", Outcome.DONE),
        ("Did it ✅", Outcome.DONE),
        ("✅", Outcome.DONE),
        ("✔️", Outcome.DONE),
        ("👍", Outcome.DONE),
        ("I’ve done it!", Outcome.DONE),
        ("ok, done — thanks", Outcome.DONE),
        ("finished", Outcome.DONE),
        ("skip", Outcome.SKIPPED),
        ("Skip.", Outcome.SKIPPED),
        ("not today", Outcome.SKIPPED),
        ("⏭", Outcome.SKIPPED),
        ("later", Outcome.SNOOZED),
        ("Snooze", Outcome.SNOOZED),
        ("remind me later please", Outcome.SNOOZED),
        ("⏰", Outcome.SNOOZED),
    ],
)
def test_parse_answer_recognises_answers(text: str, expected: Outcome) -> None:
    assert parse_answer(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!!!",
        "thanks",
        "done, but it hurt my jaw",
        "did it twice",
        "skip ✅",
        "how much calcium should I take?",
        "undone",
        "later today I'll try",
        "done " * 20,
    ],
)
def test_parse_answer_leaves_everything_else_alone(text: str) -> None:
    assert parse_answer(text) is None


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


ANSWER_WORDS = st.sampled_from(["done", "did it", "skip", "later", "snooze", "not today", "✅"])
DECORATION = st.sampled_from(["", "!", ".", "!!", " ", "?", " 🙂"])


@SETTINGS
@given(ANSWER_WORDS, DECORATION, DECORATION, st.booleans())
def test_parse_answer_ignores_case_and_punctuation(
    word: str, before: str, after: str, upper: bool
) -> None:
    text = before.strip() + (word.upper() if upper else word) + after
    assert parse_answer(text) is parse_answer(word) is not None


@SETTINGS
@given(ANSWER_WORDS, st.sampled_from(["my", "jaw", "hurt", "because", "tomorrow", "twice"]))
def test_parse_answer_with_another_word_is_a_note(word: str, extra: str) -> None:
    assert parse_answer(f"{word} {extra}") is None
    assert parse_answer(f"{extra} {word}") is None


@SETTINGS
@given(st.text(max_size=60))
def test_parse_answer_never_raises_and_answers_only_short_text(text: str) -> None:
    result = parse_answer(text)
    assert result is None or (isinstance(result, Outcome) and len(text) <= 40)
    parse_routines(text)
    parse_switch(text)


@SETTINGS
@given(st.lists(st.text(max_size=12), max_size=30))
def test_read_times_refuses_with_a_reason_or_gives_at_most_max_times(args: list[str]) -> None:
    result = read_times(args)
    if isinstance(result, TimesRejected):
        assert result.problem in TimesProblem
        assert (result.problem is TimesProblem.NOT_A_TIME) == bool(result.token)
    else:
        assert 1 <= len(result) <= MAX_TIMES
    words, rest = split_routine(args)
    assert rest == args[len(args) - len(rest) :]
    assert len(words.split()) <= len(" ".join(args[: len(args) - len(rest)]).split())


@SETTINGS
@given(
    st.lists(st.times().map(lambda t: t.replace(second=0, microsecond=0)), min_size=1, max_size=6),
    st.sampled_from([" ", ", ", " and ", ",", " & "]),
)
def test_read_times_any_separator(moments: list[time], separator: str) -> None:
    text = separator.join(m.strftime("%H:%M") for m in moments)
    assert read_times(text.split(" ")) == tuple(sorted(set(moments)))
