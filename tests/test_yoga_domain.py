"""The facial-yoga session's moves, rotation by date and position at an explicit instant."""

from datetime import UTC, date, datetime, timedelta

import pytest

from schedules.yoga import MOVES, SESSION_MOVES, Position, position, session_length, session_moves

START = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_a_session_is_five_one_minute_moves_that_differ_from_yesterdays() -> None:
    today = session_moves(date(2026, 11, 26))
    yesterday = session_moves(date(2026, 11, 25))
    assert len(today) == SESSION_MOVES
    assert session_length(today) == timedelta(minutes=5)
    assert today != yesterday
    assert today[0] != yesterday[0]
    assert len({m.key for m in today}) == SESSION_MOVES


def test_every_move_comes_up_within_a_week() -> None:
    first = date(2026, 11, 23)
    seen = {m.key for d in range(7) for m in session_moves(first + timedelta(days=d))}
    assert seen == {m.key for m in MOVES}


def test_every_move_has_how_and_hold_and_jaw_moves_are_flagged() -> None:
    assert 5 <= len(MOVES) <= 7
    for move in MOVES:
        assert 2 <= len(move.how) <= 3
        assert move.hold
        assert move.seconds > 0
    assert {m.key for m in MOVES if m.jaw} == {"jawline", "jaw"}


@pytest.mark.parametrize(
    ("step", "elapsed", "expected"),
    [
        (0, 0, Position(0, 60, finished=False)),
        (0, 15, Position(0, 45, finished=False)),
        (0, 59.6, Position(0, 1, finished=False)),
        (0, 60, Position(1, 60, finished=False)),
        (0, 170, Position(2, 10, finished=False)),
        (3, 30, Position(3, 30, finished=False)),
        (4, 59, Position(4, 1, finished=False)),
        (4, 60, Position(5, 0, finished=True)),
        (0, 3600, Position(5, 0, finished=True)),
        (2, -30, Position(2, 60, finished=False)),
        (5, 0, Position(5, 0, finished=True)),
    ],
)
def test_position_follows_the_clock_and_advances_by_itself(
    step: int, elapsed: float, expected: Position
) -> None:
    moves = session_moves(date(2026, 11, 26))
    assert position(moves, step, START, START + timedelta(seconds=elapsed)) == expected
