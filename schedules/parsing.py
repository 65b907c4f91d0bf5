"""Parsers for what users type: command arguments (times, weekdays, routines, minutes, days,
nag rules) and short typed answers to a nudge ("done", "skip", "later").

Users type on phones, so the parsers are forgiving about form ("8", "08:00", "9:30pm", "19h",
"noon", "moisturise", "vitamin d", "15 min") but strict about meaning: every value is
range-checked here, once, so the bot and the scheduler can trust what they get. They are pure
functions that never raise on user input; they answer a value, ``None``, or a small value
saying why the input was refused, and leave the wording of any reply to the bot's texts. The
limits are named constants here so the texts quote the same numbers the parsers enforce.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from schedules.nudges import Outcome
from schedules.recurrence import EVERY_DAY, Weekdays
from schedules.routines import Routine

MAX_TIMES: Final = 6
"""Most daily times one routine may have."""

SNOOZE_MINUTES: Final = (5, 240)
"""Inclusive bounds for the snooze length, in minutes."""

PAUSE_DAYS: Final = (1, 365)
"""Inclusive bounds for the days of holiday mode."""

NAG_MINUTES: Final = (5, 240)
"""Inclusive bounds for the minutes between nag re-sends."""

NAG_TIMES: Final = (1, 10)
"""Inclusive bounds for how many times a nudge is re-sent."""

NAG_OFF: Final = "off"
"""What ``parse_nag`` returns for ``/nag off``."""

_MAX_TOKEN = 32
_MAX_ARGS = 24

_CLOCK = re.compile(
    r"(?P<h>[0-9]{1,2})(?:[:.h](?P<m>[0-9]{2})|h)?\s*(?P<ampm>[ap]\.?m\.?)?", re.ASCII
)
_TIME_WORDS: Final = {"noon": time(12), "midday": time(12), "midnight": time(0)}
_CONNECTORS: Final = frozenset({"and", "&", "+", "then"})
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
_WEEKDAY_WORDS: Final[dict[str, int]] = {
    word: day
    for day, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
    for word in ({name, f"{name}s"} if len(name) > 4 else {name})
}
_DAY_GROUPS: Final[dict[str, Weekdays]] = {
    **dict.fromkeys(("daily", "everyday", "day", "all days", "every day"), EVERY_DAY),
    **dict.fromkeys(("weekdays", "weekday", "workdays", "workday"), frozenset(range(5))),
    **dict.fromkeys(("weekends", "weekend"), frozenset({5, 6})),
}
_DAY_FILLERS = frozenset({"on", "every", "each", "and", "&", "+"})
_DAY_RANGE_WORDS = frozenset({"-", "–", "—", "to", "till", "until", "through", "thru"})
_DAY_RANGE = re.compile(r"(?P<a>[^\-–—]+)[\-–—](?P<b>[^\-–—]+)")
_ROUTINE_STOPS = frozenset({"at", "@", "on", "every"})

_ALL_WORDS = frozenset(
    {"all", "everything", "all routines", "every routine", "all of them", "all three"}
)
_ON_WORDS = frozenset({"on", "yes", "start", "enable", "1"})

_MAX_ANSWER = 40
_ANSWER_MARKS: Final[dict[str, Outcome]] = {
    "✅": Outcome.DONE,
    "✔": Outcome.DONE,
    "☑": Outcome.DONE,
    "👍": Outcome.DONE,
    "⏭": Outcome.SKIPPED,
    "⏰": Outcome.SNOOZED,
    "💤": Outcome.SNOOZED,
}
_ANSWER_PHRASES: Final[dict[str, Outcome]] = {
    **dict.fromkeys(
        (
            "done",
            "did it",
            "i did it",
            "done it",
            "i've done it",
            "ive done it",
            "all done",
            "finished",
            "complete",
            "completed",
        ),
        Outcome.DONE,
    ),
    **dict.fromkeys(
        ("skip", "skipped", "skip it", "skipping", "skip today", "not today", "pass"),
        Outcome.SKIPPED,
    ),
    **dict.fromkeys(
        ("later", "snooze", "snooze it", "remind me later", "not now", "in a bit"),
        Outcome.SNOOZED,
    ),
}
_FILLER_WORDS = frozenset({"ok", "okay", "thanks", "thx", "ty", "please", "pls"})

ALONE_ANSWERS: Final = frozenset({Outcome.DONE, Outcome.SKIPPED})
"""Answers that, typed on their own (not as a reply), answer the user's latest open nudge."""

# Typos are only matched against the longer, distinctive aliases: one edit away from
# "skin" or "pill" is too many ordinary words.
_FUZZY_ROUTINE_ALIASES: Final = tuple(
    alias for alias in _ROUTINE_ALIASES if len(alias) >= 6 or alias == "yoga"
)


class TimesProblem(StrEnum):
    """Why a list of daily times was refused."""

    MISSING = "missing"
    NOT_A_TIME = "not_a_time"
    NOT_A_DAY = "not_a_day"
    TOO_MANY = "too_many"


