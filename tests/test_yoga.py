"""The guided facial-yoga session end to end: from a nudge or /yoga, stepped, stopped, resumed."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.fakeapi.state import SentMessage
from bot.repo import SessionState
from bot.yoga import MIN_GAP, coach_of
from schedules.nudges import Outcome
from schedules.routines import Routine
from schedules.yoga import session_moves
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, Chat, RunningBot, VirtualClock, onboarded

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 26)
EIGHT = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
MOVES = session_moves(DAY)


async def start_with_yoga_command(chat: Chat) -> SentMessage:
    """/yoga; the message the session runs in."""
    await chat.say("/yoga", "move 1 of 5")
    return chat.last("move 1 of 5")


async def session_from_the_eight_oclock_nudge(chat: Chat) -> SentMessage:
    """Let the 08:00 yoga nudge go out and press ▶ Start on it; the nudge, now the session."""
    await chat.at(EIGHT + timedelta(seconds=2))
    nudge = chat.nudges("Facial yoga")[-1]
    await chat.press(nudge, "▶ Start (5 min)", expect="move 1 of 5")
    return nudge


async def message_recorded(bot: RunningBot) -> None:
    """Wait until /yoga's handler has stored its message id (it does so after the send)."""
    for _ in range(100):
        session = await bot.services.repo.running_session(USER)
        if session is not None and session.message_id is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the session's message was never recorded")


async def test_a_session_started_from_the_nudge_and_stepped_through_marks_it_done(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(minutes=5), "Europe/Berlin") as chat:
        bot = chat.bot
        await chat.at(EIGHT + timedelta(seconds=2))
        nudge = chat.nudges("Facial yoga")[-1]
        assert "▶ Start (5 min)" in nudge.button_labels
        assert "✅ Done" in nudge.button_labels

        await chat.press(nudge, "▶ Start (5 min)", expect="move 1 of 5")
        text = nudge.text or ""
        assert MOVES[0].name in text
        assert MOVES[0].hold in text
        assert "1:00 left" in text or "0:5" in text
        assert "Stop if anything hurts" in text
        assert "skip the jaw moves if your jaw joint hurts" in text
        assert "my suggestion" in text
        assert nudge.button_labels == ["⏭ Next", "⏹ Stop"]

        for step in range(2, 6):
            await chat.press(nudge, "⏭ Next", expect=f"move {step} of 5")
            assert MOVES[step - 1].name in (nudge.text or "")
        assert nudge.button_labels == ["✅ Finish", "⏹ Stop"]
        await chat.press(nudge, "✅ Finish", expect="Session done: 5 moves")
        assert "marked ✅ done" in (nudge.text or "")
        assert nudge.button_labels == []

        [stored] = await bot.services.repo.nudges_on(USER, DAY)
        assert (stored.routine, stored.outcome) == (Routine.YOGA, Outcome.DONE)
        assert await bot.services.repo.running_sessions() == []

        assert "Facial yoga — ✅ done" in await chat.say("/today", "Today")


