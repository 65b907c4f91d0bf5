"""The nudge state machine with plain values and an explicit ``now``: rules, then properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.lifecycle import (
    Answered,
    Claim,
    DayEnded,
    Delivery,
    Event,
    Failed,
    Failure,
    Noted,
    NudgeState,
    Released,
    Sent,
    advance,
    can_answer,
    retry_delay,
)
from schedules.nudges import OPEN_OUTCOMES, Outcome

DUE = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
DAY_END = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
ANSWER_UNTIL = DAY_END + timedelta(days=1)
CATCH_UP = timedelta(hours=2)
ACTIVE = Claim(CATCH_UP, paused_until=None, active=True)
NO_NAG = Sent(nag_every=None, nag_times=0)
CLOSED = frozenset(Outcome) - OPEN_OUTCOMES


def fresh(due: datetime = DUE) -> NudgeState:
    """A nudge just placed for ``due``."""
    return NudgeState(
        outcome=Outcome.PENDING,
        delivery=Delivery.QUEUED,
        send_at=due,
        target_at=due,
        day_end=DAY_END,
        answer_until=ANSWER_UNTIL,
    )


def sent(state: NudgeState, at: datetime, event: Sent = NO_NAG) -> NudgeState:
    """Claim and deliver at ``at``."""
    claimed = advance(state, ACTIVE, at)
    assert claimed.delivery is Delivery.SENDING
    return advance(claimed, event, at)


def test_claim_then_sent_records_one_send_and_nothing_queued() -> None:
    state = sent(fresh(), DUE)
    assert (state.delivery, state.sends, state.send_at, state.outcome) == (
        Delivery.SENT,
        1,
        None,
        Outcome.PENDING,
    )


def test_a_first_send_later_than_catch_up_is_missed_not_sent() -> None:
    late = DUE + CATCH_UP + timedelta(seconds=1)
    state = advance(fresh(), ACTIVE, late)
    assert (state.outcome, state.delivery, state.send_at) == (Outcome.MISSED, Delivery.NONE, None)


def test_a_retried_send_is_judged_late_from_its_target_not_from_the_retry() -> None:
    state = advance(fresh(), ACTIVE, DUE)
    state = advance(state, Failed(Failure.RETRY), DUE)
    assert state.send_at == DUE + retry_delay(1)
    assert state.target_at == DUE
    # the network stays down: the retry finally comes round three hours later
    state = replace(state, send_at=DUE + timedelta(hours=3))
    state = advance(state, ACTIVE, DUE + timedelta(hours=3))
    assert state.outcome is Outcome.MISSED
    assert state.send_at is None


@pytest.mark.parametrize(
    ("failure", "delivery"),
    [
        (Failure.MAYBE_SENT, Delivery.UNCERTAIN),
        (Failure.REFUSED, Delivery.FAILED),
        (Failure.BLOCKED, Delivery.FAILED),
        (Failure.BROKEN, Delivery.PARKED),
    ],
)
def test_failures_that_must_not_be_retried_leave_nothing_queued(
    failure: Failure, delivery: Delivery
) -> None:
    state = advance(advance(fresh(), ACTIVE, DUE), Failed(failure), DUE)
    assert (state.delivery, state.send_at) == (delivery, None)
    assert advance(state, ACTIVE, DUE + timedelta(minutes=1)) == state


def test_retry_back_off_doubles_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert retry_delay(50) == timedelta(minutes=5)


def test_released_claim_goes_back_to_the_queue_for_the_same_instant() -> None:
    claimed = advance(fresh(), ACTIVE, DUE)
    back = advance(claimed, Released(), DUE + timedelta(seconds=3))
    assert (back.delivery, back.send_at) == (Delivery.QUEUED, DUE)


def test_paused_user_gets_the_nudge_recorded_paused() -> None:
    pause = Claim(CATCH_UP, paused_until=DUE + timedelta(days=2), active=True)
    state = advance(fresh(), pause, DUE)
    assert (state.outcome, state.delivery, state.send_at) == (Outcome.PAUSED, Delivery.NONE, None)


def test_nag_every_twenty_minutes_at_most_twice() -> None:
    nag = Sent(nag_every=timedelta(minutes=20), nag_times=2)
    state = sent(fresh(), DUE, nag)
    assert state.send_at == DUE + timedelta(minutes=20)
    assert state.is_nag
    state = sent(state, DUE + timedelta(minutes=20), nag)
    state = sent(state, DUE + timedelta(minutes=40), nag)
    assert (state.sends, state.nags, state.send_at) == (3, 2, None)


def test_a_note_stops_nagging_but_changes_no_outcome() -> None:
    nag = Sent(nag_every=timedelta(minutes=20), nag_times=3)
    state = advance(sent(fresh(), DUE, nag), Noted(), DUE + timedelta(minutes=5))
    assert (state.outcome, state.send_at, state.delivery) == (
        Outcome.PENDING,
        None,
        Delivery.SENT,
    )


def test_snooze_across_midnight_survives_the_end_of_the_day() -> None:
    late = DUE.replace(hour=23, minute=50)
    state = sent(fresh(late), late)
    back = DAY_END + timedelta(minutes=20)
    state = advance(state, Answered(Outcome.SNOOZED, back), late)
    state = advance(state, DayEnded(), DAY_END + timedelta(minutes=1))
    assert (state.outcome, state.send_at) == (Outcome.SNOOZED, back)
    state = sent(state, back)
    assert (state.outcome, state.sends) == (Outcome.PENDING, 2)
    assert advance(state, Answered(Outcome.DONE), back + timedelta(minutes=3)).outcome is (
        Outcome.DONE
    )


def test_unanswered_at_day_end_is_missed_and_can_still_be_marked_done_next_day() -> None:
    state = advance(sent(fresh(), DUE), DayEnded(), DAY_END)
    assert state.outcome is Outcome.MISSED
    assert advance(state, Answered(Outcome.SNOOZED, DAY_END), DAY_END) == state
    done = advance(state, Answered(Outcome.DONE), DAY_END + timedelta(hours=9))
    assert done.outcome is Outcome.DONE


def test_a_press_after_the_end_of_the_next_day_is_too_old() -> None:
    state = sent(fresh(), DUE)
    assert not can_answer(state, Outcome.DONE, ANSWER_UNTIL)
    assert advance(state, Answered(Outcome.DONE), ANSWER_UNTIL + timedelta(days=28)) == state


def test_done_is_final_a_double_tap_changes_nothing() -> None:
    done = advance(sent(fresh(), DUE), Answered(Outcome.DONE), DUE + timedelta(minutes=1))
    for outcome in (Outcome.DONE, Outcome.SKIPPED, Outcome.SNOOZED):
        assert advance(done, Answered(outcome, DUE), DUE + timedelta(minutes=2)) == done


# --- properties ------------------------------------------------------------------------------

OFFSETS = st.integers(min_value=0, max_value=60 * 60 * 60)
EVENTS: st.SearchStrategy[Event] = st.one_of(
    st.builds(
        Claim,
        st.just(CATCH_UP),
        st.sampled_from([None, DUE + timedelta(days=1), DUE - timedelta(days=1)]),
        st.booleans(),
    ),
    st.builds(
        Sent,
        st.sampled_from([None, timedelta(minutes=20)]),
        st.integers(min_value=0, max_value=3),
    ),
    st.builds(Failed, st.sampled_from(list(Failure))),
    st.just(Released()),
    st.builds(
        Answered,
        st.sampled_from([Outcome.DONE, Outcome.SKIPPED, Outcome.SNOOZED]),
        st.just(DUE + timedelta(hours=1)),
    ),
    st.just(Noted()),
    st.just(DayEnded()),
)


def run(steps: list[tuple[int, Event]]) -> list[tuple[NudgeState, Event, NudgeState, datetime]]:
    """Apply events at non-decreasing instants; every transition for the caller to check."""
    state, now, seen = fresh(), DUE, []
    for offset, event in sorted(steps, key=lambda step: step[0]):
        now = DUE + timedelta(seconds=offset)
        after = advance(state, event, now)
        seen.append((state, event, after, now))
        state = after
    return seen


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(OFFSETS, EVENTS), max_size=25))
def test_no_message_is_ever_queued_for_a_nudge_already_answered(
    steps: list[tuple[int, Event]],
) -> None:
    for before, event, after, now in run(steps):
        if after.outcome in CLOSED:
            assert after.send_at is None, (before, event, after)
        if isinstance(event, Claim) and after.delivery is Delivery.SENDING:
            assert before.outcome in OPEN_OUTCOMES
            assert before.send_at is not None
            assert before.send_at <= now
        assert after.sends >= before.sends
        if after.outcome is Outcome.SNOOZED:
            assert after.send_at is not None or after.delivery is not Delivery.QUEUED
        if before.outcome in (Outcome.DONE, Outcome.SKIPPED):
            assert after.outcome is before.outcome


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(OFFSETS, EVENTS), max_size=25))
def test_every_nudge_ends_with_exactly_one_final_outcome(steps: list[tuple[int, Event]]) -> None:
    seen = run(steps)
    state = seen[-1][2] if seen else fresh()
    # the dispatcher keeps going: whatever is on the wire lands, whatever is queued is tried
    now = max(DUE, seen[-1][3]) if seen else DUE
    for _ in range(10):
        if state.delivery is Delivery.SENDING:
            state = advance(state, NO_NAG, now)
        if state.send_at is not None:
            now = max(now, state.send_at)
            state = advance(state, ACTIVE, now)
            continue
        break
    end = max(now, ANSWER_UNTIL)
    state = advance(state, NO_NAG, end) if state.delivery is Delivery.SENDING else state
    state = advance(state, DayEnded(), end)
    assert state.outcome in CLOSED, state
    assert state.send_at is None
