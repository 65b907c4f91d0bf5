"""Bad input gets a clear answer, changes nothing, and never leaves a traceback in the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import texts
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, Chat, VirtualClock, onboarded, texts_to

DAY = datetime(2026, 11, 26, tzinfo=UTC)
OTHER = USER + 1
GROUP = -1_001_234_567_890


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [(r.name, r.getMessage()) for r in bad]


async def test_forged_stale_and_foreign_buttons_change_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, errors: pytest.LogCaptureFixture
) -> None:
    async with onboarded(server, clock, db, DAY.replace(hour=7), "UTC") as chat:
        api, bot = chat.api, chat.bot
        other = Chat(api, bot, clock, user=OTHER)
        await other.say("/start", expect="Which time zone")
        await other.say("UTC", expect="Your plan")
        await chat.at(DAY.replace(hour=8, second=1))
        [nudge] = chat.nudges("Facial yoga")
        before = await bot.services.repo.history(USER)

        for forged in ("n:999:d", "n:999999999999999999999:d", "garbage", "x" * 64, "n:1:q", ""):
            toast = await chat.press_data(nudge, forged)
            assert toast == texts.STALE_BUTTON, forged
        # the other user presses A's real button data on a message of their own
        theirs = other.last("Your plan")
        for label in ("✅ Done", "⏭ Skip", "⏰ Snooze"):
            toast = await other.press_data(theirs, nudge.callback_data_for(label))
            assert toast == texts.STALE_BUTTON
        assert await bot.services.repo.history(USER) == before
        assert api.message(USER, nudge.message_id).text == nudge.text
        assert api.calls_to("editMessageText") == []
        # the owner's own press still works afterwards
        toast = await chat.press(nudge, "✅ Done")
        assert toast == texts.press_ack(before[0].outcome.DONE, True, before[0].outcome.DONE)
    no_errors(errors)


async def test_malformed_commands_get_clear_answers_and_change_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, errors: pytest.LogCaptureFixture
) -> None:
    async with onboarded(server, clock, db, DAY.replace(hour=7), "UTC") as chat:
        repo = chat.bot.services.repo
        plan, user = await repo.get_plan(USER), await repo.get_user(USER)

        cases = [
            ("/frobnicate", "don't know that command"),
            ("/set yoga 25:00", "isn't a time I understand"),
            ("/set yoga 8:61", "isn't a time I understand"),
            ("/set banana 08:00", "don't know a routine called"),
            ("/set yoga", "To set times"),
            ("/timezone Mars/Olympus", "couldn't find a time zone"),
            ("/snooze abc", "Set it with"),
            ("/snooze 100000000000000000000000", "Set it with"),
            ("/pause -3", "Pause for how many days"),
            ("/pause 99999999999999999999", "Pause for how many days"),
            ("/nag 1 99", "Nothing was changed"),
            ("/on", "Which routine"),
            ("/off banana", "don't know a routine called"),
            ("x" * 4000, "a lot of text"),
        ]
        for text, needle in cases:
            await chat.say(text, expect=needle, only=True)

        assert await repo.get_plan(USER) == plan
        assert await repo.get_user(USER) == user
    no_errors(errors)


async def test_stickers_photos_edits_and_groups(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, errors: pytest.LogCaptureFixture
) -> None:
    async with onboarded(server, clock, db, DAY.replace(hour=7), "UTC") as chat:
        api, bot = chat.api, chat.bot
        plan = await bot.services.repo.get_plan(USER)

        await chat.send_sticker(expect="I can only read text", only=True)
        await chat.send_photo("my face", expect="I can only read text", only=True)

        await chat.say("/help", expect="What I can do")
        said = texts_to(api, USER)
        await chat.edit("/set yoga 09:00")
        assert texts_to(api, USER) == said  # an edited command is not run again
        assert await bot.services.repo.get_plan(USER) == plan

        api.send_group_text(GROUP, USER, "/set yoga 09:00")
        await api.wait_for(lambda: bool(api.messages(GROUP)))
        await api.wait_until_idle()
        assert texts_to(api, GROUP) == [texts.PRIVATE_ONLY]
        assert await bot.services.repo.get_plan(USER) == plan
        # a nudge due later still goes out: nothing above broke the bot
        await chat.at(DAY.replace(hour=8) + timedelta(seconds=1))
        assert chat.nudges("Facial yoga")
    no_errors(errors)
