"""The composition root's objects every handler shares: settings, clock, repository, dispatcher,
FAQ index, and the use cases (``bot/usecases.py``) through which every handler write goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from time import monotonic

from bot.dispatcher import Clock, Dispatcher, Elapsed, Sleep
from bot.faq import FaqIndex
from bot.repo import Repository
from bot.settings import Settings
from bot.usecases import UseCases


class Services:
    """The composition root's objects, reachable from every handler; storage opens in post_init."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        faq: Callable[[], FaqIndex],
        elapsed: Elapsed = monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.elapsed = elapsed
        self.sleep = sleep
        """How waits on ``elapsed`` are waited (the tests' virtual clock skips them)."""
        self._load_faq = faq
        self._faq: FaqIndex | None = None
        self._repo: Repository | None = None
        self._dispatcher: Dispatcher | None = None
        self._actions: UseCases | None = None

    async def open(self) -> None:
        """Open (and migrate) the database, then build the FAQ index; called from PTB's
        post_init, so a token Telegram rejects or a database it must refuse stops the bot
        before the second of CPU that training the FAQ model takes."""
        self._repo = await Repository.open(self.settings.database_path)
        self._dispatcher = Dispatcher(
            self._repo,
            self.clock,
            self.settings.catch_up,
            max_in_flight=self.settings.max_in_flight,
            elapsed=self.elapsed,
            sleep=self.sleep,
        )
        self._actions = UseCases(self._repo, self._dispatcher, self.clock, self.settings.catch_up)
        self._faq = self._load_faq()

    async def close(self) -> None:
        """Close the database; called from PTB's post_shutdown."""
        if self._repo is not None:
            await self._repo.close()
            self._repo = None

    @property
    def repo(self) -> Repository:
        """The open repository."""
        assert self._repo is not None, "Services.open() has not run"
        return self._repo

    @property
    def faq(self) -> FaqIndex:
        """The FAQ index."""
        assert self._faq is not None, "Services.open() has not run"
        return self._faq

    @property
    def dispatcher(self) -> Dispatcher:
        """The running dispatcher."""
        assert self._dispatcher is not None, "Services.open() has not run"
        return self._dispatcher

    @property
    def actions(self) -> UseCases:
        """Every write a handler makes, one named method each."""
        assert self._actions is not None, "Services.open() has not run"
        return self._actions

    def now(self) -> datetime:
        """The current instant from the injected clock."""
        return self.clock()