async def test_stopping_halfway_records_how_far_the_user_got(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        bot = chat.bot
        session_message = await start_with_yoga_command(chat)
        for step in (2, 3):
            await chat.press(session_message, "⏭ Next", expect=f"move {step} of 5")
        await chat.press(session_message, "⏹ Stop", expect="Stopped at move 3 of 5 (2 done)")
        assert session_message.button_labels == []

        repo = bot.services.repo
        assert await repo.running_sessions() == []
        stopped = await repo.session(1)
        assert stopped is not None
        assert (stopped.state, stopped.step) == (SessionState.STOPPED, 2)
        assert await repo.nudges_on(USER, DAY) == []

        # the old buttons change nothing now
        assert "no longer valid" in await chat.press_data(session_message, "y:n:1")
        assert "Stopped at move 3 of 5" in (session_message.text or "")


async def test_forged_and_foreign_session_buttons_are_refused_kindly(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        bot = chat.bot
        session_message = await start_with_yoga_command(chat)
        for data in ("y:n:999", "y:s:1", "y:q:1", f"y:x:{2**64}"):
            assert "nothing was changed" in await chat.press_data(session_message, data), data
        await chat.say("/yoga", "running already")
        running = await bot.services.repo.running_sessions()
        assert [(s.step, s.state) for s in running] == [(0, SessionState.RUNNING)]


async def test_a_restart_mid_session_resumes_where_the_clock_says(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(minutes=5), "Europe/Berlin") as chat:
        nudge = await session_from_the_eight_oclock_nudge(chat)
        await chat.press(nudge, "⏭ Next", expect="move 2 of 5")

        await chat.restart(at=clock() + timedelta(seconds=80))
        coach = coach_of(chat.bot.app)
        await coach.tick()
        await chat.sees(nudge, "move 3 of 5")
        assert "0:40 left" in (nudge.text or "") or "0:39 left" in (nudge.text or "")
        await chat.press(nudge, "⏭ Next", expect="move 4 of 5")

        clock.set(clock() + timedelta(minutes=2, seconds=1))
        await coach.tick()
        await chat.sees(nudge, "Session done")
        [stored] = await chat.bot.services.repo.nudges_on(USER, DAY)
        assert stored.outcome is Outcome.DONE


async def test_countdown_and_presses_stay_within_the_per_chat_limit(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(hours=1), "Europe/Berlin") as chat:
        api, bot = chat.api, chat.bot
        await clock.sleep(1.1)  # the onboarding answers' second passes
        api.enforce_limits()
        session_message = await start_with_yoga_command(chat)
        coach = coach_of(bot.app)
        mark = api.mark()
        next_data = session_message.callback_data_for("⏭ Next")
        # three quick taps, each without waiting for the bot: Chat.press would wait for each one
        for _ in range(3):
            api.press(USER, session_message.message_id, next_data)
            await coach.tick()
        await chat.sees(session_message, "move 4 of 5")
        # then eleven seconds pass, the countdown job as armed running every second (it runs
        # every five on its own): virtual seconds, judged by the stand-in on the same clock
        assert bot.app.job_queue is not None
        [countdown_job] = bot.app.job_queue.get_jobs_by_name("yoga-countdown")
        for _ in range(11):
            await clock.sleep(1.0)
            await countdown_job.run(bot.app)
        await api.wait_until_idle()

        edits = [
            c
            for c in api.calls[mark:]
            if c.method == "editMessageText" and c.chat_id == USER and c.ok
        ]
        assert api.rejected_by_limits == 0
        gaps = [b.time - a.time for a, b in itertools.pairwise(edits)]
        assert gaps, "the countdown never edited the message"
        assert min(gaps) >= MIN_GAP - 0.15, gaps
        countdown = [c for c in edits if c.time > edits[0].time + 4]
        assert 1 <= len(countdown) <= 4, [round(c.time - edits[0].time, 1) for c in edits]
        assert "left on this move" in (session_message.text or "")


async def test_a_stopped_nudge_session_gives_the_nudge_back_and_yoga_later_finishes_it(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(minutes=5), "Europe/Berlin") as chat:
        bot = chat.bot
        nudge = await session_from_the_eight_oclock_nudge(chat)
        await chat.press(nudge, "⏹ Stop", expect="Stopped at move 1 of 5 (0 done)")
        assert nudge.button_labels == ["✅ Done", "⏰ Snooze", "⏭ Skip", "▶ Start (5 min)"]

        # /yoga later that day runs to the end by the clock and closes the open nudge
        session_message = await start_with_yoga_command(chat)
        await message_recorded(bot)
        clock.set(clock() + timedelta(minutes=5, seconds=1))
        await coach_of(bot.app).tick()
        await chat.sees(session_message, "Session done: 5 moves")
        [stored] = await bot.services.repo.nudges_on(USER, DAY)
        assert stored.outcome is Outcome.DONE


async def test_a_session_whose_time_ran_out_long_ago_is_stopped_not_counted_done(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, EIGHT - timedelta(minutes=5), "Europe/Berlin") as chat:
        nudge = await session_from_the_eight_oclock_nudge(chat)

        await chat.restart(at=clock() + timedelta(hours=1))
        await coach_of(chat.bot.app).tick()
        await chat.sees(nudge, "Stopped at move 5 of 5")
        nudges = await chat.bot.services.repo.nudges_on(USER, DAY)
        assert [n.outcome for n in nudges if n.routine is Routine.YOGA] == [Outcome.PENDING]
