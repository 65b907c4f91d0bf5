"""Parsers for the arguments of the bot's commands: times, routines, minutes, days and nag rules.

Users type commands on phones, so the parsers are forgiving about form ("8", "08:00",
"9:30pm", "moisturise", "15 min") but strict about meaning: every value is range-checked
here, once, so the bot and the scheduler can trust what they get. They are pure functions
that never raise on user input; they answer a value or ``None`` and leave the wording of
any reply to the bot's texts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from schedules.routines import Routine

MAX_TIMES: Final = 6
"""Most daily times one routine may have."""

NAG_MINUTES: Final = (5, 240)
"""Inclusive bounds for the minutes between nag re-sends."""

NAG_TIMES: Final = (1, 10)
"""Inclusive bounds for how many times a nudge is re-sent."""

NAG_OFF: Final = "off"
"""What ``parse_nag`` returns for ``/nag off``."""

_MAX_TOKEN = 32
_MAX_ARGS = 24

_CLOCK = re.compile(
    r"(?P<h>[0-9]{1,2})(?:[:.h](?P<m>[0-9]{2}))?\s*(?P<ampm>[ap]\.?m\.?)?", re.ASCII
)
_COMPACT = re.compile(r"(?P<h>[0-9]{2})(?P<m>[0-9]{2})\s*(?P<ampm>[ap]\.?m\.?)?", re.ASCII)
_AMPM = re.compile(r"[ap]\.?m\.?", re.ASCII)

_MINUTE_UNITS = r"(?:m|min|mins|minute|minutes)"
_HOUR_UNITS = r"(?:h|hr|hrs|hour|hours)"
_MINUTES = re.compile(rf"(?P<m>[0-9]{{1,5}})\s*{_MINUTE_UNITS}?", re.ASCII)
_HOURS = re.compile(
    rf"(?P<h>[0-9]{{1,3}})\s*{_HOUR_UNITS}(?:\s*(?P<m>[0-9]{{1,2}})\s*{_MINUTE_UNITS}?)?",
    re.ASCII,
)
_DAYS = re.compile(r"(?P<n>[0-9]{1,4})\s*(?P<unit>d|day|days|w|wk|wks|week|weeks)?", re.ASCII)
_NAG = re.compile(r"(?P<every>.+?)\s+(?P<times>[0-9]{1,3})\s*(?:x|times?)?", re.ASCII)
_OFF_WORDS = frozenset({"off", "stop", "disable", "no", "none", "0"})

_ROUTINE_ALIASES: Final[dict[str, Routine]] = {
    **dict.fromkeys(
        (
            "yoga",
            "face yoga",
            "facial yoga",
            "face exercise",
            "face exercises",
            "facial exercise",
            "facial exercises",
            "exercise",
            "exercises",
            "workout",
        ),
        Routine.YOGA,
    ),
    **dict.fromkeys(
        (
            "moisturize",
            "moisturise",
            "moisturizer",
            "moisturiser",
            "moisturizing",
            "moisturising",
            "moisture",
            "cream",
            "creme",
            "crème",
            "face cream",
            "lotion",
            "skin",
            "skincare",
            "skin care",
        ),
        Routine.MOISTURIZE,
    ),
    **dict.fromkeys(
        (
            "supplements",
            "supplement",
            "supps",
            "calcium",
            "vitamins",
            "vitamin",
            "vitamin d",
            "vitamin d3",
            "vit d",
            "vit d3",
            "vitd",
            "d3",
            "pills",
            "pill",
        ),
        Routine.SUPPLEMENTS,
    ),
}
# Typos are only matched against the longer, distinctive aliases: one edit away from
# "skin" or "pill" is too many ordinary words.
_FUZZY_ROUTINE_ALIASES: Final = tuple(
    alias for alias in _ROUTINE_ALIASES if len(alias) >= 6 or alias == "yoga"
)


def parse_time(text: str) -> time | None:
    """One 24 h or am/pm clock time ("8", "08:00", "8.30", "0830", "9:30pm"), or None."""
    if not isinstance(text, str) or len(text) > _MAX_TOKEN:
        return None
    token = text.strip().casefold()
    match = _CLOCK.fullmatch(token) or _COMPACT.fullmatch(token)
    if match is None:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = match["ampm"]
    if ampm is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_times(args: Sequence[str]) -> tuple[time, ...] | None:
    """Daily times for ``/set``: sorted and de-duplicated; None if any is invalid or too many."""
    if isinstance(args, str) or len(args) > _MAX_ARGS:
        return None
    tokens = _split_times(args)
    if tokens is None or not tokens:
        return None
    parsed: set[time] = set()
    for token in tokens:
        moment = parse_time(token)
        if moment is None:
            return None
        parsed.add(moment)
    if len(parsed) > MAX_TIMES:
        return None
    return tuple(sorted(parsed))


def parse_routine(text: str) -> Routine | None:
    """A routine from its name, an alias or a near-miss spelling; None for anything else."""
    if not isinstance(text, str) or len(text) > _MAX_TOKEN:
        return None
    key = " ".join(re.sub(r"[\s\-_./]+", " ", text.casefold()).split())
    if not key:
        return None
    exact = _ROUTINE_ALIASES.get(key)
    if exact is not None:
        return exact
    letters = sum(ch.isalpha() for ch in key)
    if letters < 4:
        return None
    limit = 1 if letters < 8 else 2
    hits = process.extract(
        key, _FUZZY_ROUTINE_ALIASES, scorer=OSA.distance, score_cutoff=limit, limit=5
    )
    if not hits:
        return None
    best = min(score for _, score, _ in hits)
    routines = {_ROUTINE_ALIASES[alias] for alias, score, _ in hits if score == best}
    return routines.pop() if len(routines) == 1 else None


def parse_minutes(text: str, *, low: int, high: int) -> int | None:
    """Positive minutes within ``low..high`` from "15", "15m", "15 min", "1h", "1h30"; else None."""
    if not isinstance(text, str) or len(text) > _MAX_TOKEN:
        return None
    token = text.strip().casefold()
    if match := _MINUTES.fullmatch(token):
        value = int(match["m"])
    elif match := _HOURS.fullmatch(token):
        extra = int(match["m"] or 0)
        if extra > 59:
            return None
        value = int(match["h"]) * 60 + extra
    else:
        return None
    return value if value > 0 and low <= value <= high else None


def parse_days(text: str, *, low: int = 1, high: int = 365) -> int | None:
    """Positive days within ``low..high`` from "3", "3d", "3 days" or "2w"; else None."""
    if not isinstance(text, str) or len(text) > _MAX_TOKEN:
        return None
    match = _DAYS.fullmatch(text.strip().casefold())
    if match is None:
        return None
    unit = match["unit"] or "d"
    value = int(match["n"]) * (7 if unit.startswith("w") else 1)
    return value if value > 0 and low <= value <= high else None


def parse_nag(args: Sequence[str]) -> tuple[int, int] | Literal["off"] | None:
    """``/nag 20 3`` → (20, 3) (minutes 5..240, times 1..10); ``/nag off`` → "off"; else None."""
    if isinstance(args, str) or not args or len(args) > _MAX_ARGS:
        return None
    if any(not isinstance(arg, str) or len(arg) > _MAX_TOKEN for arg in args):
        return None
    joined = " ".join(" ".join(args).casefold().split())
    if joined in _OFF_WORDS:
        return NAG_OFF
    match = _NAG.fullmatch(joined)
    if match is None:
        return None
    minutes = parse_minutes(match["every"], low=NAG_MINUTES[0], high=NAG_MINUTES[1])
    times = int(match["times"])
    if minutes is None or not NAG_TIMES[0] <= times <= NAG_TIMES[1]:
        return None
    return minutes, times


def _split_times(args: Sequence[str]) -> list[str] | None:
    """Split on commas and glue a separate "am"/"pm" to the time before it."""
    tokens: list[str] = []
    for arg in args:
        if not isinstance(arg, str) or len(arg) > _MAX_TOKEN * 4:
            return None
        for piece in arg.replace(",", " ").replace(";", " ").split():
            if _AMPM.fullmatch(piece.casefold()) and tokens and not _AMPM.search(tokens[-1]):
                tokens[-1] += piece
            else:
                tokens.append(piece)
    return tokens
