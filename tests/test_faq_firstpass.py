"""Free text end to end: safety before the FAQ, small talk, several questions in one message."""

from __future__ import annotations

from pathlib import Path

from bot import texts
from tests.botapi_http import FakeBotApiServer
from tests.harness import VirtualClock, newcomer


async def test_emergencies_get_a_pointer_to_help_and_no_faq_content(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db) as chat:
        for message in (
            "my jaw hurts badly after a fall",
            "I think I broke my cheekbone",
            "I'm having chest pain",
            "one side of my face is numb and my speech is slurred",
        ):
            got = await chat.say(message, "emergency")
            assert got == texts.EMERGENCY.replace("<b>", "").replace("</b>", "")
            assert "calcium" not in got.lower()
            assert "article" not in got.lower()


async def test_distress_gets_kindness_and_support_not_a_refusal(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db) as chat:
        got = await chat.say("I feel depressed about how old I look", "findahelpline.com")
        assert "doesn't cover" not in got
        assert "sorry" in got.lower()


async def test_sore_after_face_yoga_is_advice_to_ease_off_not_an_alarm(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db) as chat:
        got = await chat.say("my jaw is sore after face yoga", "Ease off")
        assert "emergency" not in got.lower()
        assert "doctor" in got


async def test_small_talk_gets_a_short_kind_reply_pointing_to_help(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db) as chat:
        for message in ("hi", "thanks!", "ok", "👍"):
            got = await chat.say(message, "/help")
            assert "rather not guess" not in got
            assert len(got) < 120


async def test_a_long_message_asking_three_things_gets_three_answers(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    message = (
        "Hello! I'm 52 and went through menopause last year, and lately when I look in the "
        "mirror my face seems to be getting thinner and older even though my weight hasn't "
        "changed at all, which honestly surprised me because I always assumed it was about fat. "
        "My sister sent me your bot and I've started the routines, but I have a few questions "
        "before I commit. Will my face keep changing after menopause, and how much? Also, I "
        "smoke a few cigarettes a day, does smoking affect the bones in the face? And does "
        "face yoga really work, or is it a waste of time? Thanks so much for any help."
    )
    assert 520 <= len(message) <= 700
    async with newcomer(server, clock, db) as chat:
        got = await chat.say(message, "20%")
        assert "bone density" in got
        assert "research" in got
        assert got.count(texts.DISCLAIMER) == 1


async def test_safety_and_small_talk_come_first_even_while_choosing_a_time_zone(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db) as chat:
        await chat.say("/start", "Which time zone")
        got = await chat.say("I'm having chest pain", "emergency")
        assert "zone" not in got.lower()
        await chat.say("hi", "/help")
        await chat.say("Europe/Berlin", "Your plan")


async def test_faq_buttons_cover_every_article_topic_and_name_the_source(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with newcomer(server, clock, db) as chat:
        await chat.say("/faq", "Questions about facial bone loss")
        menu = chat.last("Questions about facial bone loss")
        labels = set(menu.button_labels)
        for entry in chat.bot.services.faq.entries():
            if not entry.about_bot:
                assert entry.topic in labels, entry.topic
        assert {"Smoking", "Regular facials", "How strong is the evidence?"} <= labels
        await chat.press(menu, "Where is this from?", expect="infoaging.org")
        got = chat.last("infoaging.org").text or ""
        assert "Can You Reverse Bone Loss and Reshape the Facial Bone with Facial Exercise?" in got
