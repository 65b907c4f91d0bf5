"""``facenudge chat``: the offline sandbox runs the real bot from a script of typed lines.

The sandbox is how people try the bot without a token, so these tests drive it exactly as a
shell pipe would: the issue's acceptance transcript, a clock jump to a nudge pressed Done, and
the console entry point in a clean process that must neither need a token nor touch the
configured database.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.clock import VirtualClock
from bot.sandbox import BANNER, parse_jump, run_sandbox
from bot.settings import Settings
from tests.harness import ROOT


def chat(lines: str) -> str:
    """Run a whole sandbox session on ``lines`` and return what it printed."""
    out = io.StringIO()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert run_sandbox(settings, io.StringIO(lines), out) == 0
    return out.getvalue()


def test_acceptance_transcript_welcome_help_and_calcium_answer() -> None:
    text = chat("/start\nUTC\n/help\nHow much calcium should I take?\n")
    assert text.startswith(BANNER)
    assert "bot> 👋 Hi, I'm FaceNudge" in text
    assert "not medical advice" in text
    assert "bot> ⌨ 📍 Share my location (type /location <lat> <lon>)" in text
    assert "Time zone set to UTC" in text
    for command in ("/today", "/plan", "/set", "/faq", "/export", "/forget", "/help"):
        assert f"bot> {command} — " in text
    answer = text.split("you> How much calcium should I take?", 1)[1]
    assert re.search(r"1,000\D{1,6}1,300 mg", answer), answer
    assert "<" not in answer  # HTML is rendered to plain text
    assert "⚠" not in text  # the stand-in rejected nothing


def test_a_piped_script_is_not_throttled_like_a_flood() -> None:
    text = chat("/help\n" * 15)
    assert text.count("bot> What I can do") == 15
    assert texts.slow_down() not in text


def test_clock_jump_shows_the_nudge_and_a_number_presses_done() -> None:
    text = chat("/start\nUTC\n/set yoga 08:00\n/clock 08:00\n1\n/clock\n")
    assert "Facial yoga set to 08:00" in text
    jumped = text.split("you> /clock 08:00", 1)[1]
    nudge = jumped.index("bot> 🧘 Facial yoga · 08:00")
    assert "bot> [1] ✅ Done  [2] ⏰ Snooze  [3] ⏭ Skip" in jumped[nudge:]
    assert re.search(r"clock> \w{3} \d{4}-\d\d-\d\d 08:00 UTC", jumped)
    pressed = jumped.split("you> 1", 1)[1]
    assert "you> (pressed ✅ Done)" in pressed
    assert "bot> (popup) " in pressed
    assert "bot> (edited) 🧘 Facial yoga · 08:00" in pressed
    assert "✅ done" in pressed
    assert "⚠" not in text


def test_sandbox_only_commands_explain_their_usage() -> None:
    text = chat("/start\n/clock tomorrow\n/location here\n7\n/reply\n")
    assert "usage: /clock" in text
    assert "usage: /location" in text
    assert "usage: /reply" in text
    assert "you> 7" in text  # no keyboard yet: a number is just a message


@pytest.mark.parametrize(
    ("arg", "zone", "expected"),
    [
        ("+2h", None, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)),
        ("+1d30m", None, datetime(2026, 3, 29, 10, 30, tzinfo=UTC)),
        ("08:00", None, datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
        ("11:00", "UTC", datetime(2026, 3, 28, 11, 0, tzinfo=UTC)),
        # Berlin switches to summer time that night: 08:00 local is 06:00 UTC.
        ("08:00", "Europe/Berlin", datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        ("25:00", None, None),
        ("+", None, None),
        ("soon", None, None),
    ],
)
def test_parse_jump(arg: str, zone: str | None, expected: datetime | None) -> None:
    now = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    assert parse_jump(arg, now, zone) == expected


def test_sandbox_clock_only_moves_forward() -> None:
    clock = VirtualClock()
    before = clock()
    clock.advance_to(datetime(2000, 1, 1, tzinfo=UTC))
    assert clock() >= before
    clock.advance_to(before + timedelta(hours=2))
    assert clock() >= before + timedelta(hours=2)


def test_console_entry_point_needs_no_token_and_leaves_the_database_alone(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_PATH"}
    }
    env.update(
        {"PYTHONPATH": str(ROOT), "DATABASE_PATH": str(tmp_path / "real.db"), "LOG_LEVEL": "INFO"}
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=b"/start\n",
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    stdout = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert "FaceNudge sandbox" in stdout
    assert "bot> 👋 Hi, I'm FaceNudge" in stdout
    assert not (tmp_path / "real.db").exists()
    assert not (tmp_path / "facenudge.db").exists()
