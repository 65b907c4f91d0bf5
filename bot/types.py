"""The concrete PTB generic types this bot uses, named once."""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

Context: TypeAlias = CallbackContext[ExtBot[str], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
App: TypeAlias = Application[
    ExtBot[str], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]
