"""The ``facenudge`` command: run, chat, health and backup.

Settings problems end in one line on stderr and exit code 2, never a traceback, and the token
is never part of any output.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.logs import setup_logging
from bot.repo import BackupRefused, Liveness, SchemaTooNew, backup_database, read_liveness
from bot.settings import Settings, SettingsError, load_settings

HEARTBEAT_MAX_AGE = timedelta(minutes=3)
SILENCE_MAX = timedelta(minutes=5)
"""No successful Bot API call for this long (a revoked token, a dead network) is unhealthy."""
FAILING_MAX = timedelta(minutes=3)
"""Every send failing for this long is unhealthy."""
EXIT_CONFIG = 2

_log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facenudge",
        description="FaceNudge: daily nudges for facial yoga, moisturizing and supplements.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run", help="run the bot (long polling, or a webhook if WEBHOOK_URL is set)"
    )
    commands.add_parser("chat", help="offline sandbox: the same bot in your terminal, no token")
    commands.add_parser(
        "health",
        help="exit 0 if the database is reachable, the heartbeat recent and Telegram answering",
    )
    backup = commands.add_parser("backup", help="online, consistent copy of the database")
    backup.add_argument("path", type=Path, help="where to write the copy (created 0600)")
    backup.add_argument("--force", action="store_true", help="replace an existing file at PATH")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m bot``."""
    args = _parser().parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    try:
        settings = load_settings()
        command = args.command or "run"
        if command == "run":
            return _run(settings)
        if command == "chat":
            from bot.sandbox import run_sandbox

            return run_sandbox(settings, sys.stdin, sys.stdout)
        if command == "health":
            return _health(settings)
        return _backup(settings, args.path, force=args.force)
    except SettingsError as error:
        print(f"facenudge: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG


def _run(settings: Settings) -> int:
    token = settings.token()
    webhook = settings.webhook()
    # imported only once the settings are valid: the bot's imports and its FAQ model take
    # seconds, which a mistyped setting should not wait for (nor health, backup or --help)
    from telegram import Update
    from telegram.error import InvalidToken

    from bot.app import build_application, run_webhook

    secrets = [token] + ([webhook.secret] if webhook else [])
    setup_logging(settings.log_level, settings.log_format, secrets)
    app = build_application(settings, token)
    try:
        if webhook is None:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
        else:
            run_webhook(app, webhook)
    except SchemaTooNew as error:
        print(f"facenudge: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    except InvalidToken:
        print(  # noqa: T201
            "facenudge: Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped?)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except Exception:
        # through logging, whose filter redacts the token from the traceback
        _log.exception("the bot stopped on an unexpected error")
        return 1
    return 0


def health_problem(live: Liveness | None, now: datetime) -> str | None:
    """Why the running bot is not doing its job, or None when it is."""
    if live is None:
        return "the dispatcher has not run yet"
    age = int((now - live.beat).total_seconds())
    if now - live.beat > HEARTBEAT_MAX_AGE:
        return f"last dispatcher heartbeat {age} s ago"
    if not live.receiving:
        return "updates are not being received (polling or webhook stopped)"
    if live.api_ok_at is None or now - live.api_ok_at > SILENCE_MAX:
        return "no successful Telegram API call for over 5 minutes"
    if live.failing_since is not None and now - live.failing_since > FAILING_MAX:
        since = int((now - live.failing_since).total_seconds())
        return f"every nudge send has failed for {since} s"
    return None


def _health(settings: Settings) -> int:
    try:
        live = read_liveness(settings.database_path)
    except sqlite3.Error as error:
        print(f"unhealthy: database unreachable: {error}")  # noqa: T201
        return 1
    now = datetime.now(UTC)
    problem = health_problem(live, now)
    if problem is not None:
        print(f"unhealthy: {problem}")  # noqa: T201
        return 1
    assert live is not None
    print(f"healthy: heartbeat {int((now - live.beat).total_seconds())} s ago")  # noqa: T201
    return 0


def _backup(settings: Settings, target: Path, *, force: bool) -> int:
    try:
        backup_database(settings.database_path, target, force=force)
    except BackupRefused as error:
        print(f"facenudge: backup refused: {error}", file=sys.stderr)  # noqa: T201
        return 1
    except (sqlite3.Error, OSError) as error:
        print(f"facenudge: backup failed: {error}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"backed up {settings.database_path} to {target}")  # noqa: T201
    return 0


def run_cli() -> None:
    """Console-script wrapper that turns ``main``'s result into the exit code."""
    sys.exit(main())
