"""Tests for the /stats chart renderer in ``bot.charts``."""

from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta

import pytest

from bot.charts import CHART_DAYS, render_stats_chart
from bot.texts import ROUTINE_NAMES as ROUTINE_LABELS
from schedules.routines import Routine
from schedules.stats import DayState, RoutineStats, routine_stats

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = date(2026, 6, 17)
JOINED = TODAY - timedelta(days=45)
CYCLE = (DayState.DONE, DayState.DONE, DayState.SKIPPED, DayState.DONE, DayState.MISSED)


def sample_days() -> dict[Routine, dict[date, DayState]]:
    """A varied 46-day history for every routine, with today still open for yoga."""
    days: dict[Routine, dict[date, DayState]] = {}
    for shift, routine in enumerate(Routine):
        history = {JOINED + timedelta(days=i): CYCLE[(i + shift) % len(CYCLE)] for i in range(46)}
        days[routine] = history
    days[Routine.YOGA][TODAY] = DayState.OPEN
    return days


def sample_stats(days: dict[Routine, dict[date, DayState]]) -> list[RoutineStats]:
    """Statistics for every routine of ``days``."""
    return [routine_stats(r, days.get(r, {}), today=TODAY, joined=JOINED) for r in Routine]


def decode(png: bytes) -> tuple[int, int]:
    """Decode PNG bytes with matplotlib and return ``(width, height)`` in pixels.

    Imported here, as the bot imports it on its first chart: every test process collects this
    module, and most never decode a chart."""
    from matplotlib import image as mpimg

    pixels = mpimg.imread(io.BytesIO(png), format="png")
    return pixels.shape[1], pixels.shape[0]


def test_renders_a_png_of_the_expected_size() -> None:
    days = sample_days()
    png = render_stats_chart(sample_stats(days), days, today=TODAY, title="Your last 30 days")
    assert png.startswith(PNG_SIGNATURE)
    assert decode(png) == (900, 500)
    assert len(png) < 150_000


@pytest.mark.parametrize(
    ("stats", "days"),
    [
        pytest.param(
            [routine_stats(r, {}, today=TODAY, joined=TODAY) for r in Routine], {}, id="no-days"
        ),
        pytest.param([], {}, id="no-routines"),
        pytest.param(
            [routine_stats(Routine.SUPPLEMENTS, {}, today=TODAY, joined=TODAY)],
            {Routine.SUPPLEMENTS: {TODAY: DayState.OPEN}},
            id="one-routine-first-day",
        ),
    ],
)
def test_empty_history_renders(
    stats: list[RoutineStats], days: dict[Routine, dict[date, DayState]]
) -> None:
    png = render_stats_chart(stats, days, today=TODAY, title="Stats")
    assert png.startswith(PNG_SIGNATURE)
    assert decode(png) == (900, 500)


@pytest.mark.parametrize(
    "title",
    ["Your week 💪🌙", "Статистика — 統計", "A\nB", ""],
)
def test_titles_the_font_cannot_draw_do_not_warn(title: str) -> None:
    # pytest turns warnings into errors, so a missing-glyph warning would fail here
    days = sample_days()
    png = render_stats_chart(sample_stats(days), days, today=TODAY, title=title)
    assert png.startswith(PNG_SIGNATURE)


def test_history_longer_than_the_window_and_future_days_are_fine() -> None:
    days = sample_days()
    days[Routine.YOGA][TODAY + timedelta(days=3)] = DayState.MISSED
    days[Routine.YOGA][TODAY - timedelta(days=CHART_DAYS + 100)] = DayState.MISSED
    png = render_stats_chart(sample_stats(days), days, today=TODAY, title="x")
    assert decode(png) == (900, 500)


def test_rendering_is_deterministic() -> None:
    days = sample_days()
    stats = sample_stats(days)
    first = render_stats_chart(stats, days, today=TODAY, title="Same")
    assert render_stats_chart(stats, days, today=TODAY, title="Same") == first


def test_every_routine_has_a_display_name() -> None:
    assert set(ROUTINE_LABELS) == set(Routine)
    assert ROUTINE_LABELS[Routine.SUPPLEMENTS] == "Calcium + vitamin D"


async def test_renders_in_worker_threads() -> None:
    days = sample_days()
    stats = sample_stats(days)
    pngs = await asyncio.gather(
        *(
            asyncio.to_thread(render_stats_chart, stats, days, today=TODAY, title=f"Chart {i}")
            for i in range(4)
        )
    )
    for png in pngs:
        assert png.startswith(PNG_SIGNATURE)
        assert decode(png) == (900, 500)
