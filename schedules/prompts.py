"""Short, varied nudge prompts, in the same voice as the FAQ.

The article gives targets (1,000–1,300 mg calcium, at least 500 IU vitamin D) and reasons
(moisturized skin keeps its elasticity), but names no facial-yoga moves and no foods. So the
prompts say what the article says as the article's, and offer moves and foods as the bot's own
suggestion, never the article's; the FAQ's "Which exercises?" and "Which foods?" answers say the
same, and tests keep the two in step. A prompt that mentions a time of day only goes out at that
time of day: without the local send time the prompt is time-neutral.

The text is chosen by date so a restart or a resend shows the same prompt for the same nudge,
and the facial-yoga move changes every day.
"""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

from schedules.routines import Routine

YOGA_MOVES: tuple[str, ...] = (
    "Jaw release: open wide, then close slowly with lips together, 10 times.",
    "Cheek lifter: smile with closed lips, press fingertips on the cheekbones and lift, hold 10 s.",
    "Brow smoother: fingertips on the glabella, gently spread outward while you relax, 5 times.",
    "Eye-socket press: ring fingers under the brows, lift lightly and blink slowly, 10 times.",
    "Jawline sculpt: tilt the head back, push the lower jaw forward, hold 5 s, 8 times.",
    "Fish face: suck in the cheeks, try to smile, hold 5 s, 8 times.",
    "Neck and chin lift: look up, kiss the ceiling, hold 5 s, 6 times.",
    "Puffer: fill the cheeks with air, move it left and right for 30 s.",
)
"""Common facial-yoga moves: the bot's own picks, since the article names none."""

FOOD_IDEAS: tuple[str, ...] = (
    "yogurt or a glass of milk",
    "tinned sardines or salmon with their soft bones",
    "calcium-set tofu",
    "kale or other leafy greens",
    "an egg or some oily fish for vitamin D",
    "a fortified cereal or plant milk",
)
"""Food ideas for calcium and vitamin D: the bot's own, since the article names no foods."""


class PartOfDay(StrEnum):
    """When a nudge goes out, in the user's own time."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


def part_of_day(at: time) -> PartOfDay:
    """Morning 04:00–11:59, afternoon 12:00–16:59, evening (and night) otherwise."""
    if 4 <= at.hour < 12:
        return PartOfDay.MORNING
    if 12 <= at.hour < 17:
        return PartOfDay.AFTERNOON
    return PartOfDay.EVENING


_YOGA_LEAD: dict[PartOfDay | None, str] = {
    None: "Today's move",
    PartOfDay.MORNING: "This morning's move",
    PartOfDay.AFTERNOON: "This afternoon's move",
    PartOfDay.EVENING: "Tonight's move",
}

MOISTURIZE_PROMPTS: tuple[str, ...] = (
    "Time to moisturize: a thin layer on clean skin, pressed in with upward strokes.",
    "Moisturizer time: don't forget the skin under the eyes and along the jaw.",
    "Moisturizing check: face and neck, gentle upward strokes.",
    "Moisturize: the article's reason is that skin kept from drying out keeps its elasticity.",
)

_MOISTURIZE_TIMED: dict[PartOfDay, tuple[str, ...]] = {
    PartOfDay.MORNING: ("Morning moisturize: on clean skin, before the day gets going.",),
    PartOfDay.AFTERNOON: ("Afternoon moisturize: a quick top-up on clean skin.",),
    PartOfDay.EVENING: ("Evening moisturize: on clean skin before bed, face and neck.",),
}

SUPPLEMENT_PROMPTS: tuple[str, ...] = (
    "Calcium + vitamin D: the article's daily aim is 1,000–1,300 mg calcium and at least 500 IU "
    "vitamin D, through your diet.",
    "Supplements reminder: calcium (1,000–1,300 mg a day in all) and vitamin D (at least 500 IU), "
    "the article's targets.",
)

_SUPPLEMENT_TIMED: dict[PartOfDay, str] = {
    PartOfDay.MORNING: "with breakfast",
    PartOfDay.AFTERNOON: "with lunch",
    PartOfDay.EVENING: "with dinner",
}


def _pick(choices: tuple[str, ...], day: date) -> str:
    return choices[day.toordinal() % len(choices)]


def prompt_for(routine: Routine, day: date, at: time | None = None) -> str:
    """The prompt for a nudge planned on ``day`` at local time ``at``.

    Consecutive days never repeat it. Without ``at`` no time of day is mentioned, so a prompt
    never says "evening" at 08:00; callers that know the local send time should pass it.
    """
    part = None if at is None else part_of_day(at)
    if routine is Routine.YOGA:
        lead = _YOGA_LEAD[part]
        return f"{lead} (my pick; the article names no moves): {_pick(YOGA_MOVES, day)}"
    if routine is Routine.MOISTURIZE:
        timed = () if part is None else _MOISTURIZE_TIMED[part]
        return _pick(MOISTURIZE_PROMPTS + timed, day)
    base = _pick(SUPPLEMENT_PROMPTS, day)
    food = _pick(FOOD_IDEAS, day)
    when = "" if part is None else f" {_SUPPLEMENT_TIMED[part]}"
    return f"{base} My own food idea{when}, not the article's: {food}."
