"""The storage layer against a real SQLite file: schema, idempotent placing, recovery, forget."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.repo import MIGRATIONS, USER_TABLES, DueSlot, Repository, SessionState
from schedules.nudges import Occurrence, Outcome, place_occurrence
from schedules.recurrence import occurrence
from schedules.routines import Routine
from schedules.supplements import Dose, Food, Nutrient
from schedules.zones import resolve_zone

NOW = datetime(2026, 11, 26, 8, 0, 30, tzinfo=UTC)
DUE = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
CATCH_UP = timedelta(hours=2)
A, B = 101, 202


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    opened = await Repository.open(tmp_path / "repo.db")
    yield opened
    await opened.close()


def placer(now: datetime = NOW) -> Callable[[DueSlot], Occurrence]:
    def place(slot: DueSlot) -> Occurrence:
        return place_occurrence(
            slot.routine,
            slot.local_time,
            resolve_zone(slot.zone),
            slot.due,
            now=now,
            catch_up=CATCH_UP,
            paused_until=slot.paused_until,
        )

    return place


async def user_with_yoga(
    repo: Repository,
    user_id: int,
    times: tuple[time, ...] = (time(8, 0),),
    day_due: datetime = DUE,
) -> None:
    """A registered UTC user whose yoga times fall due on ``day_due``'s date."""
    await repo.register(user_id, user_id, NOW - timedelta(days=3))
    await repo.set_zone(user_id, "UTC", {})
    dues = {at: datetime.combine(day_due.date(), at, UTC) for at in times}
    await repo.set_plan(user_id, Routine.YOGA, enabled=True, times=times, dues=dues)


