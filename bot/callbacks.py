"""Compact, ASCII button data (Telegram allows 64 bytes) and its strict parser.

Every button names what it acts on; the handler then checks it against the pressing user's
own rows, so forged, stale or foreign data changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Final

from schedules.nudges import Outcome
from schedules.routines import Routine
from schedules.zones import is_stored_zone


class CallbackKind(StrEnum):
    """What a button's data starts with, which decides the handler that gets the press."""

    NUDGE = "n"
    """✅ Done, ⏰ Snooze or ⏭ Skip on a nudge: ``n:<nudge id>:<d|z|k>``."""
    TODAY = "t"
    """/today's "done early" for one planned time: ``t:<routine>:<yyyymmdd>:<hhmm>``."""
    FAQ = "f"
    """A /faq topic: ``f:<entry id>``."""
    FORGET = "x"
    """/forget's confirmation (x for erase): ``x:yes`` or ``x:no``."""
    SUMMARY = "w"
    """The weekly summary's opt-out: ``w:off``."""
    YOGA = "y"
    """A guided session's start, next or stop: ``y:<s|n|x>:<id>``."""
    ZONE = "z"
    """A time-zone choice or "no": ``z:<IANA zone>`` or ``z:-``."""

    @property
    def pattern(self) -> str:
        """The ``CallbackQueryHandler`` pattern that routes this kind of button."""
        return f"^{self.value}:"


ZONE_NONE: Final = "-"
"""What the zone-choice "no" button carries instead of a zone."""

_ACTIONS: Final = {"d": Outcome.DONE, "z": Outcome.SNOOZED, "k": Outcome.SKIPPED}
_ACTION_CODES: Final = {v: k for k, v in _ACTIONS.items()}
_ROUTINES: Final = {"y": Routine.YOGA, "m": Routine.MOISTURIZE, "s": Routine.SUPPLEMENTS}
_ROUTINE_CODES: Final = {v: k for k, v in _ROUTINES.items()}

_NUDGE = re.compile(r"n:([0-9]{1,19}):([dzk])")
_TODAY = re.compile(r"t:([yms]):([0-9]{8}):([0-9]{4})")
MAX_ID: Final = 2**63 - 1
"""SQLite's largest INTEGER: a bigger forged id must not reach the database."""
_FAQ = re.compile(r"f:([a-z0-9_]{1,20})")
_FORGET = re.compile(r"x:(yes|no)")
_YOGA = re.compile(r"y:([snx]):([0-9]{1,19})")
_ZONE = re.compile(r"z:([A-Za-z0-9_+\-/:]{1,60})")


@dataclass(frozen=True, slots=True)
class NudgeAction:
    """Done / Snooze / Skip pressed on a nudge."""

    nudge_id: int
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class DoneEarly:
    """Mark one of today's nudges done from /today, sent or not yet."""

    routine: Routine
    day: date
    at: time


class YogaStep(StrEnum):
    """What a facial-yoga button asks for; the value is its one-letter code."""

    START = "s"
    NEXT = "n"
    STOP = "x"


@dataclass(frozen=True, slots=True)
class YogaAction:
    """▶ Start on a yoga nudge (``target`` is the nudge), or ⏭ Next / ⏹ Stop (the session)."""

    step: YogaStep
    target: int


def nudge_data(nudge_id: int, outcome: Outcome) -> str:
    """CallbackKind data for a nudge button."""
    return f"{CallbackKind.NUDGE}:{nudge_id}:{_ACTION_CODES[outcome]}"


def today_data(routine: Routine, day: date, at: time) -> str:
    """CallbackKind data for marking a nudge of today done early."""
    return f"{CallbackKind.TODAY}:{_ROUTINE_CODES[routine]}:{day:%Y%m%d}:{at:%H%M}"


def faq_data(entry_id: str) -> str:
    """CallbackKind data for an FAQ topic."""
    return f"{CallbackKind.FAQ}:{entry_id}"


def forget_data(confirm: bool) -> str:
    """CallbackKind data for confirming or cancelling /forget."""
    return f"{CallbackKind.FORGET}:{'yes' if confirm else 'no'}"


def yoga_data(step: YogaStep, target: int) -> str:
    """CallbackKind data for starting a session from a nudge, or stepping through one."""
    return f"{CallbackKind.YOGA}:{step.value}:{target}"


def zone_data(zone: str) -> str:
    """CallbackKind data for picking (or, with ``ZONE_NONE``, declining) a time zone."""
    return f"{CallbackKind.ZONE}:{zone}"


SUMMARY_OFF_DATA: Final = f"{CallbackKind.SUMMARY}:off"
"""CallbackKind data for the weekly summary's opt-out."""


def parse_nudge(data: str) -> NudgeAction | None:
    """A nudge button's data, or None if it is not well formed."""
    match = _NUDGE.fullmatch(data)
    if not match or int(match[1]) > MAX_ID:
        return None
    return NudgeAction(int(match[1]), _ACTIONS[match[2]])


def parse_today(data: str) -> DoneEarly | None:
    """A /today button's data, or None if it is not a real date and time."""
    match = _TODAY.fullmatch(data)
    if not match:
        return None
    try:
        stamp = datetime.strptime(match[2] + match[3], "%Y%m%d%H%M")  # noqa: DTZ007 - a label
    except ValueError:
        return None
    return DoneEarly(_ROUTINES[match[1]], stamp.date(), stamp.time())


def parse_faq(data: str) -> str | None:
    """The FAQ entry id a topic button names."""
    match = _FAQ.fullmatch(data)
    return match[1] if match else None


def parse_forget(data: str) -> bool | None:
    """True for a confirmed /forget, False for cancel, None for anything else."""
    match = _FORGET.fullmatch(data)
    return None if not match else match[1] == "yes"


def parse_yoga(data: str) -> YogaAction | None:
    """A facial-yoga button's data, or None if it is not well formed."""
    match = _YOGA.fullmatch(data)
    if not match or int(match[2]) > MAX_ID:
        return None
    return YogaAction(YogaStep(match[1]), int(match[2]))


def parse_zone_choice(data: str) -> str | None:
    """The zone a zone button names, ``ZONE_NONE`` for "no", None for anything else."""
    match = _ZONE.fullmatch(data)
    if not match:
        return None
    zone = match[1]
    return zone if zone == ZONE_NONE or is_stored_zone(zone) else None
