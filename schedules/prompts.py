"""Short, varied nudge prompts, so the daily message is worth reading.

The text is chosen by date so a restart or a resend shows the same prompt for the same nudge,
and the facial-yoga move changes every day.
"""

from __future__ import annotations

from datetime import date

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

MOISTURIZE_PROMPTS: tuple[str, ...] = (
    "Time to moisturize: a thin layer on clean skin, pressed in with upward strokes.",
    "Moisturizer time: don't forget the skin under the eyes and along the jaw.",
    "Evening moisturize: skin that stays hydrated keeps its elasticity.",
    "Moisturizing check: face and neck, gentle upward strokes.",
)

SUPPLEMENT_PROMPTS: tuple[str, ...] = (
    "Calcium + vitamin D: the article's daily aim is 1,000–1,300 mg calcium and at least 500 IU "
    "vitamin D, from food or supplements.",
    "Bone food: dairy, leafy greens or your supplement — aiming for 1,000–1,300 mg calcium and "
    "500+ IU vitamin D today.",
    "Supplements reminder: calcium (1,000–1,300 mg a day in total) and vitamin D "
    "(at least 500 IU).",
)

_PROMPTS: dict[Routine, tuple[str, ...]] = {
    Routine.YOGA: YOGA_MOVES,
    Routine.MOISTURIZE: MOISTURIZE_PROMPTS,
    Routine.SUPPLEMENTS: SUPPLEMENT_PROMPTS,
}


def prompt_for(routine: Routine, day: date) -> str:
    """Today's prompt for a routine; consecutive days never repeat it."""
    choices = _PROMPTS[routine]
    return choices[day.toordinal() % len(choices)]
