"""/set, /on and /off as people type them: several words, "noon", "7pm", "and", "all"."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from schedules.parsing import MAX_TIMES
from schedules.routines import Routine
from tests.botapi_http import FakeBotApiServer
from tests.harness import USER, VirtualClock, onboarded

DAY = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


async def test_set_takes_multi_word_routines_and_forgiving_times(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, DAY, "UTC") as chat:
        repo = chat.bot.services.repo

        async def times_of(routine: Routine) -> tuple[time, ...]:
            return {e.routine: e.times for e in await repo.get_plan(USER)}[routine]

        await chat.say("/set face yoga 8:00", expect="Facial yoga set to 08:00.", only=True)
        assert await times_of(Routine.YOGA) == (time(8),)
        await chat.say("/set vitamin d 9:15", expect="Calcium + vitamin D set to 09:15.", only=True)
        await chat.say(
            "/set moisturize 8:00 and 21:30", expect="Moisturizing set to 08:00, 21:30", only=True
        )
        await chat.say(
            "/set yoga noon, 7pm, 7.30pm",
            expect="Facial yoga set to 12:00, 19:00, 19:30",
            only=True,
        )
        await chat.say(
            "/set calcium midnight 19h", expect="Calcium + vitamin D set to 00:00, 19:00", only=True
        )
        assert await times_of(Routine.SUPPLEMENTS) == (time(0), time(19))


async def test_refused_times_say_exactly_what_is_wrong_and_change_nothing(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, DAY, "UTC") as chat:
        repo = chat.bot.services.repo
        plan = await repo.get_plan(USER)

        ten = " ".join(f"{h}:00" for h in range(8, 18))
        too_many = await chat.say(
            f"/set yoga {ten}", expect=f"at most {MAX_TIMES} times a day", only=True
        )
        assert "isn't a time" not in too_many
        assert "Nothing was changed" in too_many
        bad = await chat.say(
            "/set face yoga 8:00 later", expect="“later” isn't a time I understand", only=True
        )
        assert "Nothing was changed" in bad
        await chat.say(
            "/set banana split 8:00", expect="don't know a routine called “banana split”", only=True
        )
        await chat.say("/set face yoga", expect="To set times", only=True)
        await chat.say("/set 8:00", expect="To set times", only=True)
        assert await repo.get_plan(USER) == plan


async def test_on_and_off_all_switch_every_routine(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    async with onboarded(server, clock, db, DAY, "UTC") as chat:
        repo = chat.bot.services.repo

        await chat.say("/off all", expect="All your routines are off", only=True)
        assert [e.enabled for e in await repo.get_plan(USER)] == [False] * len(Routine)
        plan = await chat.say("/plan", expect="Your plan", only=True)
        assert plan.count("— off") == len(Routine)

        await chat.say("/on vitamin d", expect="Calcium + vitamin D is on.", only=True)
        await chat.say("/on ALL", expect="All your routines are on", only=True)
        entries = await repo.get_plan(USER)
        assert all(e.enabled and e.next_due is not None for e in entries)
        await chat.say("/off", expect="/off all", only=True)
        refused = await chat.say(
            "/off banana", expect="don't know a routine called “banana”", only=True
        )
        assert "supplements or all" in refused
        assert all(e.enabled for e in await repo.get_plan(USER))
