"""What /today, /plan and /set tell the user, derived from what the dispatcher itself uses.

Each planned time's state comes from its recorded nudge when there is one, and otherwise from
the slot's next due instant: a time whose instant today is still the slot's next due is still
to come; one the slot has moved past (the time or the zone changed after it) was not sent and
will not be. Holiday mode is applied the way the dispatcher applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from schedules.nudges import PAUSED_UNTIL_RESUMED, Outcome
from schedules.recurrence import EVERY_DAY, Weekdays, next_occurrence, occurrence
from schedules.routines import Routine


class SlotState(StrEnum):
    """One planned time of today, as the user should see it."""

    LATER = "later"
    """Still to come today."""
    DUE = "due"
    """Its time has come; the nudge is on its way."""
    WAITING = "waiting"
    """Sent, waiting for an answer."""
    SNOOZED = "snoozed"
    PASSED = "passed"
    """Its time went by before it was planned (a time or zone change): it was not sent."""
    PAUSED = "paused"
    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"


_FROM_OUTCOME = {
    Outcome.DONE: SlotState.DONE,
    Outcome.SKIPPED: SlotState.SKIPPED,
    Outcome.MISSED: SlotState.MISSED,
    Outcome.PAUSED: SlotState.PAUSED,
    Outcome.SNOOZED: SlotState.SNOOZED,
}

OPEN_STATES = frozenset({SlotState.LATER, SlotState.DUE, SlotState.WAITING, SlotState.SNOOZED})
"""States that a /today "done early" button can still close."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the database holds of a nudge that exists."""

    outcome: Outcome
    sends: int
    send_at: datetime | None


@dataclass(frozen=True, slots=True)
class TodayItem:
    """One row of /today."""

    routine: Routine
    at: time
    state: SlotState
    until: datetime | None = None
    """When a snoozed nudge comes back."""


def slot_state(
    day: date,
    at: time,
    tz: tzinfo,
    now: datetime,
    *,
    recorded: Recorded | None,
    slot_due: datetime | None,
    paused_until: datetime | None,
) -> tuple[SlotState, datetime | None]:
    """The state of planned time ``at`` on local ``day``, and the snooze's return if snoozed."""
    if recorded is not None:
        if recorded.outcome is Outcome.PENDING:
            return (SlotState.WAITING if recorded.sends else SlotState.DUE), None
        state = _FROM_OUTCOME[recorded.outcome]
        return state, recorded.send_at if state is SlotState.SNOOZED else None
    instant = occurrence(day, at, tz)
    if paused_until is not None and instant < paused_until:
        return SlotState.PAUSED, None
    if slot_due is None or slot_due > instant:
        return SlotState.PASSED, None
    return (SlotState.LATER if instant > now else SlotState.DUE), None


def next_send(
    slot_due: datetime | None,
    at: time,
    tz: tzinfo,
    paused_until: datetime | None,
    days: Weekdays = EVERY_DAY,
) -> datetime | None:
    """When this planned time really sends next: its next due instant, or the first after a pause.

    None when nothing is scheduled, or while paused until /resume.
    """
    if slot_due is None or paused_until is None or slot_due >= paused_until:
        return slot_due
    if paused_until >= PAUSED_UNTIL_RESUMED:
        return None
    return next_occurrence(at, tz, paused_until - timedelta(microseconds=1), days)
