"""The operator's side: exit codes and messages of run, health and backup."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotApi
from bot.logs import setup_logging
from tests.botapi_http import FakeBotApiServer
from tests.harness import (
    TOKEN,
    USER,
    RunningBot,
    VirtualClock,
    facenudge,
    make_settings,
    onboard,
    run_until_it_exits,
)


@pytest.mark.parametrize(
    ("token", "reason"),
    [(None, "is not set"), ("", "is not set"), ("12345:short", "is malformed")],
)
def test_run_without_a_valid_token_exits_2_with_one_line(
    tmp_path: Path, token: str | None, reason: str
) -> None:
    env = {} if token is None else {"TELEGRAM_BOT_TOKEN": token}
    result = facenudge("run", cwd=tmp_path, **env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    if token:
        assert token not in result.stderr


def test_token_in_dotenv_is_read_and_never_echoed(tmp_path: Path) -> None:
    bad = "1234567:" + "x" * 10
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={bad}\n")
    result = facenudge("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "malformed" in result.stderr
    assert bad not in result.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = facenudge("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "chat", "health", "backup"):
        assert command in result.stdout


def test_health_fails_without_a_database(tmp_path: Path) -> None:
    result = facenudge("health", cwd=tmp_path, DATABASE_PATH=str(tmp_path / "none.db"))
    assert result.returncode == 1
    assert "database unreachable" in result.stdout


async def test_health_and_backup_of_a_running_bot(
    server: FakeBotApiServer, clock: VirtualClock, db: Path, tmp_path: Path
) -> None:
    async with RunningBot(make_settings(db, server.api_root), clock) as bot:
        await onboard(server.api)
        await bot.services.dispatcher.tick()
        healthy = facenudge("health", cwd=tmp_path, DATABASE_PATH=str(db))
        copy = tmp_path / "copy.db"
        backup = facenudge("backup", str(copy), cwd=tmp_path, DATABASE_PATH=str(db))
    assert healthy.returncode == 0, healthy.stdout
    assert backup.returncode == 0, backup.stderr
    with sqlite3.connect(copy) as con:
        assert con.execute("SELECT zone FROM users WHERE user_id = ?", (USER,)).fetchone() == (
            "Asia/Kathmandu",
        )
        assert con.execute("SELECT COUNT(*) FROM slots").fetchone() == (3,)


def test_health_reports_a_stale_heartbeat(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        stale = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
        con.execute("INSERT INTO meta VALUES ('heartbeat', ?)", (str(stale),))
    result = facenudge("health", cwd=tmp_path, DATABASE_PATH=str(db))
    assert result.returncode == 1
    assert "heartbeat" in result.stdout
    assert TOKEN not in result.stdout


async def test_json_logs_have_one_line_per_tick_and_never_the_token(
    server: FakeBotApiServer, clock: VirtualClock, db: Path
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging("INFO", "json", [TOKEN], stream=stream)
    try:
        async with RunningBot(make_settings(db, server.api_root), clock) as bot:
            await onboard(server.api)
            await bot.services.dispatcher.tick()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    ticks = [line for line in lines if line["event"] == "dispatch tick"]
    assert ticks
    assert {"due", "sent", "failed", "duration_ms", "time", "level"} <= ticks[-1].keys()
    assert TOKEN not in stream.getvalue()
    assert TOKEN.split(":")[1] not in stream.getvalue()


async def test_a_token_telegram_rejects_exits_2_without_showing_it(tmp_path: Path) -> None:
    api = FakeBotApi(expected_token="987654321:" + "B" * 35)
    result = await run_until_it_exits(api, tmp_path / "db.sqlite")
    assert result.returncode == 2
    # PTB logs its own bootstrap error first (redacted); our line is the last word
    assert result.stderr.splitlines()[-1] == (
        "facenudge: Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped?)"
    )
    assert TOKEN.split(":")[1] not in result.stderr + result.stdout
