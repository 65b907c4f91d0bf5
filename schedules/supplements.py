"""Calcium and vitamin D against the article's daily targets.

The article aims at 1,000 to 1,300 mg of calcium and at least 500 IU of vitamin D a day, from
food or supplements. The user says once what one ✅ on a supplement nudge stands for
(``/dose calcium 600 vitd 400``) and adds food as it comes (``+300 mg yogurt``); a day's total
is then plain arithmetic over its done nudges, the dose in force that day and the food.
These are pure functions; the wording of every reply is the bot's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

CALCIUM_MIN_MG: Final = 1000
CALCIUM_MAX_MG: Final = 1300
VITAMIN_D_MIN_IU: Final = 500
"""The article's daily targets: 1,000–1,300 mg calcium, at least 500 IU vitamin D."""

MAX_CALCIUM_MG: Final = 3000
MAX_VITAMIN_D_IU: Final = 10000
MAX_PILLS: Final = 10
"""Upper bounds on what one entry may say: beyond them it is a typo, not a dose."""

MAX_LABEL: Final = 40


class Nutrient(StrEnum):
    """What an amount is of; the value is stored in the database."""

    CALCIUM = "calcium"
    VITAMIN_D = "vitamin_d"


@dataclass(frozen=True, slots=True)
class Dose:
    """What one ✅ on a supplement nudge stands for, and in how many pills."""

    calcium_mg: int
    vitamin_d_iu: int
    pills: int = 1


@dataclass(frozen=True, slots=True)
class Intake:
    """Calcium and vitamin D for one day (or what is still missing from one)."""

    calcium_mg: int = 0
    vitamin_d_iu: int = 0

    def __add__(self, other: Intake) -> Intake:
        return Intake(self.calcium_mg + other.calcium_mg, self.vitamin_d_iu + other.vitamin_d_iu)


@dataclass(frozen=True, slots=True)
class Food:
    """An amount from food the user added, with their own short label."""

    nutrient: Nutrient
    amount: int
    label: str

    @property
    def intake(self) -> Intake:
        """The amount as an intake."""
        if self.nutrient is Nutrient.CALCIUM:
            return Intake(calcium_mg=self.amount)
        return Intake(vitamin_d_iu=self.amount)


_CALCIUM_WORDS = frozenset({"calcium", "ca", "cal"})
_VITAMIN_D_WORDS = frozenset({"vitd", "d", "d3", "vitamind", "vitamin_d", "vitamin-d", "vit_d"})
_PILL_WORDS = frozenset({"pills", "pill", "tablets", "tablet", "x"})
_AMOUNT = re.compile(r"([0-9]{1,6})(mg|iu|ug|µg|mcg)?", re.ASCII | re.IGNORECASE)
_FOOD = re.compile(
    r"\+\s*([0-9]{1,5})\s*(mg|iu)\b\s*(?:of\s+)?(?:(calcium|vitamin\s*d|vit\s*d)\b)?\s*(.*)",
    re.IGNORECASE | re.DOTALL,
)


def _amount(token: str) -> tuple[int, str] | None:
    match = _AMOUNT.fullmatch(token)
    if not match:
        return None
    return int(match[1]), (match[2] or "").lower().replace("µ", "u")


def parse_dose(args: Sequence[str]) -> Dose | None:
    """``calcium 600 vitd 400 [pills 2]`` in any order, or None if anything is off.

    Units may be written (``600mg``, ``400iu``); micrograms of vitamin D are not converted,
    because a wrong factor would be worse than asking again. Calcium alone or vitamin D alone
    is fine; at least one must be above zero.
    """
    values: dict[str, int] = {}
    tokens = [t.lower() for t in args]
    if len(tokens) % 2 or len(tokens) > 6:
        return None
    for word, raw in zip(tokens[::2], tokens[1::2], strict=True):
        amount = _amount(raw)
        if amount is None:
            return None
        number, unit = amount
        if word in _CALCIUM_WORDS and unit in ("", "mg"):
            key = "calcium"
        elif word in _VITAMIN_D_WORDS and unit in ("", "iu"):
            key = "vitd"
        elif word in _PILL_WORDS and unit == "":
            key = "pills"
        else:
            return None
        if key in values:
            return None
        values[key] = number
    dose = Dose(values.get("calcium", 0), values.get("vitd", 0), values.get("pills", 1))
    fits = (
        dose.calcium_mg <= MAX_CALCIUM_MG
        and dose.vitamin_d_iu <= MAX_VITAMIN_D_IU
        and 1 <= dose.pills <= MAX_PILLS
    )
    return dose if fits and (dose.calcium_mg or dose.vitamin_d_iu) else None


def looks_like_food(text: str) -> bool:
    """True for a message that means to add food (starts with ``+`` and a number)."""
    return re.match(r"\s*\+\s*[0-9]", text) is not None


def parse_food(text: str) -> Food | None:
    """``+300 mg yogurt`` (calcium) or ``+200 IU salmon`` (vitamin D), or None.

    mg means calcium and IU means vitamin D; naming the other nutrient is refused rather than
    guessed. The label is the user's own words, trimmed.
    """
    match = _FOOD.fullmatch(text.strip())
    if not match:
        return None
    amount, unit = int(match[1]), match[2].lower()
    named = (match[3] or "").lower().replace(" ", "")
    nutrient = Nutrient.CALCIUM if unit == "mg" else Nutrient.VITAMIN_D
    if (named == "calcium" and nutrient is not Nutrient.CALCIUM) or (
        named in ("vitamind", "vitd") and nutrient is not Nutrient.VITAMIN_D
    ):
        return None
    cap = MAX_CALCIUM_MG if nutrient is Nutrient.CALCIUM else MAX_VITAMIN_D_IU
    if not 0 < amount <= cap:
        return None
    label = " ".join(match[4].split())[:MAX_LABEL]
    return Food(nutrient, amount, label)


def dose_on(doses: Iterable[tuple[date, Dose]], day: date) -> Dose | None:
    """The dose in force on ``day``: the latest one set on or before it."""
    current: tuple[date, Dose] | None = None
    for since, dose in doses:
        if since <= day and (current is None or since >= current[0]):
            current = (since, dose)
    return current[1] if current else None


def daily_intake(
    days: Iterable[date],
    done: Mapping[date, int],
    doses: Sequence[tuple[date, Dose]],
    food: Iterable[tuple[date, Food]],
) -> dict[date, Intake]:
    """Each day's total: its done supplement nudges times that day's dose, plus its food."""
    totals: dict[date, Intake] = {}
    for day in days:
        dose = dose_on(doses, day)
        count = done.get(day, 0)
        totals[day] = (
            Intake(dose.calcium_mg * count, dose.vitamin_d_iu * count) if dose else Intake()
        )
    for day, item in food:
        if day in totals:
            totals[day] = totals[day] + item.intake
    return totals


def left_for_food(so_far: Intake, dose: Dose | None) -> Intake:
    """What is still missing for the day's minimum targets once this dose is taken."""
    taken = so_far + (Intake(dose.calcium_mg, dose.vitamin_d_iu) if dose else Intake())
    return Intake(
        max(0, CALCIUM_MIN_MG - taken.calcium_mg), max(0, VITAMIN_D_MIN_IU - taken.vitamin_d_iu)
    )
