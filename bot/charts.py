"""Render the /stats chart: a 30-day calendar strip per routine, as a small PNG for Telegram.

A picture answers "how am I doing?" faster than numbers on a phone screen, so the chart is one
row of day squares per routine (done green, rest day grey, missed pink, open or no nudge pale)
with its 7- and 30-day adherence and streak printed above it. Past days still OPEN are drawn
as missed, exactly as :mod:`schedules.stats` counts them. It is drawn with matplotlib's
object API on an explicit Agg canvas — never ``pyplot``, whose global figure registry is not
thread-safe — because the bot renders it off the event loop with ``asyncio.to_thread``. Text is
filtered to glyphs the font actually has, since a missing glyph (say, an emoji in a title) makes
matplotlib warn and the test suite treats warnings as errors.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache

from bot.texts import ROUTINE_NAMES
from schedules.routines import Routine
from schedules.stats import DayState, RoutineStats, settled_state

__all__ = ["CHART_DAYS", "render_stats_chart"]

CHART_DAYS = 30
"""How many days, ending today, the calendar strip shows."""

_WIDTH_IN, _HEIGHT_IN, _DPI = 6.0, 10.0 / 3.0, 150  # 900 x 500 px
_INK = "#333333"
_MUTED = "#777777"
_COLOURS: Mapping[DayState, str] = {
    DayState.DONE: "#2e9e5b",
    DayState.SKIPPED: "#b9bcc2",
    DayState.MISSED: "#f28b9b",
    DayState.OPEN: "#fff3c4",
    DayState.NONE: "#eef0f3",
}
_LEGEND: tuple[tuple[str, DayState], ...] = (
    ("Done", DayState.DONE),
    ("Rest day / paused", DayState.SKIPPED),
    ("Missed", DayState.MISSED),
    ("Today, not yet", DayState.OPEN),
    ("No nudge", DayState.NONE),
)
_STRIP_HEIGHT = 0.5  # of each routine's unit-high band; the caption sits above
_WEEKDAY_INITIALS = "MTWTFSS"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=1)
def _font_codepoints() -> frozenset[int]:
    """Code points the default sans-serif font can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties())
    return frozenset(FT2Font(path).get_charmap())


def _drawable(text: str) -> str:
    """Drop characters the font lacks (emoji and the like) so matplotlib draws without warning."""
    known = _font_codepoints()
    kept = "".join(ch for ch in text if ch in "\n " or ord(ch) in known)
    return "\n".join(" ".join(line.split()) for line in kept.splitlines())


def _percent(value: float | None) -> str:
    """Format a ratio as a whole percentage, or an em dash when there is none."""
    return "—" if value is None else f"{round(value * 100)}%"


def _summary(stats: RoutineStats) -> str:
    """The figures printed above a routine's strip, right-aligned."""
    return (
        f"7 days {_percent(stats.adherence_7)}   30 days {_percent(stats.adherence_30)}   "
        f"streak {stats.current_streak} (best {stats.best_streak})"
    )


def render_stats_chart(
    stats: Sequence[RoutineStats],
    days: Mapping[Routine, Mapping[date, DayState]],
    *,
    today: date,
    title: str,
) -> bytes:
    """Draw the last 30 days of every routine in ``stats`` and return the chart as PNG bytes.

    matplotlib is imported here, on the first chart: it costs every process that starts the bot
    half a second of CPU, and most never draw one.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    fig = Figure(figsize=(_WIDTH_IN, _HEIGHT_IN), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(
        0.5,
        0.95,
        _drawable(title),
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        color=_INK,
    )
    ax = fig.add_axes((0.035, 0.2, 0.93, 0.67))
    rows = max(len(stats), 1)
    first = today - timedelta(days=CHART_DAYS - 1)
    dates = [first + timedelta(days=i) for i in range(CHART_DAYS)]

    gap = 0.14
    for row, item in enumerate(stats):
        history = days.get(item.routine, {})
        y = rows - 1 - row  # each routine owns a band [y, y + 1): strip below, caption above
        for col, day in enumerate(dates):
            state = settled_state(history, day, today)
            ax.add_patch(
                Rectangle(
                    (col + gap / 2, y),
                    1 - gap,
                    _STRIP_HEIGHT,
                    facecolor=_COLOURS[state],
                    edgecolor="none",
                )
            )
        ax.add_patch(  # a frame around today's square
            Rectangle(
                (CHART_DAYS - 1, y - 0.04),
                1,
                _STRIP_HEIGHT + 0.08,
                facecolor="none",
                edgecolor=_INK,
                linewidth=0.9,
            )
        )
        label = ROUTINE_NAMES[item.routine]
        caption_y = y + _STRIP_HEIGHT + 0.08
        ax.text(
            gap / 2,
            caption_y,
            label,
            ha="left",
            va="bottom",
            fontsize=9,
            fontweight="bold",
            color=_INK,
        )
        ax.text(
            CHART_DAYS - gap / 2,
            caption_y,
            _summary(item),
            ha="right",
            va="bottom",
            fontsize=8,
            color=_INK,
        )
    if not stats:
        ax.text(
            CHART_DAYS / 2,
            0.5,
            "No routines yet",
            ha="center",
            va="center",
            fontsize=9,
            color=_MUTED,
        )

    ax.set_xlim(0, CHART_DAYS)
    ax.set_ylim(-0.02, rows - 1 + _STRIP_HEIGHT + 0.4)
    ax.set_aspect("auto")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_yticks([])
    ax.set_xticks(
        [i + 0.5 for i in range(CHART_DAYS)], [_WEEKDAY_INITIALS[d.weekday()] for d in dates]
    )
    ax.tick_params(axis="x", length=0, labelsize=6.5, colors=_MUTED, pad=3)
    for d, tick in zip(dates, ax.get_xticklabels(), strict=True):
        if d.weekday() >= 5:
            tick.set_color(_INK)
            tick.set_fontweight("bold")
    # day and month under every Monday, and "today" under the last column
    under = ax.get_xaxis_transform()
    for col, d in enumerate(dates):
        if col == CHART_DAYS - 1:
            text, weight = "today", "bold"
        elif d.weekday() == 0 and col <= CHART_DAYS - 3:
            text, weight = f"{d.day} {_MONTHS[d.month - 1]}", "normal"
        else:
            continue
        ax.text(
            col + 0.5,
            -0.09,
            text,
            transform=under,
            ha="center",
            va="top",
            fontsize=6.5,
            color=_INK,
            fontweight=weight,
        )

    fig.legend(
        handles=[
            Patch(facecolor=_COLOURS[state], edgecolor="#cccccc", linewidth=0.4, label=name)
            for name, state in _LEGEND
        ],
        loc="lower center",
        ncols=len(_LEGEND),
        frameon=False,
        fontsize=7.5,
        handlelength=1.0,
        handleheight=1.0,
        columnspacing=1.4,
        bbox_to_anchor=(0.5, 0.01),
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, facecolor="white")
    return buffer.getvalue()