@dataclass(frozen=True, slots=True)
class TimesRejected:
    """A refused list of times: the problem, and for ``NOT_A_TIME``/``NOT_A_DAY`` the token."""

    problem: TimesProblem
    token: str = ""


@dataclass(frozen=True, slots=True)
class Schedule:
    """What ``/set`` asked for: daily times, and the weekdays if any were named.

    ``times`` is empty when only days were given ("/set yoga weekends"), and ``days`` is None
    when none were, so the routine keeps what it had.
    """

    times: tuple[time, ...]
    days: Weekdays | None


def parse_time(text: str) -> time | None:
    """One 24 h or am/pm clock time ("8", "08:00", "8.30", "0830", "19h", "9:30pm", "noon")."""
    if not isinstance(text, str) or len(text) > _MAX_TOKEN:
        return None
    token = text.strip().casefold()
    if token in _TIME_WORDS:
        return _TIME_WORDS[token]
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


def read_times(args: Sequence[str]) -> tuple[time, ...] | TimesRejected:
    """Daily times for ``/set``, sorted and de-duplicated, or why they were refused.

    Separators are forgiving ("8:00, 20:00", "8:00 and 20:00", "9:30 pm"); more than
    ``MAX_TIMES`` distinct times is refused as too many, not as a bad time.
    """
    if isinstance(args, str):
        return TimesRejected(TimesProblem.NOT_A_TIME, args)
    if len(args) > _MAX_ARGS:
        return TimesRejected(TimesProblem.TOO_MANY)
    tokens = _split_times(args)
    if isinstance(tokens, TimesRejected):
        return tokens
    if not tokens:
        return TimesRejected(TimesProblem.MISSING)
    parsed: set[time] = set()
    for token in tokens:
        moment = parse_time(token)
        if moment is None:
            return TimesRejected(TimesProblem.NOT_A_TIME, token)
        parsed.add(moment)
    if len(parsed) > MAX_TIMES:
        return TimesRejected(TimesProblem.TOO_MANY)
    return tuple(sorted(parsed))


def parse_times(args: Sequence[str]) -> tuple[time, ...] | None:
    """Daily times for ``/set``: sorted and de-duplicated; None if any is invalid or too many."""
    result = read_times(args)
    return None if isinstance(result, TimesRejected) else result


def parse_weekdays(text: str) -> Weekdays | None:
    """Days from one word: a name ("mon", "Tuesday"), a group ("weekdays", "weekends",
    "daily"), a range ("mon-fri", which may wrap: "fri-mon") or a list ("tue,thu",
    "mon/wed/fri"); None for anything else. Days are ``date.weekday()`` values."""
    if not isinstance(text, str) or len(text) > _MAX_TOKEN:
        return None
    key = " ".join(text.casefold().split()).strip(".")
    if not key:
        return None
    if key in _DAY_GROUPS:
        return _DAY_GROUPS[key]
    if key in _WEEKDAY_WORDS:
        return frozenset({_WEEKDAY_WORDS[key]})
    parts = [part for part in re.split(r"[,;/|+&]", key) if part.strip()]
    if len(parts) > 1:
        days: set[int] = set()
        for part in parts:
            found = parse_weekdays(part)
            if found is None:
                return None
            days |= found
        return frozenset(days)
    if (match := _DAY_RANGE.fullmatch(key)) is not None:
        first = _WEEKDAY_WORDS.get(match["a"].strip())
        last = _WEEKDAY_WORDS.get(match["b"].strip())
        return None if first is None or last is None else _day_range(first, last)
    return None


def _day_range(first: int, last: int) -> Weekdays:
    """Every day from ``first`` to ``last`` inclusive, wrapping past Sunday."""
    return frozenset((first + step) % 7 for step in range((last - first) % 7 + 1))


def read_schedule(args: Sequence[str]) -> Schedule | TimesRejected:
    """``/set``'s times and weekdays ("07:30 mon wed fri", "8:00 21:30 daily", "7 mon-fri",
    "8 on tue, thu"), or why they were refused; the days apply to every time.

    A word that is neither a time nor a day ("funday") is refused as ``NOT_A_DAY``, a
    number that is not a time as ``NOT_A_TIME``.
    """
    if isinstance(args, str):
        return TimesRejected(TimesProblem.NOT_A_TIME, args)
    if len(args) > _MAX_ARGS:
        return TimesRejected(TimesProblem.TOO_MANY)
    pieces: list[str] = []
    for arg in args:
        if not isinstance(arg, str) or len(arg) > _MAX_TOKEN * 4:
            return TimesRejected(TimesProblem.NOT_A_TIME, str(arg)[:_MAX_TOKEN])
        pieces += arg.replace(",", " ").replace(";", " ").split()
    days: set[int] | None = None
    rest: list[str] = []
    index = 0
    while index < len(pieces):
        piece = pieces[index]
        found = parse_weekdays(piece)
        if found is not None and index + 2 < len(pieces):
            ranged = _spelled_range(piece, pieces[index + 1], pieces[index + 2])
            if ranged is not None:
                found, index = ranged, index + 2
        if found is not None:
            days = (days or set()) | found
        elif piece.casefold() not in _DAY_FILLERS:
            rest.append(piece)
        index += 1
    times = read_times(rest)
    if isinstance(times, TimesRejected):
        if times.problem is TimesProblem.MISSING and days is not None:
            return Schedule((), frozenset(days))
        if times.problem is TimesProblem.NOT_A_TIME and _is_word(times.token):
            return TimesRejected(TimesProblem.NOT_A_DAY, times.token)
        return times
    return Schedule(times, None if days is None else frozenset(days))


