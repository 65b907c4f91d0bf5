"""Time-zone set-up end to end: countries, zone buttons, "did you mean" and questions on the way.

The real bot over HTTP against the Bot API stand-in: a place with one zone is set at once and
nudges follow it; one with several offers buttons and sets nothing until one is pressed; a near
miss is asked about; forged button data changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot import texts
from bot.callbacks import ZONE_NONE, parse_zone_choice, zone_data
from bot.fakeapi import FakeBotApi
from bot.fakeapi.state import SentMessage
from schedules.zones import country_zones, is_stored_zone
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    USER,
    RunningBot,
    VirtualClock,
    jump,
    make_settings,
    nudges_for,
    wait_text,
)

KOLKATA = ZoneInfo("Asia/Kolkata")
CHICAGO = ZoneInfo("America/Chicago")
START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
FIRST_LOOKUP = 30.0
"""Seconds the first zone answer may take: it builds the place tables (a few s on a busy VM)."""


async def say(api: FakeBotApi, text: str, expect: str, timeout: float = 5.0) -> SentMessage:
    """Send a message and return the bot's reply containing ``expect``."""
    since = len(api.messages(USER))
    api.send_text(USER, text)
    await wait_text(api, expect, since, timeout)
    return next(m for m in reversed(api.messages(USER)) if expect in (m.text or ""))


async def press(api: FakeBotApi, message: SentMessage, label: str, expect: str) -> str:
    """Press the button whose label contains ``label`` and wait for ``expect``."""
    since = len(api.messages(USER))
    api.press(USER, message.message_id, message.callback_data_for(label))
    return await wait_text(api, expect, since)


async def zone_of(bot: RunningBot) -> str | None:
    user = await bot.services.repo.get_user(USER)
    assert user is not None
    return user.zone


async def first_yoga_nudge_at(
    bot: RunningBot, clock: VirtualClock, api: FakeBotApi, at: datetime
) -> None:
    """Nothing a minute before ``at``; the yoga nudge right after it."""
    await jump(bot, clock, at - timedelta(minutes=1))
    await api.wait_until_idle()
    assert nudges_for(api, "Facial yoga") == []
    await jump(bot, clock, at + timedelta(seconds=2))
    await api.wait_for(lambda: len(nudges_for(api, "Facial yoga")) == 1)


