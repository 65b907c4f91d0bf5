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
from schedules.zones import country_zones, is_stored_zone
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    USER,
    Chat,
    VirtualClock,
    newcomer,
    texts_to,
)

KOLKATA = ZoneInfo("Asia/Kolkata")
CHICAGO = ZoneInfo("America/Chicago")
START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


async def zone_of(chat: Chat) -> str | None:
    user = await chat.bot.services.repo.get_user(USER)
    assert user is not None
    return user.zone


async def first_yoga_nudge_at(chat: Chat, at: datetime) -> None:
    """Nothing a minute before ``at``; the yoga nudge right after it."""
    await chat.at(at - timedelta(minutes=1))
    assert chat.nudges("Facial yoga") == []
    await chat.at(at + timedelta(seconds=2))
    assert len(chat.nudges("Facial yoga")) == 1


async def test_india_is_kolkata_and_the_first_nudge_comes_at_eight_there(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db, START) as chat:
        await chat.say("/start", expect="Which time zone")
        confirm = await chat.say("India", expect="Time zone set to")
        assert "Asia/Kolkata" in confirm
        assert "for India" in confirm
        assert "05:30 there now" in confirm
        assert await zone_of(chat) == "Asia/Kolkata"
        await first_yoga_nudge_at(chat, datetime(2026, 11, 26, 8, 0, tzinfo=KOLKATA))


async def test_usa_offers_buttons_and_chicago_sets_nudges_at_eight_chicago_time(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db, START) as chat:
        await chat.say("/start", expect="Which time zone")
        await chat.say("USA", expect="more than one time zone")
        question = chat.last("more than one time zone")
        labels = question.button_labels
        assert "Chicago · 18:00" in labels  # 00:00 UTC is 18:00 the evening before in Chicago
        assert any(label.startswith("New York") for label in labels)
        assert all(data.isascii() and len(data.encode()) <= 64 for data in question.callback_data)
        assert await zone_of(chat) is None

        await chat.press(question, "Chicago", expect="Time zone set to")
        confirm = chat.last("Time zone set to").text or ""
        assert "America/Chicago" in confirm
        await chat.api.wait_for(lambda: question.buttons == [])  # the choice is made: buttons go
        await first_yoga_nudge_at(chat, datetime(2026, 11, 26, 8, 0, tzinfo=CHICAGO))


async def test_a_near_miss_is_asked_and_nothing_is_set_until_yes(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db, START) as chat:
        await chat.say("/start", expect="Which time zone")
        asked = await chat.say("Berln", expect="Did you mean")
        assert "Berlin, Germany" in asked
        assert "01:00 there now" in asked
        assert await zone_of(chat) is None

        await chat.press(chat.last("Did you mean"), texts.BUTTON_ZONE_NO, expect="nothing changed")
        assert await zone_of(chat) is None

        await chat.say("I live in Berln", expect="Did you mean")
        await chat.press(chat.last("Did you mean"), texts.BUTTON_ZONE_YES, expect="Your plan")
        assert await zone_of(chat) == "Europe/Berlin"


async def test_a_typed_yes_or_no_answers_the_did_you_mean(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db, START) as chat:
        await chat.say("/start", expect="Which time zone")
        await chat.say("kathmandoo", expect="Did you mean")
        await chat.say("no", expect="nothing changed")
        assert await zone_of(chat) is None
        await chat.say("yes", expect="Which time zone")  # nothing pending any more: asked again
        assert await zone_of(chat) is None

        await chat.say("kathmandoo", expect="Did you mean")
        await chat.say("Yes!", expect="Asia/Kathmandu")
        assert await zone_of(chat) == "Asia/Kathmandu"

        await chat.say("/timezone Berln", expect="Did you mean")
        await chat.say("yep", expect="Europe/Berlin")
        assert await zone_of(chat) == "Europe/Berlin"

        await chat.say("/timezone kathmandoo", expect="Did you mean")
        last_set = chat.last("Time zone set")
        clock.set(START + timedelta(hours=2))  # an hour later "ok" is just a word
        await chat.send("ok")  # whatever the bot answers, it sets no zone
        assert await zone_of(chat) == "Europe/Berlin"
        assert chat.last("Time zone set").message_id == last_set.message_id


async def test_a_question_while_the_zone_is_asked_is_answered_then_the_zone_asked_again(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db, START) as chat:
        await chat.say("/start", expect="Which time zone")
        await chat.say("how much calcium do I need?", expect="Which time zone")
        chat.last("1,000")  # the question was answered too (this raises if not)
        assert await zone_of(chat) is None

        await chat.send("okay")  # whatever the bot answers, it sets no zone
        assert await zone_of(chat) is None
        assert not any("Time zone set" in text for text in texts_to(chat.api, USER))

        await chat.say("Nepal", expect="Asia/Kathmandu")


async def test_offsets_warn_and_timezone_command_uses_the_same_resolver(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db, START) as chat:
        await chat.say("/start", expect="Which time zone")
        warned = await chat.say("GMT+1", expect="Time zone set to")
        assert "UTC+01:00" in warned
        assert "won't follow daylight saving" in warned
        assert "daylight saving included" not in warned

        again = await chat.say(
            "/start", expect="Time zone set to"
        )  # the set-up again: still honest
        assert "won't follow daylight saving" in again

        await chat.say("/timezone Australia", expect="more than one time zone")
        assert await zone_of(chat) == "UTC+01:00"
        await chat.press(
            chat.last("more than one time zone"),
            "Brisbane",
            expect="Time zone set to Australia/Brisbane",
        )
        assert await zone_of(chat) == "Australia/Brisbane"


async def test_forged_zone_buttons_change_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db, START) as chat:
        await chat.say("/start", expect="Which time zone")
        await chat.say("USA", expect="more than one time zone")
        question = chat.last("more than one time zone")
        for data in ("z:Mars/Base", "z:../../etc/passwd", "z:", "z:UTC+99:00", "z:" + "A" * 62):
            assert await chat.press_data(question, data) == texts.STALE_BUTTON
        assert await zone_of(chat) is None
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
