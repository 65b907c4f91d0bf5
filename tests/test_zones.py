"""Tests for schedules.zones: zone input, stored names, cities and shared locations."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.zones import (
    ZoneProblem,
    describe_offset,
    find_city_zone,
    format_offset,
    parse_zone,
    preload,
    resolve_zone,
    zone_at,
    zone_problem,
)

SETTINGS = settings(max_examples=200, deadline=None)
ZONES = sorted(z for z in available_timezones() if z not in {"Factory", "localtime"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  EUROPE/BERLIN ", "Europe/Berlin"),
        ("America/New York", "America/New_York"),
        ("america/new_york", "America/New_York"),
        ("Asia/Kathmandu", "Asia/Kathmandu"),
        ("US/Eastern", "US/Eastern"),
        ("Europe/Berln", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("Z", "UTC"),
        ("Etc/UTC", "UTC"),
        ("Etc/GMT+5", "UTC-05:00"),
        ("Etc/GMT-14", "UTC+14:00"),
        ("UTC+2", "UTC+02:00"),
        ("utc+5:45", "UTC+05:45"),
        ("GMT-3", "UTC-03:00"),
        ("+05:30", "UTC+05:30"),
        ("UTC+0530", "UTC+05:30"),
        ("UTC+545", "UTC+05:45"),
        ("UTC +2", "UTC+02:00"),
        ("UTC\u22123", "UTC-03:00"),
        ("UTC+0", "UTC"),
        ("UTC-00:00", "UTC"),
        ("UTC+14", "UTC+14:00"),
        ("UTC-12:00", "UTC-12:00"),
        ("EST", "America/New_York"),
        ("CET", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("NYC", "America/New_York"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("são paulo", "America/Sao_Paulo"),
        ("sao paulo", "America/Sao_Paulo"),
        ("Berlln", "Europe/Berlin"),
        ("kathmandoo", "Asia/Kathmandu"),
        ("New Yrok", "America/New_York"),
        ("Москва", "Europe/Moscow"),
        ("Singapore", "Asia/Singapore"),
        ("Portland, Oregon", "America/Los_Angeles"),
        ("Portland, ME", "America/New_York"),
        ("Paris, France", "Europe/Paris"),
        ("Kathmandu, Nepal", "Asia/Kathmandu"),
    ],
)
def test_parse_zone_accepts(text: str, expected: str) -> None:
    assert parse_zone(text) == expected
    assert zone_problem(text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", ZoneProblem.EMPTY),
        ("   ", ZoneProblem.EMPTY),
        ("x" * 65, ZoneProblem.TOO_LONG),
        ("UTC+14:30", ZoneProblem.OFFSET_OUT_OF_RANGE),
        ("UTC-13", ZoneProblem.OFFSET_OUT_OF_RANGE),
        ("+99", ZoneProblem.OFFSET_OUT_OF_RANGE),
        ("UTC+5:20", ZoneProblem.OFFSET_BAD_MINUTES),
        ("UTC+5:75", ZoneProblem.OFFSET_BAD_MINUTES),
        ("banana", ZoneProblem.UNKNOWN),
        ("pizza", ZoneProblem.UNKNOWN),
        ("hello", ZoneProblem.UNKNOWN),
        ("yes", ZoneProblem.UNKNOWN),
        ("no", ZoneProblem.UNKNOWN),
        ("Mars/Olympus_Mons", ZoneProblem.UNKNOWN),
        ("Factory", ZoneProblem.UNKNOWN),
        ("localtime", ZoneProblem.UNKNOWN),
        ("../../etc/passwd", ZoneProblem.UNKNOWN),
    ],
)
def test_parse_zone_rejects(text: str, problem: ZoneProblem) -> None:
    assert parse_zone(text) is None
    assert zone_problem(text) is problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Berlin", "Europe/Berlin"),
        ("sao paulo", "America/Sao_Paulo"),
        ("Paris", "Europe/Paris"),
        ("Paris, Texas", "America/Chicago"),
        ("Munich, Narnia", "Europe/Berlin"),
        ("Muenchen", "Europe/Berlin"),
        ("Zürich", "Europe/Zurich"),
        ("kiev", "Europe/Kyiv"),
        ("Bombay", "Asia/Kolkata"),
        ("東京", "Asia/Tokyo"),
        ("Londn", "Europe/London"),
    ],
)
def test_find_city_zone(text: str, expected: str) -> None:
    assert find_city_zone(text) == expected


@pytest.mark.parametrize("text", ["", "Brl", "zzzzzzzz", "banana", "qwerty", "a" * 200])
def test_find_city_zone_unknown(text: str) -> None:
    assert find_city_zone(text) is None


@pytest.mark.parametrize(
    ("name", "offset"),
    [
        ("UTC", timedelta(0)),
        ("UTC+05:45", timedelta(hours=5, minutes=45)),
        ("UTC-03:00", timedelta(hours=-3)),
        ("UTC-09:30", timedelta(hours=-9, minutes=-30)),
        ("UTC+14:00", timedelta(hours=14)),
    ],
)
def test_resolve_fixed_offsets(name: str, offset: timedelta) -> None:
    tz = resolve_zone(name)
    assert tz.utcoffset(None) == offset
    assert isinstance(tz, timezone)


def test_resolve_iana_is_zoneinfo() -> None:
    assert resolve_zone("Asia/Kathmandu") == ZoneInfo("Asia/Kathmandu")


@pytest.mark.parametrize(
    "name",
    ["", "utc", "UTC+5", "UTC+14:30", "UTC+00:00", "europe/berlin", "Nowhere/Land", "../x", "\0"],
)
def test_resolve_rejects_garbage(name: str) -> None:
    with pytest.raises(ValueError, match=r"zone|offset"):
        resolve_zone(name)


@pytest.mark.parametrize(
    ("zone", "at", "expected"),
    [
        ("Asia/Kathmandu", datetime(2024, 1, 1, tzinfo=UTC), "UTC+05:45"),
        ("America/New_York", datetime(2024, 1, 15, tzinfo=UTC), "UTC-05:00"),
        ("America/New_York", datetime(2024, 7, 15, tzinfo=UTC), "UTC-04:00"),
        ("Europe/London", datetime(2024, 1, 15, tzinfo=UTC), "UTC"),
        ("UTC-03:00", datetime(2024, 1, 1, tzinfo=UTC), "UTC-03:00"),
        ("UTC", datetime(2024, 1, 1), "UTC"),  # noqa: DTZ001 - naive means UTC
    ],
)
def test_describe_offset(zone: str, at: datetime, expected: str) -> None:
    assert describe_offset(zone, at) == expected


def test_format_offset() -> None:
    assert format_offset(timedelta(hours=-9, minutes=-30)) == "UTC-09:30"
    assert format_offset(timedelta(0)) == "UTC"


@pytest.mark.parametrize(
    ("lat", "lng", "expected"),
    [
        (27.7172, 85.3240, "Asia/Kathmandu"),
        (52.52, 13.405, "Europe/Berlin"),
        (40.7128, -74.0060, "America/New_York"),
        (-23.55, -46.63, "America/Sao_Paulo"),
        (0.0, -160.0, "UTC-11:00"),  # open ocean: nautical zone Etc/GMT+11
        (91.0, 0.0, None),
        (0.0, 181.0, None),
        (math.nan, 0.0, None),
        (0.0, math.inf, None),
    ],
)
def test_zone_at(lat: float, lng: float, expected: str | None) -> None:
    assert zone_at(lat, lng) == expected


@SETTINGS
@given(st.text(max_size=80))
def test_parse_zone_never_raises_and_resolves(text: str) -> None:
    zone = parse_zone(text)
    if zone is None:
        assert zone_problem(text) is not None
    else:
        resolve_zone(zone)
        assert parse_zone(zone) == zone


@SETTINGS
@given(st.text(max_size=80))
def test_find_city_zone_never_raises(text: str) -> None:
    zone = find_city_zone(text)
    assert zone is None or resolve_zone(zone) is not None


@SETTINGS
@given(
    st.sampled_from(["UTC", "utc", "GMT", "", "+", "UTC "]),
    st.sampled_from(["+", "-"]),
    st.integers(0, 20),
    st.sampled_from(["", ":00", ":15", ":30", ":45", "15", "30", ":07", ":60"]),
)
def test_offsets_round_trip(prefix: str, sign: str, hours: int, minutes: str) -> None:
    text = f"{prefix}{sign}{hours}{minutes}".replace("++", "+").replace("+-", "-")
    zone = parse_zone(text)
    if zone is not None:
        assert parse_zone(zone) == zone
        offset = resolve_zone(zone).utcoffset(None)
        assert offset is not None
        assert timedelta(hours=-12) <= offset <= timedelta(hours=14)
        assert offset.total_seconds() % (15 * 60) == 0


@SETTINGS
@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_infinity=True))
def test_zone_at_never_raises(lat: float, lng: float) -> None:
    zone = zone_at(lat, lng)
    assert zone is None or resolve_zone(zone) is not None


@pytest.mark.parametrize("name", sorted(available_timezones()))
def test_every_available_zone_resolves(name: str) -> None:
    assert resolve_zone(name) is not None


@pytest.mark.parametrize("name", ZONES)
def test_every_real_zone_parses(name: str) -> None:
    parsed = parse_zone(name)
    assert parsed is not None
    resolve_zone(parsed)


def test_preload_is_idempotent() -> None:
    preload()
    preload()
    assert parse_zone("berlin") == "Europe/Berlin"
