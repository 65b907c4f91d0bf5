"""The guided facial-yoga session: its moves, their order on a given day, and where it stands.

The article recommends facial exercise but names no moves, so these are the bot's own
suggestions of common ones. A session is a few moves done one after another, each for a fixed
time; which moves and in which order rotates with the date, so consecutive days differ. Where a
session stands is a pure function of the move it was on, when that move began and ``now``, so a
restart resumes it from the database without any timer state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final


@dataclass(frozen=True, slots=True)
class Move:
    """One facial-yoga move: what to call it, how to do it, what to hold, and for how long."""

    key: str
    name: str
    how: tuple[str, ...]
    hold: str
    seconds: int
    jaw: bool = False


MOVES: Final[tuple[Move, ...]] = (
    Move(
        "cheeks",
        "Cheek lifter",
        (
            "Smile with your lips closed.",
            "Rest your fingertips on your cheekbones and lift the cheeks gently upward.",
        ),
        "Hold 10 s, relax, repeat.",
        60,
    ),
    Move(
        "jawline",
        "Jawline sculpt",
        (
            "Tilt your head back a little and look at the ceiling.",
            "Push your lower jaw forward until you feel the stretch under your chin.",
        ),
        "Hold 5 s, return, repeat.",
        60,
        jaw=True,
    ),
    Move(
        "brow",
        "Brow smoother",
        (
            "Place your fingertips in the middle of your forehead.",
            "Slide them outward toward the temples with light pressure while you relax the brow.",
        ),
        "Slow strokes, 5 s each.",
        60,
    ),
    Move(
        "fish",
        "Fish face",
        (
            "Suck your cheeks in between your teeth.",
            "Keeping them in, try to smile.",
        ),
        "Hold 5 s, release, repeat.",
        60,
    ),
    Move(
        "eyes",
        "Eye-area lift",
        (
            "Put your ring fingers just under your brows.",
            "Lift the brows gently and blink slowly.",
        ),
        "Hold the lift for 10 slow blinks.",
        60,
    ),
    Move(
        "puffer",
        "Cheek puffer",
        (
            "Fill your cheeks with air and close your lips.",
            "Move the air from one cheek to the other.",
        ),
        "Keep it moving; breathe through your nose.",
        60,
    ),
    Move(
        "jaw",
        "Jaw release",
        (
            "Open your mouth wide, as in a big yawn.",
            "Close slowly with your lips together and let the jaw go loose.",
        ),
        "Open and close slowly, about 10 times.",
        60,
        jaw=True,
    ),
)
"""Seven common moves; a session takes :data:`SESSION_MOVES` of them, rotating by date."""

SESSION_MOVES: Final = 5
"""Moves in one session: five one-minute moves, the '5 min' on the start button."""

BY_KEY: Final = {move.key: move for move in MOVES}


def session_moves(day: date) -> tuple[Move, ...]:
    """The moves of a session on ``day``: the list rotated by the date, so each day starts anew."""
    start = day.toordinal() % len(MOVES)
    rotated = MOVES[start:] + MOVES[:start]
    return rotated[:SESSION_MOVES]


def session_length(moves: tuple[Move, ...]) -> timedelta:
    """How long a whole session takes."""
    return timedelta(seconds=sum(move.seconds for move in moves))


@dataclass(frozen=True, slots=True)
class Position:
    """Where a session stands: the move being done and the seconds left on it, or finished."""

    step: int
    remaining: int
    finished: bool


def position(moves: tuple[Move, ...], step: int, step_started: datetime, now: datetime) -> Position:
    """Where the session is at ``now``, if move ``step`` began at ``step_started``.

    When a move's time is up the session goes on to the next one by itself; past the last
    move it is finished. A clock that went backwards counts as no time passed.
    """
    left = max(0.0, (now - step_started).total_seconds())
    while step < len(moves):
        if left < moves[step].seconds:
            return Position(step, max(1, round(moves[step].seconds - left)), finished=False)
        left -= moves[step].seconds
        step += 1
    return Position(len(moves), 0, finished=True)
