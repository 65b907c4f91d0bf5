"""Replies follow the nudges' send policy: what a user or an operator notices when one fails."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.clock import VirtualClock
from bot.fakeapi import Call
from tests.botapi_http import FakeBotApiServer
from tests.harness import TOKEN, USER, Chat, onboarded, until

DAY = datetime(2026, 11, 26, tzinfo=UTC)
YOGA_DUE = DAY.replace(hour=8)  # the default plan's facial yoga, in UTC
APOLOGY = texts.error_reply()


async def reply_fails(chat: Chat, command: str, status: int, description: str) -> list[Call]:
    """The user sends ``command`` and Telegram refuses the bot's answer; every send after it."""
    chat.api.fail_next("sendMessage", status, description=description, chat_id=USER)
    mark = chat.api.mark()
    await chat.send(command)

    def sends() -> list[Call]:
        return [c for c in chat.api.calls[mark:] if c.method == "sendMessage" and c.chat_id == USER]

    await chat.api.wait_for(
        lambda: any(c.status == status for c in sends()), what=f"the refused answer to {command}"
    )
    await chat.api.wait_until_idle()
    return sends()


def bot_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    """The bot's own log records at ``level`` or above."""
    return [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= level]


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (400, "Bad Request: chat not found"),
    ],
)
async def test_a_user_gone_when_the_bot_replies_is_no_longer_nudged(
    server: FakeBotApiServer,
    clock: VirtualClock,
    db: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
    description: str,
) -> None:
    caplog.set_level(logging.INFO)
    async with onboarded(server, clock, db, DAY.replace(hour=7), "UTC") as chat:
        sends = await reply_fails(chat, "/today", status, description)
        assert [c.status for c in sends] == [status]  # no apology to someone who can't get it
        report = await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert (report.placed, report.sent, report.failed) == (0, 0, 0)
        assert chat.nudges("Facial yoga") == []
    assert bot_records(caplog, logging.WARNING) == []
    [blocked] = [r for r in bot_records(caplog, logging.INFO) if "blocked the bot" in r.message]
    assert str(USER) in blocked.getMessage()


async def test_they_are_nudged_again_after_they_come_back(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, DAY.replace(hour=7), "UTC") as chat:
        await reply_fails(chat, "/plan", 403, "Forbidden: bot was blocked by the user")
        await chat.say("/start", "Your plan")
        await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert len(chat.nudges("Facial yoga")) == 1


async def test_a_network_error_on_a_reply_is_logged_once_without_text_or_token(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with onboarded(server, clock, db, DAY.replace(hour=7), "UTC") as chat:
        caplog.clear()
        sends = await reply_fails(chat, "/plan", 502, "Bad Gateway")
        assert [c.status for c in sends] == [502]  # an apology would fail the same way
        [line] = bot_records(caplog, logging.WARNING)
        assert line.levelno == logging.WARNING
        assert line.exc_info is None
        logged = line.getMessage() + repr(line.__dict__)
        assert "Your plan" not in logged  # the reply's text
        assert TOKEN not in logged
        assert TOKEN.split(":")[1] not in logged
        await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert len(chat.nudges("Facial yoga")) == 1  # still nudged


async def test_a_refused_reply_is_an_error_to_fix_and_the_user_is_told(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with onboarded(server, clock, db, DAY.replace(hour=7), "UTC") as chat:
        caplog.clear()
        sends = await reply_fails(chat, "/help", 400, "Bad Request: can't parse entities")
        assert [c.status for c in sends] == [400, 200]
        assert sends[1].text == APOLOGY
        [error] = bot_records(caplog, logging.ERROR)
        assert error.exc_info is not None  # the traceback names the handler
        await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert len(chat.nudges("Facial yoga")) == 1  # a refusal is not a block


async def test_a_user_gone_when_the_weekly_summary_goes_out_is_no_longer_nudged(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    sunday = datetime(2026, 11, 29, tzinfo=UTC)
    async with onboarded(server, clock, db, sunday.replace(hour=18), "UTC") as chat:
        chat.api.fail_next(
            "sendMessage", 400, description="Bad Request: chat not found", chat_id=USER
        )
        mark = chat.api.mark()
        await chat.at(sunday.replace(hour=19, second=1))
        [summary] = [c for c in chat.api.calls[mark:] if c.method == "sendMessage"]
        assert summary.status == 400
        report = await chat.at(sunday.replace(hour=21, second=1))  # moisturizing falls due
        assert (report.placed, report.sent, report.failed) == (0, 0, 0)
        assert chat.nudges("Moisturizing") == []


async def test_a_user_who_blocks_the_bot_mid_yoga_session_is_no_longer_nudged(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, DAY.replace(hour=7), "UTC") as chat:
        await chat.say("/yoga", "move 1 of 5")
        session = chat.last("move 1 of 5")
        repo = chat.bot.services.repo

        async def recorded() -> bool:
            running = await repo.running_session(USER)
            return running is not None and running.message_id is not None

        await until(recorded)
        chat.api.fail_next(
            "editMessageText", 403, description="Forbidden: bot was blocked by the user"
        )
        mark = chat.api.mark()
        await chat.press(session, "⏭ Next")
        await chat.api.wait_for(
            lambda: any(c.status == 403 for c in chat.api.calls[mark:]), what="the refused edit"
        )

        async def ended() -> bool:
            user = await repo.get_user(USER)
            return user is not None and not user.active and not await repo.running_sessions()

        await until(ended)
        report = await chat.at(YOGA_DUE + timedelta(seconds=1))
        assert (report.placed, report.sent, report.failed) == (0, 0, 0)
        assert chat.nudges("Facial yoga") == []
