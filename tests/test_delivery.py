"""The delivery engine over real HTTP: a slow network, faults that stay with one nudge, lateness,
clock jumps and health. Each story ends with every other user's nudge delivered."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.request import BaseRequest, HTTPXRequest

from bot.cli import health_problem
from bot.fakeapi import Call, FakeBotApi
from bot.repo import USER_TABLES, Liveness, read_liveness
from bot.settings import Settings
from schedules.lifecycle import Delivery
from schedules.nudges import Outcome
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import RunningBot, VirtualClock, jump, make_settings, seed_users, until

DAY = datetime(2026, 11, 26, tzinfo=UTC)
DUE = DAY.replace(hour=8)
USERS = list(range(3001, 3031))


@asynccontextmanager
async def crowd(
    api: FakeBotApi,
    clock: VirtualClock,
    settings: Settings,
    users: list[int] = USERS,
    request: BaseRequest | None = None,
) -> AsyncIterator[RunningBot]:
    """A running bot whose ``users`` all have facial yoga at 08:00 UTC; now is 07:00."""
    clock.set(DAY.replace(hour=7))
    async with RunningBot(settings, clock, request, watched_by=api) as bot:
        await seed_users(bot.services, users)
        yield bot


def nudges_to(api: FakeBotApi, uid: int) -> int:
    """Nudges a user can see in their chat."""
    return sum("Reply to this message" in (m.text or "") for m in api.messages(uid))


def everyone_has_one(api: FakeBotApi, users: list[int]) -> bool:
    return all(nudges_to(api, uid) == 1 for uid in users)


def peak_overlap(calls: list[Call]) -> int:
    """The most requests that were open at the same instant."""
    edges = sorted([(c.time, 1) for c in calls] + [(c.time + c.duration, -1) for c in calls])
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    return peak


async def test_sends_overlap_on_a_slow_network_within_every_limit(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with crowd(api, clock, make_settings(db, server.api_root)) as bot:
        api.round_trip = 0.15
        api.enforce_limits()
        mark = api.mark()
        report = await jump(bot, clock, DUE + timedelta(seconds=1))
        assert (report.sent, report.failed) == (len(USERS), 0)
        assert everyone_has_one(api, USERS)
        sends = [c for c in api.calls[mark:] if c.method == "sendMessage"]
        assert 1 < peak_overlap(sends) <= bot.services.settings.max_in_flight
        assert api.rejected_by_limits == 0


async def test_bad_gateways_retry_their_own_nudges_while_the_rest_go_out(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    users = USERS[:10]
    async with crowd(api, clock, make_settings(db, server.api_root), users) as bot:
        mark = api.mark()
        api.fail_next("sendMessage", 502, times=3)
        report = await jump(bot, clock, DUE + timedelta(seconds=1))
        assert report.failed == 3
        assert report.sent >= len(users) - 3
        await api.wait_for(lambda: everyone_has_one(api, users), timeout=10)
        sends = [c for c in api.calls[mark:] if c.method == "sendMessage"]
        unlucky = {c.chat_id for c in sends[:3]}
        assert [c.status for c in sends[:3]] == [502, 502, 502]
        # nobody waited for those three back-offs: everyone else went out before their retries
        lucky = [c.chat_id for c in sends[3:10]]
        assert set(lucky) == set(users) - unlucky


async def test_forget_while_the_nudge_is_on_the_wire_strands_nobody(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = server.api
    leaver, others = USERS[0], USERS[1:]
    async with crowd(api, clock, make_settings(db, server.api_root)) as bot:
        api.set_delay("sendMessage", 0.4)  # delivered at once, answered 0.4 s later
        clock.set(DUE + timedelta(seconds=1))
        tick = asyncio.create_task(bot.services.dispatcher.tick())
        await api.wait_for(lambda: nudges_to(api, leaver) == 1)
        assert await bot.services.repo.forget(leaver)
        report = await asyncio.wait_for(tick, timeout=20)
        assert report.failed == 0, caplog.text
        assert all(nudges_to(api, uid) == 1 for uid in others)
        for uid in others:
            [nudge] = await bot.services.repo.history(uid)
            assert nudge.delivery is Delivery.SENT
        assert await bot.services.repo.count_rows(leaver) == dict.fromkeys(USER_TABLES, 0)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_pool_timeout_never_left_so_it_is_sent_later_not_lost(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    users = USERS[:6]
    # one connection and no patience for it: concurrent sends time out in the pool
    request = HTTPXRequest(connection_pool_size=1, pool_timeout=0.02)
    async with crowd(api, clock, make_settings(db, server.api_root), users, request) as bot:
        api.round_trip = 0.2
        report = await jump(bot, clock, DUE + timedelta(seconds=1))
        assert report.failed > 0, "the pool should have been too small"
        await api.wait_for(lambda: everyone_has_one(api, users), timeout=30)

        async def all_recorded() -> bool:
            nudges = [n for uid in users for n in await bot.services.repo.history(uid)]
            return [n.delivery for n in nudges] == [Delivery.SENT] * len(users)

        await until(all_recorded)


async def test_poison_rows_are_parked_and_everyone_else_is_nudged(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    bad_zone, bad_nudge, others = USERS[0], USERS[1], USERS[2:]
    async with crowd(api, clock, make_settings(db, server.api_root)) as bot:
        repo = bot.services.repo
        with sqlite3.connect(db, timeout=5) as raw:
            raw.execute("UPDATE users SET zone = 'Mars/Olympus' WHERE user_id = ?", (bad_zone,))
        raw.close()
        report = await jump(bot, clock, DUE - timedelta(minutes=30))
        # a nudge row that raises when claimed: placed normally, then corrupted
        clock.set(DUE + timedelta(seconds=1))
        placement = await repo.materialize_due(clock(), 500, bot.services.dispatcher._place)
        assert placement.parked == 1
        with sqlite3.connect(db, timeout=5) as raw:
            raw.execute("UPDATE nudges SET routine = 'banana' WHERE user_id = ?", (bad_nudge,))
        raw.close()
        report = await bot.services.dispatcher.tick()
        assert report.sent == len(others)
        assert all(nudges_to(api, uid) == 1 for uid in others)
        assert nudges_to(api, bad_zone) == nudges_to(api, bad_nudge) == 0
        again = await jump(bot, clock, DUE + timedelta(minutes=1))
        assert (again.parked, again.failed) == (0, 0)
        live = read_liveness(db)
        assert live is not None
        assert live.beat >= DUE


async def test_a_retry_that_falls_past_the_catch_up_window_is_missed_not_sent_late(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    [uid] = users = USERS[:1]
    async with crowd(api, clock, make_settings(db, server.api_root), users) as bot:
        api.fail_next("sendMessage", 502, times=1000, chat_id=uid)
        await jump(bot, clock, DUE + timedelta(seconds=1))
        tries = len(api.calls_to("sendMessage", chat_id=uid))
        api.clear_faults()
        await jump(bot, clock, DUE + timedelta(hours=3))
        await api.wait_until_idle()
        yoga_sends = [
            c for c in api.calls_to("sendMessage", chat_id=uid) if "yoga" in (c.text or "")
        ]
        assert len(yoga_sends) == tries
        assert not any(c.ok for c in yoga_sends)
        outcomes = {n.routine: n.outcome for n in await bot.services.repo.history(uid)}
        assert outcomes[Routine.YOGA] is Outcome.MISSED


async def test_a_wall_clock_jump_there_and_back_loses_no_morning(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    [uid] = users = USERS[:1]
    async with crowd(api, clock, make_settings(db, server.api_root), users) as bot:
        await bot.services.dispatcher.tick()
        clock.step_wall(timedelta(days=3))
        await bot.services.dispatcher.tick()
        clock.step_wall(-timedelta(days=3))
        await bot.services.dispatcher.tick()
        assert await bot.services.repo.history(uid) == []  # nothing recorded missed
        await jump(bot, clock, DUE + timedelta(seconds=1))
        await api.wait_for(lambda: nudges_to(api, uid) == 1)
        [nudge] = await bot.services.repo.history(uid)
        assert (nudge.local_date, nudge.outcome) == (DUE.date(), Outcome.PENDING)


async def test_health_sees_sends_failing_and_telegram_answering(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with crowd(api, clock, make_settings(db, server.api_root), USERS[:3]) as bot:
        api.fail_next("sendMessage", 502, times=1000)
        await jump(bot, clock, DUE + timedelta(seconds=1))
        failing = read_liveness(db)
        assert failing is not None
        assert failing.failing_since is not None
        assert failing.receiving
        api.clear_faults()
        await api.wait_for(lambda: everyone_has_one(api, USERS[:3]), timeout=15)
        await jump(bot, clock, DUE + timedelta(seconds=30))
        recovered = read_liveness(db)
        assert recovered is not None
        assert recovered.failing_since is None
        assert recovered.api_ok_at is not None
        assert health_problem(recovered, clock()) is None


NOW = DUE


@pytest.mark.parametrize(
    ("live", "problem"),
    [
        (None, "has not run"),
        (Liveness(NOW - timedelta(minutes=4), NOW, None, True), "heartbeat"),
        (Liveness(NOW, NOW, None, False), "not being received"),
        (Liveness(NOW, NOW - timedelta(minutes=6), None, True), "no successful Telegram"),
        (Liveness(NOW, None, None, True), "no successful Telegram"),
        (Liveness(NOW, NOW, NOW - timedelta(minutes=4), True), "has failed for 240 s"),
    ],
)
def test_health_names_what_is_wrong(live: Liveness | None, problem: str) -> None:
    assert problem in (health_problem(live, NOW) or "")


def test_health_is_green_when_everything_answers() -> None:
    live = Liveness(NOW, NOW - timedelta(minutes=2), NOW - timedelta(minutes=1), True)
    assert health_problem(live, NOW) is None


async def test_the_heartbeat_advances_while_a_long_tick_drains(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with crowd(api, clock, make_settings(db, server.api_root, max_in_flight=1)) as bot:
        api.set_delay("sendMessage", 0.05)  # one at a time: 30 sends take 1.5 s
        clock.set(DUE + timedelta(seconds=1))
        tick = asyncio.create_task(bot.services.dispatcher.tick())
        await api.wait_for(lambda: nudges_to(api, USERS[2]) == 1, timeout=10)
        later = DUE + timedelta(minutes=10)
        clock.set(later)  # ten minutes into the same tick
        await api.wait_for(lambda: nudges_to(api, USERS[6]) == 1, timeout=10)
        assert not tick.done()
        live = read_liveness(db)
        assert live is not None
        assert live.beat >= later
        await asyncio.wait_for(tick, timeout=30)
