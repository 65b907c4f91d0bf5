"""CallbackKind data: compact ASCII within Telegram's 64 bytes, strict parsers that never raise."""

from __future__ import annotations

from datetime import date, time

from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import (
    DoneEarly,
    NudgeAction,
    YogaAction,
    YogaStep,
    nudge_data,
    parse_faq,
    parse_forget,
    parse_nudge,
    parse_today,
    parse_yoga,
    today_data,
    yoga_data,
)
from schedules.nudges import Outcome
from schedules.routines import Routine

BUTTON_OUTCOMES = st.sampled_from([Outcome.DONE, Outcome.SNOOZED, Outcome.SKIPPED])
NUDGE_IDS = st.integers(min_value=1, max_value=2**63 - 1)
TIMES = st.times().map(lambda t: time(t.hour, t.minute))
DATES = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
PARSERS = (parse_nudge, parse_today, parse_faq, parse_forget, parse_yoga)


def _fits(data: str) -> bool:
    return data.isascii() and 1 <= len(data.encode()) <= 64


@given(st.text())
def test_parsers_never_raise_on_arbitrary_text(data: str) -> None:
    for parse in PARSERS:
        parse(data)


@given(st.binary(max_size=80).map(lambda b: b.decode("latin-1")))
def test_parsers_never_raise_on_arbitrary_bytes(data: str) -> None:
    for parse in PARSERS:
        parse(data)


@given(
    st.from_regex(r"n:[0-9]{1,30}:[a-z]", fullmatch=True)
    | st.from_regex(r"t:[a-z]:[0-9]{8}:[0-9]{4}", fullmatch=True)
)
def test_near_miss_data_is_rejected_or_valid_never_an_exception(data: str) -> None:
    nudge = parse_nudge(data)
    if nudge is not None:
        assert nudge.nudge_id == int(data.split(":")[1]) <= 2**63 - 1
    parse_today(data)


@given(NUDGE_IDS, BUTTON_OUTCOMES)
def test_nudge_data_round_trips_and_fits(nudge_id: int, outcome: Outcome) -> None:
    data = nudge_data(nudge_id, outcome)
    assert _fits(data)
    assert parse_nudge(data) == NudgeAction(nudge_id, outcome)


@given(st.sampled_from(list(Routine)), DATES, TIMES)
def test_today_data_round_trips_and_fits(routine: Routine, day: date, at: time) -> None:
    data = today_data(routine, day, at)
    assert _fits(data)
    assert parse_today(data) == DoneEarly(routine, day, at)


def test_forged_and_impossible_data_is_refused() -> None:
    for data in ("n:999:x", "n::d", "n:-1:d", "n:1:d ", " n:1:d", "n:1:dd", "n:1:d\n", "x" * 64):
        assert parse_nudge(data) is None, data
    for data in ("t:y:20260230:0800", "t:y:20261126:2460", "t:q:20261126:0800", "t:y:2026112:0800"):
        assert parse_today(data) is None, data
    assert parse_forget("x:maybe") is None
    assert parse_forget("x:yes") is True
    assert parse_forget("x:no") is False
    assert parse_faq("f:" + "a" * 21) is None
    assert parse_faq("f:Bad-Id") is None


def test_unicode_digits_are_not_numbers() -> None:
    """``\\d`` in Python matches Arabic-Indic digits; data must stay plain ASCII."""
    assert parse_nudge("n:\u0661\u0662:d") is None
    assert parse_today("t:y:\u0662\u0660\u0662\u0666\u0661\u0661\u0662\u0666:0800") is None


def test_ids_beyond_sqlite_integer_are_refused() -> None:
    assert parse_nudge(f"n:{2**63 - 1}:d") == NudgeAction(2**63 - 1, Outcome.DONE)
    assert parse_nudge(f"n:{2**63}:d") is None
    assert parse_nudge("n:" + "9" * 19 + ":d") is None


@given(st.sampled_from(list(YogaStep)), NUDGE_IDS)
def test_yoga_data_round_trips_and_fits(step: YogaStep, target: int) -> None:
    data = yoga_data(step, target)
    assert _fits(data)
    assert parse_yoga(data) == YogaAction(step, target)


def test_forged_yoga_data_is_refused() -> None:
    for data in ("y:q:1", "y:n:", "y:n:-1", "y:n:1 ", "y:s:1:2", f"y:x:{2**63}", "y:n:\u0661"):
        assert parse_yoga(data) is None, data
