"""Doses, food and the day's calcium and vitamin D against the article's targets."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedules.supplements import (
    Dose,
    Food,
    Intake,
    Nutrient,
    daily_intake,
    dose_on,
    left_for_food,
    looks_like_food,
    parse_dose,
    parse_food,
)

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("calcium 600 vitd 400", Dose(600, 400, 1)),
        ("calcium 600 vitd 400 pills 2", Dose(600, 400, 2)),
        ("vitd 400iu calcium 600mg", Dose(600, 400, 1)),
        ("Calcium 500", Dose(500, 0, 1)),
        ("d3 1000", Dose(0, 1000, 1)),
    ],
)
def test_dose_parses_in_any_order_with_optional_units(args: str, expected: Dose) -> None:
    assert parse_dose(args.split()) == expected


@pytest.mark.parametrize(
    "args",
    [
        "",
        "calcium",
        "calcium 600 vitd",
        "calcium lots",
        "calcium 600 calcium 300",
        "calcium 0 vitd 0",
        "calcium 99999",
        "vitd 400mg",
        "vitd 10ug",
        "pills 2",
        "calcium 600 pills 0",
        "iron 20",
    ],
)
def test_bad_doses_are_refused(args: str) -> None:
    assert parse_dose(args.split()) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+300 mg yogurt", Food(Nutrient.CALCIUM, 300, "yogurt")),
        ("+300mg", Food(Nutrient.CALCIUM, 300, "")),
        (
            "+ 250 mg calcium from two slices of cheese",
            Food(Nutrient.CALCIUM, 250, "from two slices of cheese"),
        ),
        ("+200 IU salmon", Food(Nutrient.VITAMIN_D, 200, "salmon")),
        ("+200 iu vitamin D eggs", Food(Nutrient.VITAMIN_D, 200, "eggs")),
    ],
)
def test_food_is_mg_of_calcium_or_iu_of_vitamin_d(text: str, expected: Food) -> None:
    assert looks_like_food(text)
    assert parse_food(text) == expected


@pytest.mark.parametrize(
    "text",
    ["+300 yogurt", "+300 g yogurt", "+0 mg", "+99999 mg", "+300 IU calcium", "+5 mg vitamin d"],
)
def test_food_that_does_not_say_what_it_is_is_refused(text: str) -> None:
    assert parse_food(text) is None


@given(st.text(max_size=80))
def test_parsers_never_raise(text: str) -> None:
    parse_food(text)
    parse_dose(text.split())


def test_the_dose_in_force_is_the_latest_set_on_or_before_the_day() -> None:
    doses = [(TUE, Dose(600, 400)), (MON, Dose(500, 0))]
    assert dose_on(doses, date(2026, 11, 22)) is None
    assert dose_on(doses, MON) == Dose(500, 0)
    assert dose_on(doses, WED) == Dose(600, 400)


def test_a_day_counts_done_nudges_times_that_days_dose_plus_food() -> None:
    doses = [(MON, Dose(400, 200)), (WED, Dose(600, 400))]
    food = [
        (MON, Food(Nutrient.CALCIUM, 300, "yogurt")),
        (date(2026, 1, 1), Food(Nutrient.CALCIUM, 5, "")),
    ]
    totals = daily_intake([MON, TUE, WED], {MON: 3, WED: 1}, doses, food)
    assert totals == {MON: Intake(1500, 600), TUE: Intake(0, 0), WED: Intake(600, 400)}


def test_left_for_food_after_this_dose() -> None:
    assert left_for_food(Intake(), Dose(600, 400)) == Intake(400, 100)
    assert left_for_food(Intake(300, 0), Dose(600, 400)) == Intake(100, 100)
    assert left_for_food(Intake(1200, 800), Dose(600, 400)) == Intake(0, 0)
    assert left_for_food(Intake(), None) == Intake(1000, 500)
