"""Shared fixtures: PTB's timedelta mode, the Bot API stand-in, and a virtual clock.

The bot is imported inside the fixtures that need it: pytest-xdist's controlling process loads
this file too, and its seconds of imports would only delay starting the test processes.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# Keep compiled and assertion-rewritten modules between runs even where PYTHONDONTWRITEBYTECODE
# is set (this VM sets it): each test process otherwise compiles the bot and re-rewrites the
# test modules and hypothesis again, about 2 s of CPU per process.
sys.dont_write_bytecode = False

from bot.clock import VirtualClock  # noqa: E402 (after the line above, so it is cached too)

if TYPE_CHECKING:
    from tests.botapi_http import FakeBotApiServer


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB ≥22.2 warns on int durations unless this is set; tests turn warnings into errors."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="session")
def _warm_tables() -> None:
    """Build the zone tables and train the FAQ model once per test process, before any test
    waits for the bot (``tests/botproc.py``'s ``warm``).

    Then everything alive so far (imports, tables, model: millions of objects that live as long
    as the process) leaves the garbage collector's view: each full collection walked them all
    again, 0.15 s apiece, about a second of CPU per test process.
    """
    from tests.botproc import warm

    warm()
    gc.freeze()


@pytest.fixture
async def server(_warm_tables: None, clock: VirtualClock) -> AsyncIterator[FakeBotApiServer]:
    """The Bot API stand-in, serving HTTP on 127.0.0.1, on the test's virtual clock."""
    from tests.harness import start_server

    srv = await start_server(clock)
    yield srv
    await srv.stop()


@pytest.fixture
def clock() -> VirtualClock:
    """Real time plus a test-controlled offset; the bot's rate-limit waits skip time."""
    return VirtualClock(skip_waits=True)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A fresh database path."""
    return tmp_path / "facenudge.db"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start a bot first: pytest-xdist shares the list out in order, so the
    thousands of short domain tests come last and fill the gaps, and no process is left
    finishing a long test alone at the end."""
    items.sort(key=lambda item: "server" not in getattr(item, "fixturenames", ()))
