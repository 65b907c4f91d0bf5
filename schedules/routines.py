"""The three daily routines the article recommends, with their default times.

Everything else in the project refers to a routine by this enum; its value is the
stable name stored in the database and used in commands and callback data.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum


class Routine(StrEnum):
    """A routine the bot nudges for; the value is its command name."""

    YOGA = "yoga"
    MOISTURIZE = "moisturize"
    SUPPLEMENTS = "supplements"


DEFAULT_TIMES: dict[Routine, tuple[time, ...]] = {
    Routine.YOGA: (time(8, 0),),
    Routine.SUPPLEMENTS: (time(9, 0),),
    Routine.MOISTURIZE: (time(21, 0),),
}
