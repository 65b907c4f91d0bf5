"""Property: whatever the plan, the presses and the clock steps, the database keeps its promise.

The dispatcher's storage side is driven directly (place, claim, record the send) on a real SQLite
file with a controlled clock; every planned (routine, local date, time) of the days the run
covered ends with exactly one nudge and one final outcome, and no message is ever claimed for a
nudge that was already answered.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.repo import DueSlot, Repository
from schedules.nudges import OPEN_OUTCOMES, Occurrence, Outcome, first_due, place_occurrence
from schedules.recurrence import local_date
from schedules.routines import Routine
from schedules.zones import resolve_zone

START = datetime(2026, 3, 27, 20, 0, tzinfo=UTC)  # a DST weekend in Europe follows
CATCH_UP = timedelta(hours=2)
USER = 1
TIMES = [time(h, m) for h in (0, 2, 7, 8, 12, 21, 23) for m in (0, 30)]
PRESSES = (None, Outcome.DONE, Outcome.SKIPPED, Outcome.SNOOZED)
FINAL = frozenset({Outcome.DONE, Outcome.SKIPPED, Outcome.MISSED})


async def run(
    db: Path, zone: str, times: list[time], steps: list[tuple[int, Outcome | None]]
) -> None:
    tz = resolve_zone(zone)
    repo = await Repository.open(db)
    now = START
    messages = 0
    last_message: int | None = None

    def place(slot: DueSlot) -> Occurrence:
        return place_occurrence(
            slot.routine,
            slot.local_time,
            tz,
            slot.due,
            now=now,
            catch_up=CATCH_UP,
            paused_until=slot.paused_until,
        )

    async def dispatch() -> None:
        nonlocal messages, last_message
        await repo.expire_open(now)
        await repo.materialize_due(now, 1000, place)
        for claim in await repo.claim_sends(now, 1000, CATCH_UP):
            [nudge] = [n for n in await repo.history(USER) if n.nudge_id == claim.nudge_id]
            assert nudge.outcome in OPEN_OUTCOMES, "a message claimed for an answered nudge"
            messages += 1
            assert await repo.record_sent(claim, messages, now)
            last_message = claim.nudge_id

    try:
        await repo.register(USER, USER, now)
        dues = {(Routine.YOGA, at): first_due(at, tz, now) for at in times}
        await repo.start_plan(USER, zone, {Routine.YOGA: times}, dues, None)
        for minutes, press in steps:
            now += timedelta(minutes=minutes)
            await dispatch()
            if press is not None and last_message is not None:
                snooze = now + timedelta(minutes=30) if press is Outcome.SNOOZED else None
                await repo.answer(USER, last_message, press, now, snooze)
        end = now
        while now < end + timedelta(days=3):  # the bot keeps running: everything settles
            now += timedelta(hours=1)  # within the catch-up window, so a late nudge still goes
            await dispatch()
        first_day = local_date(START, tz) + timedelta(days=1)
        last_day = local_date(end, tz)
        counts: dict[tuple[date, time], list[Outcome]] = {}
        for nudge in await repo.history(USER):
            counts.setdefault((nudge.local_date, nudge.local_time), []).append(nudge.outcome)
        day = first_day
        while day < last_day:
            for at in times:
                outcomes = counts.get((day, at), [])
                assert len(outcomes) == 1, (day, at, outcomes)
                assert outcomes[0] in FINAL, (day, at, outcomes)
            day += timedelta(days=1)
    finally:
        await repo.close()


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu"]),
    times=st.lists(st.sampled_from(TIMES), min_size=1, max_size=3, unique=True),
    steps=st.lists(
        st.tuples(st.integers(min_value=5, max_value=600), st.sampled_from(PRESSES)),
        min_size=5,
        max_size=40,
    ),
)
def test_every_planned_time_ends_with_exactly_one_outcome(
    zone: str, times: list[time], steps: list[tuple[int, Outcome | None]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder) / "p.db", zone, sorted(times), steps))
