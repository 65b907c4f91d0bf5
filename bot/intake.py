"""Calcium and vitamin D per day from what is stored: done supplement nudges, the dose, food.

The arithmetic is the domain's (``schedules.supplements``); this module only gathers the rows
it needs, for the supplement nudge's "what is left today" line and for /stats.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta

from bot import texts
from bot.repo import Repository
from schedules.nudges import Outcome
from schedules.prompts import prompt_for
from schedules.routines import Routine
from schedules.supplements import Intake, daily_intake, dose_on, left_for_food

STATS_DAYS = 7
"""Days /stats lists: a week fits the chart's caption."""


async def intake_by_day(repo: Repository, user_id: int, days: list[date]) -> dict[date, Intake]:
    """Each of ``days``' recorded calcium and vitamin D."""
    since = min(days)
    done = Counter(
        n.local_date
        for n in await repo.history(user_id, since)
        if n.routine is Routine.SUPPLEMENTS and n.outcome is Outcome.DONE
    )
    food = await repo.food_since(user_id, since)
    return daily_intake(days, done, await repo.doses(user_id), food)


async def nudge_prompt(
    repo: Repository, user_id: int, routine: Routine, day: date, at: time
) -> str:
    """The nudge's prompt; a supplement nudge with a dose set also says what is left today."""
    prompt = prompt_for(routine, day, at)
    if routine is not Routine.SUPPLEMENTS:
        return prompt
    dose = dose_on(await repo.doses(user_id), day)
    if dose is None:
        return prompt
    so_far = (await intake_by_day(repo, user_id, [day]))[day]
    return f"{prompt}\n{texts.supplement_left(left_for_food(so_far, dose))}"


async def stats_section(repo: Repository, user_id: int, today: date) -> str:
    """/stats' per-day calcium and vitamin D, or nothing for someone who records neither."""
    window_start = today - timedelta(days=STATS_DAYS - 1)
    doses = await repo.doses(user_id)
    food = await repo.food_since(user_id, window_start)
    starts = [since for since, _ in doses] + [day for day, _ in food]
    if not starts:
        return ""
    first = max(window_start, min(starts))
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    totals = await intake_by_day(repo, user_id, days)
    return texts.intake_days([(day, totals[day]) for day in days])
