"""Tests for schedules.zones: what typed places, zones and offsets resolve to; never a wrong zone.

Every answer is an exact zone, a choice, a suggestion to confirm, a fixed offset or nothing; the
table from issue 12 (places that used to become wrong zones) is checked row by row, every
country in tzdata's tables is checked, and so are common English words.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from importlib.resources import files
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.zones import (
    Choice,
    Exact,
    FixedOffset,
    NotFound,
    Suggestion,
    ZoneAnswer,
    ZoneProblem,
    confirmation,
    country_name,
    country_zones,
    describe_offset,
    format_offset,
    is_fixed_offset,
    is_stored_zone,
    preload,
    resolve_place,
    resolve_zone,
    zone_at,
)
from tests.zone_places import Verdict, place_cases, same_clock, verdict

SETTINGS = settings(max_examples=200, deadline=None)
ZONES = sorted(z for z in available_timezones() if z not in {"Factory", "localtime"})
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def resolve(text: str) -> ZoneAnswer:
    return resolve_place(text, NOW)


def offered(answer: ZoneAnswer) -> set[str]:
    assert isinstance(answer, Choice), answer
    return {option.zone for option in answer.options}


@pytest.mark.parametrize(
    ("text", "zone", "place"),
    [
        # issue 12's table: each of these used to become a wrong zone or nothing
        ("India", "Asia/Kolkata", "India"),
        ("Peru", "America/Lima", "Peru"),
        ("Ireland", "Europe/Dublin", "Ireland"),
        ("Bali", "Asia/Makassar", "Bali, Indonesia"),
        ("Goa", "Asia/Kolkata", "Goa, India"),
        ("Kerala", "Asia/Kolkata", "Kerala, India"),
        ("Germany", "Europe/Berlin", "Germany"),
        ("France", "Europe/Paris", "France"),
        ("Japan", "Asia/Tokyo", "Japan"),
        ("Nepal", "Asia/Kathmandu", "Nepal"),
        ("I live in Berlin", "Europe/Berlin", "Berlin, Germany"),
        ("Berlin Germany", "Europe/Berlin", "Berlin, Germany"),
        # free text around a place, and regions in one zone
        ("Berlin, Germany", "Europe/Berlin", "Berlin, Germany"),
        ("near Munich", "Europe/Berlin", "Munich, Germany"),
        ("I'm in Tokyo.", "Asia/Tokyo", "Tokyo, Japan"),
        ("Munich in Germany", "Europe/Berlin", "Munich, Germany"),
        ("Bavaria", "Europe/Berlin", "Bavaria, Germany"),
        ("Queensland", "Australia/Brisbane", "Queensland, Australia"),
        ("California", "America/Los_Angeles", "California, United States"),
        ("England", "Europe/London", "United Kingdom"),
        # places tzdata's own notes name
        ("Canary Islands", "Atlantic/Canary", "Canary Islands, Spain"),
        ("Java", "Asia/Jakarta", "Java, Indonesia"),
        ("Crimea", "Europe/Simferopol", "Crimea, Ukraine"),
        ("Arizona", "America/Phoenix", "Arizona, United States"),
        ("UK", "Europe/London", "United Kingdom"),
        # what already worked keeps working
        ("Kathmandu", "Asia/Kathmandu", "Kathmandu, Nepal"),
        ("são paulo", "America/Sao_Paulo", "São Paulo, Brazil"),
        ("sao paulo", "America/Sao_Paulo", "São Paulo, Brazil"),
        ("NYC", "America/New_York", "New York"),
        ("kiev", "Europe/Kyiv", "Kyiv, Ukraine"),
        ("Kyiv", "Europe/Kyiv", "Kyiv, Ukraine"),
        ("Bombay", "Asia/Kolkata", "Mumbai, India"),
        ("Москва", "Europe/Moscow", "Moscow, Russia"),
        ("東京", "Asia/Tokyo", "Tokyo, Japan"),
        ("Paris", "Europe/Paris", "Paris, France"),
        ("Paris, Texas", "America/Chicago", "Paris, Texas"),
        ("Portland, Oregon", "America/Los_Angeles", "Portland, Oregon"),
        ("Portland, Maine", "America/New_York", "Portland, Maine"),
        ("Portland, ME", "America/New_York", "Portland, Maine"),
        ("Paris, TX", "America/Chicago", "Paris, Texas"),
        ("Perth, Queensland", "Australia/Brisbane", "Queensland, Australia"),
        ("Smalltown, Germany", "Europe/Berlin", "Germany"),
        ("Nice, France", "Europe/Paris", "Nice, France"),
        ("Singapore", "Asia/Singapore", "Singapore"),
        ("Europe/Berlin", "Europe/Berlin", "Europe/Berlin"),
        ("  EUROPE/BERLIN ", "Europe/Berlin", "Europe/Berlin"),
        ("America/New York", "America/New_York", "America/New_York"),
        ("US/Eastern", "US/Eastern", "US/Eastern"),
        ("EST", "America/New_York", "EST"),
        ("PST", "America/Los_Angeles", "PST"),
        ("CET", "Europe/Berlin", "CET"),
        ("UTC", "UTC", "UTC"),
        ("Etc/UTC", "UTC", "UTC"),
    ],
)
def test_exact_places_resolve_at_once(text: str, zone: str, place: str) -> None:
    assert resolve(text) == Exact(zone, place)


@pytest.mark.parametrize(
    ("text", "must_offer", "wrong"),
    [
        ("USA", {"America/Chicago", "America/New_York", "America/Los_Angeles"}, None),
        ("Australia", {"Australia/Perth", "Australia/Sydney", "Australia/Brisbane"}, None),
        ("Brazil", {"America/Sao_Paulo", "America/Manaus"}, None),
        ("Chile", {"America/Santiago", "Pacific/Easter"}, "Europe/Istanbul"),
        ("Florida", {"America/New_York", "America/Chicago"}, "America/Bogota"),
        ("Texas", {"America/Chicago", "America/Denver"}, None),
        ("Canada", {"America/Toronto", "America/Vancouver"}, None),
        ("Russia", {"Europe/Moscow", "Asia/Vladivostok"}, None),
        ("Mexico", {"America/Mexico_City", "America/Cancun"}, None),
        ("Indonesia", {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}, None),
        ("Spain", {"Europe/Madrid", "Atlantic/Canary"}, None),
        ("New South Wales", {"Australia/Sydney", "Australia/Broken_Hill"}, None),
        ("Borneo", {"Asia/Pontianak", "Asia/Makassar"}, None),
        ("MST", {"America/Denver", "America/Phoenix"}, None),
        ("Georgia", {"Asia/Tbilisi", "America/New_York"}, None),
        ("Washington", {"America/Los_Angeles", "America/New_York"}, None),
        ("IST", {"Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"}, None),
    ],
)
def test_places_with_several_zones_offer_them(
    text: str, must_offer: set[str], wrong: str | None
) -> None:
    zones = offered(resolve(text))
    assert must_offer <= zones
    assert wrong not in zones
    assert len(zones) == len({z for z in zones}) >= 2


def test_options_carry_the_local_time_now() -> None:
    answer = resolve("USA")
    assert isinstance(answer, Choice)
    assert answer.place == "United States"
    chicago = next(o for o in answer.options if o.zone == "America/Chicago")
    assert chicago.label == "Chicago"
    assert chicago.local_now == NOW.astimezone(ZoneInfo("America/Chicago"))
    assert chicago.local_now.hour == 0  # 06:00 UTC in late November


def test_zones_with_the_same_clock_are_one_option() -> None:
    # Detroit, Indianapolis and New York keep the same time all year: one button, New York's
    zones = offered(resolve("USA"))
    assert "America/New_York" in zones
    assert not zones & {
        "America/Detroit",
        "America/Indiana/Indianapolis",
        "America/Kentucky/Louisville",
    }


@pytest.mark.parametrize(
    ("text", "zone", "label"),
    [
        ("Berln", "Europe/Berlin", "Berlin, Germany"),
        ("kathmandoo", "Asia/Kathmandu", "Kathmandu, Nepal"),
        ("New Yrok", "America/New_York", "New York, United States"),
        ("Inida", "Asia/Kolkata", "India"),
        ("Califronia", "America/Los_Angeles", "California, United States"),
        ("Bavria", "Europe/Berlin", "Bavaria, Germany"),
        ("Europe/Berln", "Europe/Berlin", "Europe/Berlin"),
        ("I live in Berln", "Europe/Berlin", "Berlin, Germany"),
    ],
)
def test_near_misses_are_asked_not_set(text: str, zone: str, label: str) -> None:
    answer = resolve(text)
    assert isinstance(answer, Suggestion), answer
    assert (answer.option.zone, answer.option.label) == (zone, label)
    assert answer.option.local_now == NOW.astimezone(ZoneInfo(zone))


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("GMT+1", "UTC+01:00"),
        ("UTC+2", "UTC+02:00"),
        ("utc+5:45", "UTC+05:45"),
        ("GMT-3", "UTC-03:00"),
        ("+05:30", "UTC+05:30"),
        ("UTC+0530", "UTC+05:30"),
        ("UTC+545", "UTC+05:45"),
        ("UTC +2", "UTC+02:00"),
        ("UTC\u22123", "UTC-03:00"),
        ("UTC+0", "UTC"),
        ("UTC+14", "UTC+14:00"),
        ("UTC-12:00", "UTC-12:00"),
        ("GMT", "UTC"),
        ("Etc/GMT+5", "UTC-05:00"),
        ("Etc/GMT-14", "UTC+14:00"),
    ],
)
def test_offsets_are_fixed_and_say_so(text: str, zone: str) -> None:
    assert resolve(text) == FixedOffset(zone)


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
        ("okay", ZoneProblem.UNKNOWN),
        ("hello", ZoneProblem.UNKNOWN),
        ("yes", ZoneProblem.UNKNOWN),
        ("no", ZoneProblem.UNKNOWN),
        ("us", ZoneProblem.UNKNOWN),
        ("nice", ZoneProblem.UNKNOWN),
        ("banana", ZoneProblem.UNKNOWN),
        ("Mars/Olympus_Mons", ZoneProblem.UNKNOWN),
        ("Factory", ZoneProblem.UNKNOWN),
        ("localtime", ZoneProblem.UNKNOWN),
        ("../../etc/passwd", ZoneProblem.UNKNOWN),
        ("how much calcium do I need in Germany?", ZoneProblem.UNKNOWN),
    ],
)
def test_nothing_found(text: str, problem: ZoneProblem) -> None:
    assert resolve(text) == NotFound(problem)


def _shipped_common_words() -> list[str]:
    """The shipped list of common words, most frequent first (the next test pins it to
    wordfreq's, which is imported only there: every test process collects this module)."""
    return files("schedules").joinpath("data", "common_words.txt").read_text("utf-8").split()


@pytest.mark.parametrize("word", _shipped_common_words()[:100])
def test_common_english_words_are_never_places(word: str) -> None:
    assert resolve(word) == NotFound(ZoneProblem.UNKNOWN)
    assert resolve(word.capitalize()) == NotFound(ZoneProblem.UNKNOWN)


def test_the_shipped_common_words_are_wordfreqs_top_list() -> None:
    """``schedules/data/common_words.txt`` is exactly this list; regenerate it from here."""
    from wordfreq import top_n_list

    expected = [w for w in top_n_list("en", 3000) if w.isascii() and w.isalpha()]
    assert _shipped_common_words() == expected


@pytest.mark.parametrize("code", sorted(country_zones()))
def test_every_country_resolves_or_asks(code: str) -> None:
    """One clock in the country: that zone at once; several: every one of them offered."""
    zones = country_zones()[code]
    clocks: list[str] = []
    for zone in zones:
        if not any(same_clock(zone, seen, NOW) for seen in clocks):
            clocks.append(zone)
    answer = resolve(country_name(code))
    if isinstance(answer, Exact):
        assert len(clocks) == 1
        assert any(same_clock(answer.zone, zone, NOW) for zone in zones)
        return
    # several clocks, or a name shared with another place ("Georgia"): a choice covering them
    options = offered(answer)
    for clock in clocks:
        assert any(same_clock(clock, option, NOW) for option in options), clock


@pytest.mark.parametrize("split", ["dev", "held"])
def test_never_a_wrong_zone_on_generated_places(split: str) -> None:
    cases = place_cases(split)  # type: ignore[arg-type]
    assert len(cases) >= 250
    wrong = [c for c in cases if verdict(c, resolve(c.text), NOW) is Verdict.WRONG]
    assert wrong == []


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
def test_resolver_never_raises_and_answers_are_storable(text: str) -> None:
    answer = resolve(text)
    if isinstance(answer, Exact | FixedOffset):
        resolve_zone(answer.zone)
        assert is_stored_zone(answer.zone)
    elif isinstance(answer, Choice):
        assert all(is_stored_zone(o.zone) for o in answer.options)
    elif isinstance(answer, Suggestion):
        assert is_stored_zone(answer.option.zone)


@SETTINGS
@given(
    st.sampled_from(["UTC", "utc", "GMT", "", "+", "UTC "]),
    st.sampled_from(["+", "-"]),
    st.integers(0, 20),
    st.sampled_from(["", ":00", ":15", ":30", ":45", "15", "30", ":07", ":60"]),
)
def test_offsets_round_trip(prefix: str, sign: str, hours: int, minutes: str) -> None:
    text = f"{prefix}{sign}{hours}{minutes}".replace("++", "+").replace("+-", "-")
    answer = resolve(text)
    if isinstance(answer, FixedOffset):
        assert resolve(answer.zone) in (answer, Exact("UTC", "UTC"))
        offset = resolve_zone(answer.zone).utcoffset(None)
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


@pytest.mark.parametrize("name", [z for z in ZONES if "/" in z])
def test_every_regional_zone_name_is_exact(name: str) -> None:
    answer = resolve(name)
    assert isinstance(answer, Exact | FixedOffset), answer
    resolve_zone(answer.zone)


def test_preload_is_idempotent() -> None:
    preload()
    preload()
    assert resolve("berlin") == Exact("Europe/Berlin", "Berlin, Germany")


def test_format_offset_and_stored_names() -> None:
    assert format_offset(timedelta(hours=-9, minutes=-30)) == "UTC-09:30"
    assert is_stored_zone("UTC+05:45")
    assert not is_stored_zone("UTC+5")
    assert not is_stored_zone("Mars/Base")
    assert is_fixed_offset("UTC-03:00")
    assert not is_fixed_offset("UTC")
    assert not is_fixed_offset("Europe/Berlin")
    assert isinstance(resolve_zone("UTC+05:45"), timezone)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Yes!", True),
        ("yep", True),
        ("OK", True),
        ("no", False),
        ("Nope.", False),
        ("Berlin", None),
        ("yes please set it", None),
        ("", None),
    ],
)
def test_typed_confirmation(text: str, expected: bool | None) -> None:
    assert confirmation(text) is expected