def _spelled_range(first: str, word: str, last: str) -> Weekdays | None:
    """ "mon to fri", "mon - fri": a range spelled over three words."""
    if word.casefold() not in _DAY_RANGE_WORDS:
        return None
    start, end = _WEEKDAY_WORDS.get(first.casefold()), _WEEKDAY_WORDS.get(last.casefold())
    return None if start is None or end is None else _day_range(start, end)


def _is_word(token: str) -> bool:
    """Letters only, as a misspelt day is, and not a lone am/pm."""
    letters = token.strip(".!?")
    return letters.isalpha() and not _AMPM.fullmatch(letters.casefold())


def split_routine(args: Sequence[str]) -> tuple[str, list[str]]:
    """``/set``'s arguments as the routine's words and the times and days after them.

    A routine may take several words ("face yoga", "vitamin d"), so the times start at the
    first argument that begins with a digit or is a time word ("noon"), or at a day after the
    routine ("/set yoga weekends 8"); a lone "at" or "on" before them ("/set yoga at 8") is
    dropped.
    """
    words: list[str] = []
    for index, arg in enumerate(args):
        if _starts_times(arg) or (words and parse_weekdays(arg.rstrip(",;")) is not None):
            if words and words[-1].casefold() in _ROUTINE_STOPS:
                words.pop()
            return " ".join(words), list(args[index:])
        words.append(arg)
    return " ".join(words), []


def _starts_times(arg: str) -> bool:
    token = arg.strip().casefold()
    return (token[:1].isascii() and token[:1].isdigit()) or token.rstrip(",;") in _TIME_WORDS


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


def parse_routines(text: str) -> tuple[Routine, ...] | None:
    """``/on`` and ``/off``'s target: one routine, or every routine for "all"; else None."""
    if not isinstance(text, str) or len(text) > _MAX_TOKEN:
        return None
    if " ".join(text.casefold().split()) in _ALL_WORDS:
        return tuple(Routine)
    routine = parse_routine(text)
    return None if routine is None else (routine,)


def parse_switch(text: str) -> bool | None:
    """ "on" → True, "off" → False (and a few synonyms); None for anything else."""
    if not isinstance(text, str) or len(text) > _MAX_TOKEN:
        return None
    word = " ".join(text.casefold().split())
    if word in _ON_WORDS:
        return True
    if word in _OFF_WORDS:
        return False
    return None


def parse_answer(text: str) -> Outcome | None:
    """What a short typed message means if it is only an answer to a nudge, else None.

    "done", "did it ✅", "✅", "Skip!", "later", "snooze" and a few common variants answer;
    case, punctuation and a polite "ok"/"thanks" around them don't matter. Anything with
    other words in it ("done, but it hurt") is not an answer: it stays a note or a question.
    """
    if not isinstance(text, str) or len(text) > _MAX_ANSWER:
        return None
    words: list[str] = []
    marks: set[Outcome] = set()
    for ch in unicodedata.normalize("NFKC", text).casefold():
        if ch in _ANSWER_MARKS:
            marks.add(_ANSWER_MARKS[ch])
            words.append(" ")
        elif ch.isalnum() or ch in "'’":
            words.append("'" if ch == "’" else ch)
        else:
            words.append(" ")
    tokens = "".join(words).split()
    while tokens and tokens[0] in _FILLER_WORDS:
        tokens.pop(0)
    while tokens and tokens[-1] in _FILLER_WORDS:
        tokens.pop()
    phrase = " ".join(tokens)
    said = _ANSWER_PHRASES.get(phrase) if phrase else None
    if phrase and said is None:
        return None
    meant = marks | ({said} if said else set())
    return meant.pop() if len(meant) == 1 else None


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


def parse_days(text: str, *, low: int = PAUSE_DAYS[0], high: int = PAUSE_DAYS[1]) -> int | None:
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


def _split_times(args: Sequence[str]) -> list[str] | TimesRejected:
    """Split on commas, drop "and", and glue a separate "am"/"pm" to the time before it."""
    tokens: list[str] = []
    for arg in args:
        if not isinstance(arg, str) or len(arg) > _MAX_TOKEN * 4:
            return TimesRejected(TimesProblem.NOT_A_TIME, str(arg)[:_MAX_TOKEN])
        for piece in arg.replace(",", " ").replace(";", " ").split():
            if piece.casefold() in _CONNECTORS:
                continue
            if _AMPM.fullmatch(piece.casefold()) and tokens and not _AMPM.search(tokens[-1]):
                tokens[-1] += piece
            else:
                tokens.append(piece)
    return tokens
