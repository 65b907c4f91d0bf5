"""Telegram's failures and limits against the running bot: 403, 429, 5xx, timeouts, bursts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from telegram.request import HTTPXRequest

from bot.fakeapi import Call, FakeBotApi
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    USER,
    RunningBot,
    VirtualClock,
    jump,
    make_settings,
    onboarded,
    until,
)

DAY = datetime(2026, 11, 26, tzinfo=UTC)
YOGA_DUE = DAY.replace(hour=8)  # the default plan's facial yoga, in UTC
SEVEN = DAY.replace(hour=7)  # when the user starts: an hour before that nudge
HELPER = 777_777


def nudge_sends(api: FakeBotApi, chat_id: int) -> list[Call]:
    """Every attempt to send a nudge (a message with the Done button) to a chat."""
    return [
        c
        for c in api.calls_to("sendMessage", chat_id=chat_id)
        if "Reply to this message" in (c.text or "")
    ]


async def test_blocked_user_is_marked_inactive_and_not_nudged_until_they_return(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with onboarded(server, clock, db, SEVEN, "UTC") as chat:
        api.fail_next("sendMessage", 403, chat_id=USER)  # only once: a retry would get through
        report = await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert (report.sent, report.failed) == (0, 1)
        assert [c.status for c in nudge_sends(api, USER)] == [403]

        async def inactive() -> bool:
            user = await chat.bot.services.repo.get_user(USER)
            return user is not None and user.active is False

        await until(inactive)
        # supplements (09:00) and moisturizing (21:00) fall due: nothing is tried
        for hour in (9, 21):
            report = await chat.at(DAY.replace(hour=hour, second=1))
            assert (report.placed, report.sent, report.failed) == (0, 0, 0)
        await api.wait_until_idle()
        assert len(nudge_sends(api, USER)) == 1
        assert chat.nudges("") == []

        await chat.say("/start", expect="Your plan")
        user = await chat.bot.services.repo.get_user(USER)
        assert user is not None
        assert user.active is True
        await chat.at(YOGA_DUE + timedelta(days=1, seconds=1))
        await api.wait_for(lambda: bool(chat.nudges("Facial yoga")), what="nudge after return")
        assert [c.status for c in nudge_sends(api, USER)] == [403, 200]


async def test_block_update_alone_stops_nudges(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with onboarded(server, clock, db, SEVEN, "UTC") as chat:
        api.block(USER)

        async def inactive() -> bool:
            user = await chat.bot.services.repo.get_user(USER)
            return user is not None and not user.active

        await until(inactive)
        report = await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert (report.placed, report.sent, report.failed) == (0, 0, 0)
        await api.wait_until_idle()
        assert nudge_sends(api, USER) == []


async def test_429_retry_after_is_honoured_and_the_nudge_arrives_once(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with onboarded(server, clock, db, SEVEN, "UTC") as chat:
        api.fail_next("sendMessage", 429, retry_after=1, chat_id=USER)
        await chat.at(YOGA_DUE + timedelta(seconds=1))
        await api.wait_for(lambda: bool(chat.nudges("Facial yoga")), timeout=6)
        await api.wait_until_idle()
        attempts = nudge_sends(api, USER)
        assert [c.status for c in attempts] == [429, 200]
        assert attempts[1].time - attempts[0].time >= 1.0
        assert len(chat.nudges("Facial yoga")) == 1


async def test_bad_gateway_twice_then_ok_delivers_once(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with onboarded(server, clock, db, SEVEN, "UTC") as chat:
        api.fail_next("sendMessage", 502, times=2, chat_id=USER)
        await chat.at(YOGA_DUE + timedelta(seconds=1))
        await api.wait_for(lambda: bool(chat.nudges("Facial yoga")), timeout=8)
        await api.wait_until_idle()
        assert [c.status for c in nudge_sends(api, USER)] == [502, 502, 200]
        assert len(chat.nudges("Facial yoga")) == 1
        history = await chat.bot.services.repo.history(USER)
        assert [(n.routine, n.delivery) for n in history] == [(Routine.YOGA, "sent")]


async def test_send_that_times_out_is_uncertain_and_never_resent(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    # a 1 s read timeout, so a slow send times out quickly
    request = HTTPXRequest(connection_pool_size=64, read_timeout=1.0)
    async with onboarded(server, clock, db, SEVEN, "UTC", request=request) as chat:
        api.set_delay("sendMessage", 1.2)  # the message lands, the answer comes too late
        report = await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert (report.sent, report.failed) == (0, 1)
        history = await chat.bot.services.repo.history(USER)
        assert [n.delivery for n in history] == ["uncertain"]
        api.set_delay("sendMessage", 0)
        # later ticks (a few minutes on) do not try it again
        report = await chat.at(YOGA_DUE + timedelta(minutes=3))
        assert (report.sent, report.failed) == (0, 0)
        await api.wait_until_idle()
        assert len(nudge_sends(api, USER)) == 1
        assert len(chat.nudges("Facial yoga")) == 1


async def test_burst_of_sixty_respects_limits_in_due_order_while_replies_stay_quick(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    clock.set(DAY.replace(hour=7))
    async with RunningBot(make_settings(db, server.api_root), clock, watched_by=api) as bot:
        services = bot.services
        users = list(range(1001, 1061))
        early, late = users[::2], users[1::2]
        for uid in users:
            user, _ = await services.repo.register(uid, uid, clock())
            member = await services.actions.set_zone(user, "UTC")
            at = time(8, 0) if uid in early else time(8, 1)
            await services.actions.set_times(member, Routine.YOGA, [at])
        api.enforce_limits()
        mark = api.mark()
        burst = asyncio.create_task(jump(bot, clock, YOGA_DUE + timedelta(minutes=1, seconds=1)))

        def delivered() -> list[Call]:
            return [
                c
                for c in api.calls[mark:]
                if c.method == "sendMessage" and c.ok and c.chat_id in users
            ]

        await api.wait_for(lambda: len(delivered()) >= 10, timeout=5, what="ten nudges")
        asked = clock.monotonic()  # the stand-in dates calls on the bot's clock
        # by hand: Chat.say waits until the bot is quiet, and mid-burst it never is
        api.send_text(HELPER, "/help")
        answer = await api.wait_for_call("sendMessage", chat_id=HELPER, after=mark, timeout=5)
        assert answer.ok
        assert answer.time + answer.duration - asked < 1.5
        assert len(delivered()) < len(users), "the reply should have come during the burst"

        report = await asyncio.wait_for(burst, timeout=10)
        assert (report.placed, report.sent, report.failed) == (60, 60, 0)
        await api.wait_until_idle()
        assert api.rejected_by_limits == 0
        for uid in users:
            assert len(api.messages(uid)) == 1, uid
            assert len(nudge_sends(api, uid)) == 1, uid
        order = [c.chat_id for c in delivered()]
        assert set(order[: len(early)]) == set(early)
        assert set(order[len(early) :]) == set(late)


async def test_an_unexpected_refusal_fails_that_nudge_only(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with onboarded(server, clock, db, SEVEN, "UTC") as chat:
        await chat.say("/set supplements 08:00", expect="set to 08:00")
        api.fail_next("sendMessage", 409, description="Conflict: something odd")
        report = await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert (report.sent, report.failed) == (1, 1)
        deliveries = {n.routine: n.delivery for n in await chat.bot.services.repo.history(USER)}
        assert sorted(deliveries.values()) == ["failed", "sent"]
