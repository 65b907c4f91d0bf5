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
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from telegram import Update

from bot.app import build_application
from bot.dispatcher import Clock
from bot.faq import FaqIndex
from bot.logs import setup_logging
from bot.settings import load_settings
from schedules.zones import preload


def warm() -> None:
    """Build the zone tables and train the FAQ model in this process, once (both are cached).

    Seconds of CPU the bot otherwise spends on first use: inside a test that eats into its waits
    for the bot's answers, and a child forked afterwards inherits them.
    """
    preload()
    FaqIndex.load()


def serve(clock: Clock) -> int:
    """Long polling until SIGTERM, the way ``facenudge run`` does it, on the test's clock."""
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format, [settings.token()])
    app = build_application(settings, settings.token(), clock=clock)
    app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0, timeout=timedelta(seconds=1))
    return 0


class Child:
    """A forked child running ``main``: its pid, its exit code once it ended, its stderr."""

    def __init__(self, main: Callable[[], int], env: Mapping[str, str], cwd: Path) -> None:
        warm()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed when the child ends)
        self.pid = fork(main, env, cwd, self._stderr)
        self.returncode: int | None = None
        self._err = ""

    def running(self) -> bool:
        """Whether the process has not ended yet (collecting its exit code if it has)."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._ended(status)
        return self.returncode is None

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs."""
        os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self._ended(status)

    async def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, then wait for the exit code; killed, and the test fails, after ``timeout``.

        The wait polls rather than blocks: the stand-in lives on this event loop and must keep
        answering the bot's last calls (PTB confirms the update offset on its way out).
        """
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.running():
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"the bot did not stop within {timeout} s of SIGTERM")
            await asyncio.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def stderr(self) -> str:
        """Everything the process wrote to stderr so far."""
        if self._stderr.closed:
            return self._err
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", errors="replace")

    def _ended(self, status: int) -> None:
        """Keep the exit code and what the child wrote; the file goes."""
        self.returncode = os.waitstatus_to_exitcode(status)
        self._err = self.stderr()
        self._stderr.close()


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
