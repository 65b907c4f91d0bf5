"""The real bot in an OS process of its own, for the tests that ``kill -9`` it.

The process is forked from the test process rather than started as a fresh interpreter: it
inherits the imported bot, the trained FAQ model and the zone tables, so it polls within
milliseconds instead of after seconds of CPU. The child gets its own event loop, environment,
working directory and stderr, and leaves with ``os._exit``, so nothing of the test process
(pytest's exit hooks, its buffered output) runs twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from telegram import Update

from bot.app import build_application
from bot.dispatcher import Clock
from bot.logs import setup_logging
from bot.settings import load_settings


def serve(clock: Clock) -> int:
    """Long polling until SIGTERM, the way ``facenudge run`` does it, on the test's clock."""
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format, [settings.token()])
    app = build_application(settings, settings.token(), clock=clock)
    app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0, timeout=timedelta(seconds=1))
    return 0


def fork(main: Callable[[], int], env: Mapping[str, str], cwd: Path, stderr: BinaryIO) -> int:
    """Run ``main`` in a forked child; returns the child's pid (the child never returns)."""
    with warnings.catch_warnings():
        # Python ≥ 3.12 warns that a multi-threaded process forks; the parent's threads are
        # idle pool workers, and the child uses none of them
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _become_child(env, cwd, stderr)
        code = main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _become_child(env: Mapping[str, str], cwd: Path, stderr: BinaryIO) -> None:
    """Shed what the child inherited from the test process and would otherwise share."""
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(stderr.fileno(), 2)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    # a fresh interpreter's warning filters, not pytest's "error"
    warnings.resetwarnings()
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category)
    logging.getLogger().handlers.clear()  # pytest's capture handlers
    signal.set_wakeup_fd(-1)  # the parent's event loop's, if it set one
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    # the parent's loop shares its epoll instance with the parent: never touch it
    asyncio.set_event_loop(asyncio.new_event_loop())
