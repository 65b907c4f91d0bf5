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

from telegram import Update
from telegram.error import InvalidToken

from bot.logs import setup_logging
from bot.repo import BackupRefused, SchemaTooNew, backup_database, read_heartbeat
from bot.settings import Settings, SettingsError, load_settings

HEARTBEAT_MAX_AGE = timedelta(minutes=3)
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
        "health", help="exit 0 if the database is reachable and the heartbeat recent"
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
    from bot.app import build_application, run_webhook

    token = settings.token()
    webhook = settings.webhook()
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


def _health(settings: Settings) -> int:
    try:
        beat = read_heartbeat(settings.database_path)
    except sqlite3.Error as error:
        print(f"unhealthy: database unreachable: {error}")  # noqa: T201
        return 1
    if beat is None:
        print("unhealthy: the dispatcher has not run yet")  # noqa: T201
        return 1
    age = datetime.now(UTC) - beat
    if age > HEARTBEAT_MAX_AGE:
        print(f"unhealthy: last dispatcher heartbeat {int(age.total_seconds())} s ago")  # noqa: T201
        return 1
    print(f"healthy: heartbeat {int(age.total_seconds())} s ago")  # noqa: T201
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
