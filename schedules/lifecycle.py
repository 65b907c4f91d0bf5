"""The life of one nudge as a pure state machine: ``advance(state, event, now) -> state``.

A nudge has an outcome (what the user made of it) and a delivery (where its next message is).
Every change either makes goes through :func:`advance`, so the dispatcher, the repository and the
handlers agree on the rules: when a send is claimed, retried, given up or judged too late, when
a press still counts, and when an unanswered nudge turns missed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from schedules.nudges import OPEN_OUTCOMES, Outcome


class Delivery(StrEnum):
    """Where a nudge's next message stands; the value is stored in the database."""

    NONE = "none"
    """Nothing to send: answered early, paused, missed at placement, or every send done."""
    QUEUED = "queued"
    """Waiting for ``send_at``: a first send, a snooze, a nag or a retry."""
    SENDING = "sending"
    """Claimed (committed before the send); after a crash it is sent again."""
    SENT = "sent"
    """The last message arrived; a nag may still be queued."""
    FAILED = "failed"
    """Telegram refused it for good (the user left, the chat is gone)."""
    UNCERTAIN = "uncertain"
    """The request left but no answer came back: it may have arrived, so it is never resent."""
    PARKED = "parked"
    """Raised an unexpected error; taken out of the queue so it cannot stall anyone else."""


class Failure(StrEnum):
    """How a send failed, as far as the client can know."""

    RETRY = "retry"
    """Never reached Telegram or Telegram had a fault (5xx, connect/pool timeout): try again."""
    MAYBE_SENT = "maybe_sent"
    """A read or write timeout: the message may have been delivered."""
    REFUSED = "refused"
    """A 4xx that retrying will not fix."""
    BLOCKED = "blocked"
    """The user blocked the bot or the chat is gone."""
    BROKEN = "broken"
    """An unexpected error of ours: park the nudge."""


RETRY_FIRST = timedelta(seconds=1)
RETRY_MAX = timedelta(minutes=5)


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off for one nudge: 1 s, 2 s, 4 s … at most 5 minutes."""
    return min(RETRY_FIRST * (1 << min(max(0, attempts - 1), 16)), RETRY_MAX)


@dataclass(frozen=True, slots=True)
class NudgeState:
    """Everything the rules need about one nudge."""

    outcome: Outcome
    delivery: Delivery
    send_at: datetime | None
    """When the next message should go (first send, snooze, nag or retry)."""
    target_at: datetime | None
    """The instant that message is meant for; lateness is judged from here, not from retries."""
    day_end: datetime
    answer_until: datetime
    sends: int = 0
    nags: int = 0
    attempts: int = 0

    @property
    def is_nag(self) -> bool:
        """A re-send of a nudge that was delivered and not answered (not a snooze)."""
        return self.sends > 0 and self.outcome is Outcome.PENDING


@dataclass(frozen=True, slots=True)
class Claim:
    """The dispatcher wants to send now."""

    catch_up: timedelta
    paused_until: datetime | None
    active: bool


@dataclass(frozen=True, slots=True)
class Sent:
    """Telegram accepted the message; ``nag_every`` and ``nag_times`` are the user's settings."""

    nag_every: timedelta | None
    nag_times: int


@dataclass(frozen=True, slots=True)
class Failed:
    """The send failed in the way ``failure`` says."""

    failure: Failure


@dataclass(frozen=True, slots=True)
class Released:
    """A claim that was never sent goes back to the queue (stop, or a lease that ran out)."""


@dataclass(frozen=True, slots=True)
class Answered:
    """The user pressed a button or typed an answer; ``snooze_to`` only with SNOOZED."""

    outcome: Outcome
    snooze_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class Noted:
    """The user replied to the nudge with a note: it has been seen, so nagging stops."""


@dataclass(frozen=True, slots=True)
class DayEnded:
    """The tick noticed that the nudge's local day is over."""


Event = Claim | Sent | Failed | Released | Answered | Noted | DayEnded


def can_answer(state: NudgeState, outcome: Outcome, now: datetime) -> bool:
    """Whether a press still changes the nudge.

    Open nudges take any answer; a missed or paused one can still be marked done or skipped; a
    done or skipped one stays as it is (a double tap changes nothing); after the end of the next
    local day the nudge is too old to change.
    """
    if now >= state.answer_until:
        return False
    if state.outcome in OPEN_OUTCOMES:
        return True
    return state.outcome in (Outcome.MISSED, Outcome.PAUSED) and outcome in (
        Outcome.DONE,
        Outcome.SKIPPED,
    )


