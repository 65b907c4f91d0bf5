"""Concurrent updates: users side by side, each user's updates in order, and the throttle.

The throttle's arithmetic is tested with plain numbers and an explicit clock; the rest end to end
against the Bot API stand-in, whose transcript shows what users see and in which order. Those
send and press by hand on purpose: a ``Chat`` step waits for each answer, and these stories are
about messages that arrive before any answer (floods, back to back, several users, two taps).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import texts
from bot.fakeapi import Call, FakeBotApi
from bot.updates import Limits, Throttle, Verdict
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, VirtualClock, newcomer, onboarded, texts_to

OTHER = 5151
SLOW_DOWN = texts.slow_down()
HELP_TITLE = "What I can do"
BERLIN = ZoneInfo("Europe/Berlin")


# --- the throttle, with plain numbers -----------------------------------------------------------


def test_a_burst_of_ten_then_one_a_second_per_user() -> None:
    throttle = Throttle(Limits(burst=10, per_second=1.0))
    burst = [throttle.admit(USER, 100.0) for _ in range(12)]
    assert burst[:10] == [Verdict.RUN] * 10
    assert burst[10:] == [Verdict.DROP_AND_TELL, Verdict.DROP]
    assert throttle.admit(OTHER, 100.0) is Verdict.RUN  # someone else is not affected
    assert throttle.admit(USER, 101.0) is Verdict.RUN  # a token a second comes back
    assert throttle.admit(USER, 101.5) is Verdict.DROP
    assert [throttle.admit(USER, 200.0) for _ in range(10)] == [Verdict.RUN] * 10


def test_slow_down_is_said_at_most_once_a_minute() -> None:
    throttle = Throttle(Limits(burst=10, per_second=1.0, notice_every=60.0))
    verdicts = [throttle.admit(USER, 1000.0 + i / 5) for i in range(5 * 150)]  # 5/s, 150 s
    told = [i / 5 for i, v in enumerate(verdicts) if v is Verdict.DROP_AND_TELL]
    assert len(told) == 3
    assert all(b - a >= 60.0 for a, b in pairwise(told))
    assert verdicts.count(Verdict.RUN) <= 10 + 150


def test_stats_and_export_have_their_own_tighter_limit() -> None:
    throttle = Throttle(Limits(expensive_burst=2, expensive_per_second=1 / 20))
    charts = [throttle.admit(USER, 50.0, expensive=True) for _ in range(3)]
    assert charts == [Verdict.RUN, Verdict.RUN, Verdict.DROP_AND_TELL]
    assert throttle.admit(USER, 50.0) is Verdict.RUN  # ordinary messages still go through
    assert throttle.admit(USER, 60.0, expensive=True) is Verdict.DROP
    assert throttle.admit(USER, 70.5, expensive=True) is Verdict.RUN


def test_many_users_each_get_their_own_burst() -> None:
    throttle = Throttle(Limits(burst=3, per_second=1.0))
    for user in range(20_000):  # enough to make the throttle forget idle users on the way
        assert throttle.admit(user, float(user) / 1000) is Verdict.RUN
    assert [throttle.admit(7, 20.0) for _ in range(4)][-1] is Verdict.DROP_AND_TELL


# --- end to end ------------------------------------------------------------------------------


def replies_to(api: FakeBotApi, chat_id: int, needle: str) -> list[Call]:
    """Successful sendMessage calls to one chat containing ``needle``, in order."""
    return [
        c for c in api.calls_to("sendMessage", chat_id=chat_id) if c.ok and needle in (c.text or "")
    ]


def most_in_flight(calls: list[Call]) -> int:
    """The largest number of these calls that were open on the stand-in at the same moment."""
    edges = sorted(
        [(c.time, 1) for c in calls] + [(c.time + c.duration, -1) for c in calls],
        key=lambda edge: (edge[0], edge[1]),
    )
    current = peak = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


async def test_one_users_updates_run_in_order_so_plan_shows_the_time_just_set(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with onboarded(server, clock, db, clock(), "Asia/Kathmandu"):
        api.round_trip = 0.02  # handlers await the network, so out-of-order would show
        since = len(api.messages(USER))
        minutes = range(1, 7)
        for minute in minutes:  # queued back to back, none waits for an answer
            api.send_text(USER, f"/set yoga 06:{minute:02}")
            api.send_text(USER, "/plan")
        await api.wait_for(lambda: len(texts_to(api, USER)) >= since + 2 * len(minutes), 10)
        answers = texts_to(api, USER)[since:]
        for minute, (set_reply, plan) in zip(
            minutes, zip(answers[::2], answers[1::2], strict=True), strict=True
        ):
            assert f"06:{minute:02}" in set_reply
            assert f"Facial yoga: 06:{minute:02}" in plan


async def test_different_users_are_answered_side_by_side(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with newcomer(server, clock, db):
        api.round_trip = 0.2
        users = range(OTHER, OTHER + 10)
        for user in users:
            api.send_text(user, "/help")
        await api.wait_for(lambda: all(replies_to(api, u, HELP_TITLE) for u in users), 10)
        answers = [c for u in users for c in replies_to(api, u, HELP_TITLE)]
        # one at a time, each answer would leave the stand-in before the next one arrived
        assert most_in_flight(answers) >= 5


async def test_a_flooding_user_is_throttled_and_told_once_while_others_are_answered(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with newcomer(server, clock, db, user_burst=10, user_per_second=1.0):
        for _ in range(40):
            api.send_text(USER, "/help")
        api.send_text(OTHER, "/help")
        await api.wait_for(lambda: bool(replies_to(api, OTHER, HELP_TITLE)), 10)
        await api.wait_for(lambda: bool(replies_to(api, USER, SLOW_DOWN)), 10)
        await api.wait_until_idle()
        answered = len(replies_to(api, USER, HELP_TITLE))
        assert 10 <= answered < 20  # the burst, plus what refilled meanwhile; the rest dropped

        for _ in range(40):  # a second flood within the minute: dropped, not told again
            api.send_text(USER, "/help")
        await api.wait_updates_consumed()
        await api.wait_until_idle()
        assert len(replies_to(api, USER, SLOW_DOWN)) == 1
        assert len(replies_to(api, USER, HELP_TITLE)) < answered + 10


async def test_a_flood_of_button_presses_gets_one_slow_down_toast(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with newcomer(server, clock, db, user_burst=10, user_per_second=1.0) as chat:
        await chat.say("/faq", expect="Questions about facial bone loss")
        topics = chat.last("Questions about facial bone loss")
        presses = [api.press(USER, topics.message_id, topics.callback_data[0]) for _ in range(20)]
        await api.wait_for(
            lambda: any(a["text"] == SLOW_DOWN for a in api.callback_answers.values())
        )
        await api.wait_until_idle()
        answers = [api.callback_answers[p]["text"] for p in presses if p in api.callback_answers]
        assert answers.count(SLOW_DOWN) == 1
        assert 9 <= len(answers) - 1 < 20  # the burst was answered, the rest dropped


async def test_a_429_for_one_chat_holds_back_that_chat_only(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with newcomer(server, clock, db):
        api.fail_next("sendMessage", 429, retry_after=2, chat_id=USER)
        api.send_text(USER, "/help")
        await api.wait_for(lambda: bool(api.calls_to("sendMessage", chat_id=USER)))
        api.send_text(OTHER, "/help")
        other = await api.wait_for_call("sendMessage", chat_id=OTHER)
        await api.wait_for(lambda: bool(replies_to(api, USER, HELP_TITLE)), 10)
        mine = replies_to(api, USER, HELP_TITLE)[0]
        assert other.ok
        flooded = api.calls_to("sendMessage", chat_id=USER)[0]
        assert mine.time - flooded.time >= 2.0  # USER's answer waited out retry_after
        assert other.time < mine.time - 1.0  # the other user's did not


async def test_after_a_429_a_chat_gets_its_answers_a_second_apart_without_another(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    async with newcomer(server, clock, db):
        api.enforce_limits(global_per_second=30, per_chat_per_second=1)
        for _ in range(4):  # four questions at once: Telegram allows one message a second
            api.send_text(USER, "/help")
        await api.wait_for(lambda: len(replies_to(api, USER, HELP_TITLE)) == 4, 10)
        flooded = [c for c in api.calls_to("sendMessage", chat_id=USER) if c.status == 429]
        assert len(flooded) == 1  # the first burst teaches it; the rest wait their second
        answers = replies_to(api, USER, HELP_TITLE)
        assert all(b.time - a.time >= 1.0 for a, b in pairwise(answers[1:]))


async def test_two_presses_at_once_record_the_first_and_say_so_for_the_second(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    eight = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    async with onboarded(server, clock, db, eight - timedelta(hours=1), "Europe/Berlin") as chat:
        await chat.at(eight + timedelta(seconds=2))
        await api.wait_for(lambda: bool(chat.nudges("Facial yoga")))
        nudge = chat.nudges("Facial yoga")[0]
        # both at once, before either is answered (Chat presses one at a time)
        api.round_trip = 0.05
        first = api.press(USER, nudge.message_id, nudge.callback_data_for("✅ Done"))
        second = api.press(USER, nudge.message_id, nudge.callback_data_for("⏭ Skip"))
        await api.wait_for(lambda: {first, second} <= api.callback_answers.keys())
        assert api.callback_answers[first]["text"] == "Nice work! ✅"
        assert api.callback_answers[second]["text"] == "Already recorded: ✅ done."
        await api.wait_until_idle()
        assert "✅ done" in (nudge.text or "")
        today = await chat.say("/today", expect="Today")
        assert "Facial yoga — ✅ done" in today
