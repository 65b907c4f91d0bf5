"""Nudge prompts speak with the FAQ's voice and fit the time of day they are sent."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from itertools import pairwise

import pytest

from bot.faq import FaqIndex
from schedules.prompts import FOOD_IDEAS, YOGA_MOVES, PartOfDay, part_of_day, prompt_for
from schedules.routines import Routine

DAYS = [date(2026, 11, 30) + timedelta(days=i) for i in range(40)]
TIME_WORDS = {
    PartOfDay.MORNING: ("morning", "breakfast", "before the day"),
    PartOfDay.AFTERNOON: ("afternoon", "lunch"),
    PartOfDay.EVENING: ("evening", "tonight", "dinner", "before bed", "night"),
}
ALL_TIME_WORDS = tuple(w for words in TIME_WORDS.values() for w in words)
# each food idea in the prompts, and the words the FAQ's "Which foods?" answer uses for it
FOOD_IN_FAQ = {
    "yogurt or a glass of milk": "dairy",
    "tinned sardines or salmon with their soft bones": "tinned fish with soft bones",
    "calcium-set tofu": "calcium-set tofu",
    "kale or other leafy greens": "leafy greens such as kale",
    "an egg or some oily fish for vitamin D": "oily fish, eggs",
    "a fortified cereal or plant milk": "fortified foods",
}


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.load()


@pytest.mark.parametrize(
    ("at", "part"),
    [
        (time(8, 0), PartOfDay.MORNING),
        (time(4, 0), PartOfDay.MORNING),
        (time(11, 59), PartOfDay.MORNING),
        (time(12, 0), PartOfDay.AFTERNOON),
        (time(16, 59), PartOfDay.AFTERNOON),
        (time(17, 0), PartOfDay.EVENING),
        (time(21, 0), PartOfDay.EVENING),
        (time(0, 30), PartOfDay.EVENING),
        (time(3, 59), PartOfDay.EVENING),
    ],
)
def test_part_of_day(at: time, part: PartOfDay) -> None:
    assert part_of_day(at) is part


@pytest.mark.parametrize("routine", list(Routine))
@pytest.mark.parametrize("hour", range(24))
def test_a_prompt_names_only_the_time_of_day_it_is_sent(routine: Routine, hour: int) -> None:
    at = time(hour, 0)
    wrong = [w for part, words in TIME_WORDS.items() if part != part_of_day(at) for w in words]
    for day in DAYS:
        text = prompt_for(routine, day, at).lower()
        for word in wrong:
            assert not re.search(rf"\b{word}\b", text), (hour, text)


def test_an_eight_oclock_moisturizing_nudge_never_says_evening() -> None:
    for day in DAYS:
        assert "evening" not in prompt_for(Routine.MOISTURIZE, day, time(8, 0)).lower()


@pytest.mark.parametrize("routine", list(Routine))
def test_without_the_send_time_no_time_of_day_is_named(routine: Routine) -> None:
    for day in DAYS:
        text = prompt_for(routine, day).lower()
        assert not any(re.search(rf"\b{w}\b", text) for w in ALL_TIME_WORDS), text


@pytest.mark.parametrize("routine", list(Routine))
def test_consecutive_days_never_repeat(routine: Routine) -> None:
    for at in (None, time(8, 0), time(13, 0), time(21, 0)):
        texts = [prompt_for(routine, day, at) for day in DAYS]
        assert all(a != b for a, b in pairwise(texts))


def test_moves_and_foods_are_offered_as_the_bots_own() -> None:
    for day in DAYS:
        yoga = prompt_for(Routine.YOGA, day, time(8, 0))
        assert "my pick; the article names no moves" in yoga
        supplements = prompt_for(Routine.SUPPLEMENTS, day, time(9, 0))
        assert "not the article's" in supplements
        assert "1,000–1,300 mg" in supplements
        assert "500 IU" in supplements
    assert set(FOOD_IN_FAQ) == set(FOOD_IDEAS)


def test_the_faq_says_the_same_about_moves(index: FaqIndex) -> None:
    entry = index.answer("which face yoga exercises should I do?")
    assert entry is not None
    assert "names no specific moves" in entry.answer
    assert "my own suggestions" in entry.answer
    names = {move.split(":")[0].lower() for move in YOGA_MOVES}
    named = re.findall(r"\(([^)]*)\)", entry.answer)[0]
    for name in re.split(r",| and the like", named):
        if name.strip():
            assert name.strip().lower() in names, name


def test_the_faq_says_the_same_about_foods(index: FaqIndex) -> None:
    entry = index.answer("which foods have calcium and vitamin D?")
    assert entry is not None
    assert "names no foods" in entry.answer
    assert "My own suggestion, not the article's" in entry.answer
    for food in FOOD_IDEAS:
        assert FOOD_IN_FAQ[food] in entry.answer, food