def is_too_late(state: NudgeState, now: datetime, catch_up: timedelta) -> bool:
    """A message meant for longer ago than the catch-up window is not sent at all."""
    return state.target_at is not None and now - state.target_at > catch_up


def _drop_send(state: NudgeState) -> NudgeState:
    """No further message: keep how the last one went, or none if nothing was ever sent."""
    if state.send_at is None:
        return replace(state, attempts=0)
    return replace(
        state,
        send_at=None,
        target_at=None,
        attempts=0,
        delivery=Delivery.NONE if state.sends == 0 else Delivery.SENT,
    )


def _claim(state: NudgeState, event: Claim, now: datetime) -> NudgeState:
    if state.send_at is None or state.send_at > now or state.delivery is Delivery.SENDING:
        return state
    first = state.sends == 0 and state.outcome is Outcome.PENDING
    if state.outcome not in OPEN_OUTCOMES or not event.active:
        return _drop_send(state)
    if event.paused_until is not None and event.paused_until > now:
        return replace(_drop_send(state), outcome=Outcome.PAUSED)
    if is_too_late(state, now, event.catch_up):
        dropped = _drop_send(state)
        return replace(dropped, outcome=Outcome.MISSED) if first else dropped
    return replace(state, delivery=Delivery.SENDING)


def _sent(state: NudgeState, event: Sent, now: datetime) -> NudgeState:
    nags = state.nags + int(state.is_nag)
    outcome = Outcome.PENDING if state.outcome is Outcome.SNOOZED else state.outcome
    nag_at = None
    if outcome is Outcome.PENDING and event.nag_every is not None and nags < event.nag_times:
        nag_at = now + event.nag_every
    return replace(
        state,
        outcome=outcome,
        delivery=Delivery.SENT,
        send_at=nag_at,
        target_at=nag_at,
        sends=state.sends + 1,
        nags=nags,
        attempts=0,
    )


def _failed(state: NudgeState, event: Failed, now: datetime) -> NudgeState:
    if state.outcome not in OPEN_OUTCOMES:
        return _drop_send(state)
    if event.failure is Failure.RETRY:
        attempts = state.attempts + 1
        return replace(
            state,
            delivery=Delivery.QUEUED,
            send_at=now + retry_delay(attempts),
            attempts=attempts,
        )
    delivery = {
        Failure.MAYBE_SENT: Delivery.UNCERTAIN,
        Failure.REFUSED: Delivery.FAILED,
        Failure.BLOCKED: Delivery.FAILED,
        Failure.BROKEN: Delivery.PARKED,
    }[event.failure]
    return replace(state, delivery=delivery, send_at=None, target_at=None, attempts=0)


def _answered(state: NudgeState, event: Answered, now: datetime) -> NudgeState:
    if not can_answer(state, event.outcome, now):
        return state
    if event.outcome is Outcome.SNOOZED and event.snooze_to is not None:
        return replace(
            state,
            outcome=Outcome.SNOOZED,
            delivery=Delivery.QUEUED,
            send_at=event.snooze_to,
            target_at=event.snooze_to,
            nags=0,
            attempts=0,
        )
    return replace(_drop_send(state), outcome=event.outcome, nags=0)


def _day_ended(state: NudgeState, now: datetime) -> NudgeState:
    """Unanswered at the end of its day: missed, unless a snooze is still to come back."""
    if state.outcome not in OPEN_OUTCOMES or now < state.day_end:
        return state
    if state.outcome is Outcome.SNOOZED and state.send_at is not None:
        return state
    if state.delivery is Delivery.SENDING:
        return state
    return replace(_drop_send(state), outcome=Outcome.MISSED)


def advance(state: NudgeState, event: Event, now: datetime) -> NudgeState:
    """The nudge after ``event`` at ``now``; an event that does not apply changes nothing."""
    match event:
        case Claim():
            return _claim(state, event, now)
        case Sent():
            return _sent(state, event, now)
        case Failed():
            return _failed(state, event, now)
        case Released():
            if state.delivery is not Delivery.SENDING:
                return state
            return replace(state, delivery=Delivery.QUEUED)
        case Answered():
            return _answered(state, event, now)
        case Noted():
            if not state.is_nag or state.delivery is Delivery.SENDING:
                return state
            return _drop_send(state)
        case DayEnded():
            return _day_ended(state, now)