async def test_migration_sets_user_version_and_reopening_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    first = await Repository.open(path)
    assert await first.schema_version() == len(MIGRATIONS)
    await first.register(A, A, NOW)
    await first.close()

    again = await Repository.open(path)
    try:
        assert await again.schema_version() == len(MIGRATIONS)
        user = await again.get_user(A)
        assert user is not None
        assert user.active
    finally:
        await again.close()
    with sqlite3.connect(path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    assert set(USER_TABLES) <= tables


async def test_placing_the_same_instant_twice_creates_one_nudge(repo: Repository) -> None:
    await user_with_yoga(repo, A)
    assert (await repo.materialize_due(NOW, 100, placer())).placed == 1
    # a second placing of the same occurrence (a second tick, or the slot rewound by a race)
    assert (await repo.materialize_due(NOW, 100, placer())).placed == 0
    await repo.set_plan(A, Routine.YOGA, enabled=True, times=(time(8, 0),), dues={time(8, 0): DUE})
    assert (await repo.materialize_due(NOW, 100, placer())).placed == 1
    history = await repo.history(A)
    assert [(n.local_time, n.outcome, n.delivery) for n in history] == [
        (time(8, 0), Outcome.PENDING, "queued")
    ]
    plan = await repo.get_plan(A)
    assert plan[0].next_due == DUE + timedelta(days=1)


async def test_done_early_on_one_time_leaves_the_routines_other_time_due(
    repo: Repository,
) -> None:
    await user_with_yoga(repo, A, (time(8, 0), time(12, 0)))
    tz = resolve_zone("UTC")
    early = place_occurrence(
        Routine.YOGA,
        time(8, 0),
        tz,
        occurrence(DUE.date(), time(8, 0), tz),
        now=NOW - timedelta(hours=1),
        catch_up=CATCH_UP,
        paused_until=None,
    )
    assert await repo.mark_done_early(A, early, NOW - timedelta(hours=1))
    # the 08:00 slot moved on to tomorrow, so /plan tells the truth
    [entry] = await repo.get_plan(A)
    assert entry.due_at(time(8, 0)) == early.next_due
    noon = DUE.replace(hour=12, minute=0, second=5)
    assert (await repo.materialize_due(noon, 100, placer(noon))).placed == 1
    history = await repo.history(A)
    assert [(n.local_time, n.outcome) for n in history] == [
        (time(8, 0), Outcome.DONE),
        (time(12, 0), Outcome.PENDING),
    ]
    claims = await repo.claim_sends(noon, 100, CATCH_UP)
    assert [c.local_time for c in claims] == [time(12, 0)]


async def test_claims_a_crash_left_are_sent_again_once(repo: Repository) -> None:
    await user_with_yoga(repo, A)
    await repo.materialize_due(NOW, 100, placer())
    claims = await repo.claim_sends(NOW, 100, CATCH_UP)
    assert len(claims) == 1
    assert (await repo.history(A))[0].delivery == "sending"
    # a claimed send is not claimed twice while in flight
    assert await repo.claim_sends(NOW, 100, CATCH_UP) == []

    assert await repo.release_stale(None, NOW) == 1
    assert (await repo.history(A))[0].delivery == "queued"
    again = await repo.claim_sends(NOW, 100, CATCH_UP)
    assert [c.nudge_id for c in again] == [claims[0].nudge_id]
    assert not again[0].is_nag
    await repo.record_sent(again[0], 77, NOW)
    assert await repo.release_stale(None, NOW) == 0
    stored = (await repo.history(A))[0]
    assert (stored.delivery, stored.message_id) == ("sent", 77)
    assert await repo.claim_sends(NOW + timedelta(minutes=5), 100, CATCH_UP) == []


async def test_a_new_zone_moves_the_weekly_summary_of_those_who_get_one_only(
    repo: Repository,
) -> None:
    berlin_sunday = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # 19:00 in Berlin
    for user_id in (A, B):
        await repo.register(user_id, user_id, NOW)
        await repo.set_zone(user_id, "UTC", {})
    await repo.set_weekly_summary(A, datetime(2026, 11, 29, 19, 0, tzinfo=UTC))
    await repo.set_weekly_summary(B, None)
    for user_id in (A, B):
        await repo.set_zone(user_id, "Europe/Berlin", {}, berlin_sunday)
    due = await repo.due_summaries(berlin_sunday, 10)
    assert [(d.user_id, d.due) for d in due] == [(A, berlin_sunday)]


async def test_forget_deletes_every_row_of_that_user_only(repo: Repository) -> None:
    for user_id in (A, B):
        await user_with_yoga(repo, user_id)
    await repo.materialize_due(NOW, 100, placer())
    for claim in await repo.claim_sends(NOW, 100, CATCH_UP):
        await repo.record_sent(claim, 500 + claim.user_id, NOW)
    for user_id in (A, B):
        await repo.start_session(
            user_id, user_id, nudge_id=None, message_id=None, day=DUE.date(), now=NOW
        )
        await repo.set_dose(user_id, DUE.date(), Dose(600, 400))
        await repo.add_food(user_id, DUE.date(), Food(Nutrient.CALCIUM, 300, "yogurt"), NOW)
    before = await repo.count_rows(B)
    assert all(before[t] >= 1 for t in USER_TABLES), before
    assert await repo.count_rows(A) == before

    assert await repo.forget(A) is True
    assert await repo.count_rows(A) == dict.fromkeys(USER_TABLES, 0)
    assert await repo.count_rows(B) == before
    assert await repo.get_user(A) is None
    assert await repo.forget(A) is False


async def test_claim_marks_a_first_send_beyond_catch_up_missed(repo: Repository) -> None:
    await user_with_yoga(repo, A)
    await repo.materialize_due(NOW, 100, placer())
    later = NOW + timedelta(hours=3)
    assert await repo.claim_sends(later, 100, CATCH_UP) == []
    stored = (await repo.history(A))[0]
    assert (stored.outcome, stored.delivery) == (Outcome.MISSED, "none")
    assert await repo.next_wake() == DUE + timedelta(days=1)


async def test_deactivated_user_is_not_claimed_and_register_brings_them_back(
    repo: Repository,
) -> None:
    await user_with_yoga(repo, A)
    await repo.materialize_due(NOW, 100, placer())
    await repo.deactivate(A)
    assert await repo.claim_sends(NOW, 100, CATCH_UP) == []
    user = await repo.get_user(A)
    assert user is not None
    assert user.active is False
    assert (await repo.materialize_due(NOW + timedelta(days=2), 100, placer())).placed == 0
    user, created = await repo.register(A, A, NOW)
    assert (user.active, created) == (True, False)


async def test_one_running_session_per_user_and_moves_only_from_the_state_read(
    repo: Repository,
) -> None:
    await user_with_yoga(repo, A)
    day = DUE.date()
    session = await repo.start_session(A, A, nudge_id=None, message_id=None, day=day, now=NOW)
    assert session is not None
    assert (session.step, session.step_started, session.state) == (0, NOW, SessionState.RUNNING)
    again = await repo.start_session(A, A, nudge_id=None, message_id=9, day=day, now=NOW)
    assert again is None
    await repo.set_session_message(session.session_id, 9)
    later = NOW + timedelta(seconds=20)
    assert await repo.move_session(session, 1, later)
    assert not await repo.move_session(session, 2, later), "a stale read must not move it"
    moved = await repo.running_session(A)
    assert moved is not None
    assert (moved.step, moved.step_started, moved.message_id) == (1, later, 9)
    assert await repo.end_session(moved, SessionState.STOPPED, 1, later)
    assert not await repo.end_session(moved, SessionState.DONE, 4, later)
    assert await repo.running_sessions() == []
    assert await repo.start_session(A, A, nudge_id=None, message_id=None, day=day, now=later)


async def test_the_dose_of_a_day_is_replaced_and_food_is_kept_per_day(repo: Repository) -> None:
    await user_with_yoga(repo, A)
    day = DUE.date()
    await repo.set_dose(A, day, Dose(500, 0))
    await repo.set_dose(A, day, Dose(600, 400, 2))
    await repo.set_dose(A, day - timedelta(days=2), Dose(300, 0))
    assert await repo.doses(A) == [
        (day - timedelta(days=2), Dose(300, 0)),
        (day, Dose(600, 400, 2)),
    ]
    yogurt = Food(Nutrient.CALCIUM, 300, "yogurt")
    await repo.add_food(A, day, yogurt, NOW)
    await repo.add_food(A, day - timedelta(days=9), yogurt, NOW)
    assert await repo.food_since(A, day - timedelta(days=6)) == [(day, yogurt)]
    assert await repo.food_since(B, day) == []
