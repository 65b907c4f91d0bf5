"""``preload`` pauses the garbage collector while it builds the place tables, and only then.

A collector left off would let a long-running bot's reference cycles pile up unnoticed, and one
switched on behind a caller's back would undo what that caller asked for.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from schedules.zones import Exact, preload, resolve_place

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """Whatever a test does to the collector, the next test finds it as this one did."""
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_restored")
def test_preload_and_lookups_leave_the_collector_on() -> None:
    gc.enable()
    preload()
    assert resolve_place("Kathmandu", NOW) == Exact("Asia/Kathmandu", "Kathmandu, Nepal")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_preload_leaves_a_collector_the_caller_turned_off_off() -> None:
    gc.disable()
    preload()
    assert resolve_place("Berlin", NOW) == Exact("Europe/Berlin", "Berlin, Germany")
    assert not gc.isenabled()