async def test_india_is_kolkata_and_the_first_nudge_comes_at_eight_there(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    clock.set(START)
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await say(api, "/start", "Which time zone")
        confirm = await say(api, "India", "Time zone set to", FIRST_LOOKUP)
        assert "Asia/Kolkata" in (confirm.text or "")
        assert "for India" in (confirm.text or "")
        assert "05:30 there now" in (confirm.text or "")
        assert await zone_of(bot) == "Asia/Kolkata"
        await first_yoga_nudge_at(bot, clock, api, datetime(2026, 11, 26, 8, 0, tzinfo=KOLKATA))


async def test_usa_offers_buttons_and_chicago_sets_nudges_at_eight_chicago_time(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    clock.set(START)
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await say(api, "/start", "Which time zone")
        question = await say(api, "USA", "more than one time zone", FIRST_LOOKUP)
        labels = question.button_labels
        assert "Chicago · 18:00" in labels  # 00:00 UTC is 18:00 the evening before in Chicago
        assert any(label.startswith("New York") for label in labels)
        assert all(data.isascii() and len(data.encode()) <= 64 for data in question.callback_data)
        assert await zone_of(bot) is None

        confirm = await press(api, question, "Chicago", "Time zone set to")
        assert "America/Chicago" in confirm
        await api.wait_for(lambda: question.buttons == [])  # the choice is made: buttons go
        await first_yoga_nudge_at(bot, clock, api, datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO))


async def test_a_near_miss_is_asked_and_nothing_is_set_until_yes(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    clock.set(START)
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await say(api, "/start", "Which time zone")
        question = await say(api, "Berln", "Did you mean", FIRST_LOOKUP)
        assert "Berlin, Germany" in (question.text or "")
        assert "01:00 there now" in (question.text or "")
        await api.wait_until_idle()
        assert await zone_of(bot) is None

        await press(api, question, texts.BUTTON_ZONE_NO, "nothing changed")
        assert await zone_of(bot) is None

        question = await say(api, "I live in Berln", "Did you mean")
        await press(api, question, texts.BUTTON_ZONE_YES, "Your plan")
        assert await zone_of(bot) == "Europe/Berlin"


async def test_a_typed_yes_or_no_answers_the_did_you_mean(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    clock.set(START)
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await say(api, "/start", "Which time zone")
        await say(api, "kathmandoo", "Did you mean", FIRST_LOOKUP)
        await say(api, "no", "nothing changed")
        assert await zone_of(bot) is None
        await say(api, "yes", "Which time zone")  # nothing pending any more: asked again
        assert await zone_of(bot) is None

        await say(api, "kathmandoo", "Did you mean")
        await say(api, "Yes!", "Asia/Kathmandu")
        assert await zone_of(bot) == "Asia/Kathmandu"

        await say(api, "/timezone Berln", "Did you mean")
        await say(api, "yep", "Europe/Berlin")
        assert await zone_of(bot) == "Europe/Berlin"

        await say(api, "/timezone kathmandoo", "Did you mean")
        clock.set(START + timedelta(hours=2))  # an hour later "ok" is just a word
        since = len(api.messages(USER))
        api.send_text(USER, "ok")
        await api.wait_until_idle()
        assert await zone_of(bot) == "Europe/Berlin"
        assert not any("Time zone set" in (m.text or "") for m in api.messages(USER)[since:])


async def test_a_question_while_the_zone_is_asked_is_answered_then_the_zone_asked_again(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    clock.set(START)
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await say(api, "/start", "Which time zone")
        since = len(api.messages(USER))
        api.send_text(USER, "how much calcium do I need?")
        await wait_text(api, "1,000", since, FIRST_LOOKUP)
        await wait_text(api, "Which time zone", since)
        assert await zone_of(bot) is None

        since = len(api.messages(USER))
        api.send_text(USER, "okay")
        await api.wait_until_idle()
        assert await zone_of(bot) is None
        assert not any("Time zone set" in (m.text or "") for m in api.messages(USER)[since:])

        await say(api, "Nepal", "Asia/Kathmandu")


async def test_offsets_warn_and_timezone_command_uses_the_same_resolver(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    clock.set(START)
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await say(api, "/start", "Which time zone")
        warned = await say(api, "GMT+1", "Time zone set to", FIRST_LOOKUP)
        assert "UTC+01:00" in (warned.text or "")
        assert "won't follow daylight saving" in (warned.text or "")
        assert "daylight saving included" not in (warned.text or "")

        again = await say(api, "/start", "Time zone set to")  # the set-up again: still honest
        assert "won't follow daylight saving" in (again.text or "")

        question = await say(api, "/timezone Australia", "more than one time zone")
        assert await zone_of(bot) == "UTC+01:00"
        await press(api, question, "Brisbane", "Australia/Brisbane")
        assert await zone_of(bot) == "Australia/Brisbane"


async def test_forged_zone_buttons_change_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    api = server.api
    clock.set(START)
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await say(api, "/start", "Which time zone")
        question = await say(api, "USA", "more than one time zone", FIRST_LOOKUP)
        for data in ("z:Mars/Base", "z:../../etc/passwd", "z:", "z:UTC+99:00", "z:" + "A" * 62):
            mark = api.mark()
            query = api.press(USER, question.message_id, data, strict=False)
            await api.wait_for_call("answerCallbackQuery", after=mark)
            assert api.callback_answers[query]["text"] == texts.STALE_BUTTON
        await api.wait_until_idle()
        assert await zone_of(bot) is None
        assert question.buttons != []


@given(
    st.sampled_from(sorted({z for zones in country_zones().values() for z in zones}))
    | st.just(ZONE_NONE)
)
def test_zone_button_data_round_trips_and_fits(zone: str) -> None:
    data = zone_data(zone)
    assert data.isascii()
    assert 1 <= len(data.encode()) <= 64
    assert parse_zone_choice(data) == zone


@given(st.text(max_size=80))
def test_zone_button_parser_never_raises_and_accepts_only_zones(data: str) -> None:
    zone = parse_zone_choice(data)
    assert zone is None or zone == ZONE_NONE or is_stored_zone(zone)


def test_forged_zone_data_is_refused() -> None:
    for data in ("z:Mars/Base", "z:", "z:../x", "z:UTC+5", "z:Europe/Berlin ", "n:1:d", "z:-x"):
        assert parse_zone_choice(data) is None, data
    assert parse_zone_choice("z:UTC+05:45") == "UTC+05:45"
