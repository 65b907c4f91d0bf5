"""A clock that can skip time, for the offline sandbox and the tests.

The real time plus an offset. ``monotonic`` moves with the offset, so the dispatcher sees
skipped time as time that passed; ``step_wall`` moves the wall clock alone, the way an NTP step
or a wrong system clock does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

ORIGIN = 100 * 365 * 86400.0
"""Added to ``monotonic``, so a clock set a year or decades back still reads above zero, as
``time.monotonic`` does: a rate limiter may take 0 to mean "long ago"."""


@dataclass
class VirtualClock:
    """Real time shifted by ``offset`` (time skipped) and ``skew`` (a wall clock gone wrong)."""

    offset: timedelta = field(default_factory=timedelta)
    skew: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        """The virtual now, tz-aware."""
        return datetime.now(UTC) + self.offset + self.skew

    def monotonic(self) -> float:
        """Seconds on a clock that skipped time moves but a wall-clock jump does not."""
        return ORIGIN + time.monotonic() + self.offset.total_seconds()

    def set(self, instant: datetime) -> None:
        """Make ``instant`` the virtual now, as if that much time had passed (or un-passed)."""
        self.offset = instant - datetime.now(UTC) - self.skew

    def advance_to(self, instant: datetime) -> None:
        """Skip forward to ``instant``; an instant in the past changes nothing."""
        self.offset += max(timedelta(0), instant - self())

    def step_wall(self, delta: timedelta) -> None:
        """Jump the wall clock by ``delta`` while no time passes."""
        self.skew += delta
