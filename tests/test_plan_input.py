"""/set, /on and /off as people type them: several words, "noon", "7pm", "and", "all"."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from bot.fakeapi import FakeBotApi
from schedules.parsing import MAX_TIMES
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    USER,
    VirtualClock,
    onboarded,
    texts_to,
)

DAY = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


async def answer(api: FakeBotApi, text: str) -> str:
    """Send ``text`` and return the bot's one answer to it."""
    since = len(api.messages(USER))
    api.send_text(USER, text)
    await api.wait_for(lambda: len(api.messages(USER)) > since, what=f"an answer to {text!r}")
    await api.wait_until_idle()
    answers = texts_to(api, USER)[since:]
    assert len(answers) == 1, answers
    return answers[0]


async def test_set_takes_multi_word_routines_and_forgiving_times(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, DAY, "UTC") as chat:
        api, bot = chat.api, chat.bot
        repo = bot.services.repo

        async def times_of(routine: Routine) -> tuple[time, ...]:
            return {e.routine: e.times for e in await repo.get_plan(USER)}[routine]

        assert "Facial yoga set to 08:00." in await answer(api, "/set face yoga 8:00")
        assert await times_of(Routine.YOGA) == (time(8),)
        assert "Calcium + vitamin D set to 09:15." in await answer(api, "/set vitamin d 9:15")
        assert "Moisturizing set to 08:00, 21:30" in await answer(
            api, "/set moisturize 8:00 and 21:30"
        )
        assert "Facial yoga set to 12:00, 19:00, 19:30" in await answer(
            api, "/set yoga noon, 7pm, 7.30pm"
        )
        assert "Calcium + vitamin D set to 00:00, 19:00" in await answer(
            api, "/set calcium midnight 19h"
        )
        assert await times_of(Routine.SUPPLEMENTS) == (time(0), time(19))


async def test_refused_times_say_exactly_what_is_wrong_and_change_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, DAY, "UTC") as chat:
        api, bot = chat.api, chat.bot
        repo = bot.services.repo
        plan = await repo.get_plan(USER)

        ten = " ".join(f"{h}:00" for h in range(8, 18))
        too_many = await answer(api, f"/set yoga {ten}")
        assert f"at most {MAX_TIMES} times a day" in too_many
        assert "isn't a time" not in too_many
        assert "Nothing was changed" in too_many
        bad = await answer(api, "/set face yoga 8:00 later")
        assert "“later” isn't a time I understand" in bad
        assert "Nothing was changed" in bad
        assert "don't know a routine called “banana split”" in await answer(
            api, "/set banana split 8:00"
        )
        assert "To set times" in await answer(api, "/set face yoga")
        assert "To set times" in await answer(api, "/set 8:00")
        assert await repo.get_plan(USER) == plan


async def test_on_and_off_all_switch_every_routine(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, DAY, "UTC") as chat:
        api, bot = chat.api, chat.bot
        repo = bot.services.repo

        assert "All your routines are off" in await answer(api, "/off all")
        assert [e.enabled for e in await repo.get_plan(USER)] == [False] * len(Routine)
        plan = await answer(api, "/plan")
        assert plan.count("— off") == len(Routine)

        assert "Calcium + vitamin D is on." in await answer(api, "/on vitamin d")
        assert "All your routines are on" in await answer(api, "/on ALL")
        entries = await repo.get_plan(USER)
        assert all(e.enabled and e.next_due is not None for e in entries)
        assert "/off all" in await answer(api, "/off")
        refused = await answer(api, "/off banana")
        assert "don't know a routine called “banana”" in refused
        assert "supplements or all" in refused
        assert all(e.enabled for e in await repo.get_plan(USER))
