"""The first pass over free text: what it must catch, and what it must leave to the FAQ."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.triage import Kind, triage

EMERGENCIES = (
    "my jaw hurts badly after a fall",
    "i think my jaw bone is cracked",
    "I may have fractured my nose",
    "I think I broke my cheekbone",
    "I'm having chest pain",
    "one side of my face is numb and my speech is slurred",
    "My face is drooping on one side since this morning",
    "i cant breathe properly",
    "I fell off my bike and hit my face",
    "sudden severe pain in my cheek",
    "my lips are swelling up after a new cream",
    "i took a whole bottle of calcium pills",
    "my nose looks broken after the accident",
    "half my face feels numb",
    "I've got the worst headache of my life",
    "got punched in the jaw last night, it really hurts a lot",
    "throat is swelling",
)

CRISES = (
    "I want to kill myself",
    "sometimes i think about ending my life because of how i look",
    "I've been self-harming",
)

DISTRESS = (
    "I feel depressed about how old I look",
    "I hate how I look now",
    "feeling so low about my face getting older",
    "i feel ugly",
)

DISCOMFORT = (
    "my jaw is sore after face yoga",
    "my cheeks ache a little after the exercises",
    "my neck is stiff after doing the jaw exercise",
)

SMALL_TALK = (
    ("hi", Kind.GREETING),
    ("Hello there!", Kind.GREETING),
    ("good morning", Kind.GREETING),
    ("thanks!", Kind.THANKS),
    ("Thank you so much", Kind.THANKS),
    ("ok", Kind.ACK),
    ("Okay 👍", Kind.ACK),
    ("👍", Kind.ACK),
    ("🙏😊", Kind.ACK),
    ("got it", Kind.ACK),
    ("bye", Kind.FAREWELL),
    ("good night", Kind.FAREWELL),
)

QUESTIONS = (
    "does smoking cause fractures?",
    "how do i fix a broken phone screen",
    "my phone is broken, can I still get reminders?",
    "does smoking hurt my bones?",
    "can implants cause numbness",
    "why are my eyelids drooping with age",
    "hi, how much calcium should I take?",
    "thanks, and does face yoga work?",
    "is it normal for the jaw to lose definition",
    "my cheekbones look lower than they used to",
    "can facial exercise break anything in the face",
    "what causes facial bone loss",
    "Why do the eye sockets get bigger with age?",
    "is 2000 IU of vitamin D ok?",
    "ok so how long until face yoga works",
    "I'm 52 and just went through menopause, will my face change?",
    "does the face fall with age",
)


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergencies_are_caught(text: str) -> None:
    assert triage(text) is Kind.EMERGENCY


@pytest.mark.parametrize("text", CRISES)
def test_thoughts_of_self_harm_are_a_crisis(text: str) -> None:
    assert triage(text) is Kind.CRISIS


@pytest.mark.parametrize("text", DISTRESS)
def test_distress_is_caught(text: str) -> None:
    assert triage(text) is Kind.DISTRESS


@pytest.mark.parametrize("text", DISCOMFORT)
def test_mild_soreness_is_discomfort_not_an_emergency(text: str) -> None:
    assert triage(text) is Kind.DISCOMFORT


@pytest.mark.parametrize(("text", "kind"), SMALL_TALK)
def test_small_talk(text: str, kind: Kind) -> None:
    assert triage(text) is kind


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_go_on_to_the_faq(text: str) -> None:
    assert triage(text) is None


def test_empty_or_whitespace_is_not_small_talk() -> None:
    assert triage("") is None
    assert triage("   ") is None


def test_no_labelled_question_is_mistaken_for_an_emergency_or_small_talk() -> None:
    """Every question in the FAQ's evaluation files reaches the FAQ (bar two small-talk rows)."""
    data = Path(__file__).parent / "data"
    caught: list[tuple[str, Kind]] = []
    for name in ("faq_real.tsv", "faq_eval.tsv"):
        for line in (data / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                question = line.split("\t")[0]
                kind = triage(question)
                if kind is not None:
                    caught.append((question, kind))
    assert caught == [("hello", Kind.GREETING), ("thanks!", Kind.THANKS)]
