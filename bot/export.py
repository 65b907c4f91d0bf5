"""The /export CSV: every nudge, in the user's zone, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime, tzinfo

from bot.repo import Nudge

HEADER = (
    "routine",
    "date",
    "scheduled",
    "due",
    "zone",
    "sent",
    "delivery",
    "outcome",
    "answered",
    "note",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _local(instant: datetime | None, tz: tzinfo) -> str:
    return instant.astimezone(tz).isoformat(timespec="minutes") if instant else ""


def _cell(text: str | None) -> str:
    """Neutralise text a spreadsheet would run as a formula."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def nudges_csv(nudges: Iterable[Nudge], zone: str, tz: tzinfo) -> bytes:
    """UTF-8 with a BOM so Excel detects the encoding; one row per nudge."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for n in nudges:
        writer.writerow(
            (
                n.routine.value,
                n.local_date.isoformat(),
                n.local_time.strftime("%H:%M"),
                _local(n.due, tz),
                zone,
                _local(n.sent_at, tz),
                n.delivery,
                n.outcome.value,
                _local(n.answered_at, tz),
                _cell(n.note),
            )
        )
    return buffer.getvalue().encode("utf-8-sig")
