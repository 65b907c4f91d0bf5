"""Runs the real bot with a shifted clock, for the crash tests in a separate process."""

import os
from datetime import UTC, datetime, timedelta

from telegram import Update

from bot.app import build_application
from bot.logs import setup_logging
from bot.settings import load_settings

OFFSET = timedelta(seconds=float(os.environ["CLOCK_OFFSET_SECONDS"]))


def shifted_clock() -> datetime:
    return datetime.now(UTC) + OFFSET


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format, [settings.token()])
    app = build_application(settings, settings.token(), clock=shifted_clock)
    app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0, timeout=1)
