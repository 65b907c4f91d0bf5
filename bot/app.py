"""The composition root: builds the whole bot from settings, connecting nothing at import.

Handlers are added here in one documented order. Group -1 runs first and drops every update
that is not from a user's own chat (business, channel and other updates; see ``_from_own_chat``).
Within group 0 the first match wins: edited messages are ignored, commands in groups get a
pointer to a private chat, then the features, and the free-text catch-all (FAQ) comes last.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Any

from telegram import BotCommand, ChatMember, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    ChatMemberHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest
from tornado.httpserver import HTTPServer

from bot import texts
from bot.dispatcher import Clock, Elapsed, Sleep
from bot.faq import FaqIndex
from bot.handlers.common import PRIVATE, reply
from bot.handlers.conversation import Conversation, ignore, private_only
from bot.handlers.insight import Insight
from bot.handlers.nudges import Nudges
from bot.handlers.onboarding import Onboarding
from bot.handlers.plan import Plan
from bot.handlers.supplements import Supplements
from bot.handlers.yoga import Yoga
from bot.pacing import PriorityRateLimiter
from bot.sending import SAY_SORRY, after_failure
from bot.services import Services
from bot.settings import Settings, Webhook
from bot.types import App, Context
from bot.updates import Limits, Throttle, UserLanes
from bot.yoga import YogaCoach, coach_of
from schedules.lifecycle import Failure

_log = logging.getLogger(__name__)

MAX_WEBHOOK_BODY = 256 * 1024
"""Bytes a webhook request may carry: far above any real update, refused before it is read."""


def system_clock() -> datetime:
    """The real time, tz-aware."""
    return datetime.now(UTC)


def build_application(
    settings: Settings,
    token: str,
    *,
    clock: Clock = system_clock,
    elapsed: Elapsed = monotonic,
    sleep: Sleep = asyncio.sleep,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    update_processor: BaseUpdateProcessor | None = None,
) -> App:
    """Everything wired together; the database opens in post_init, closes in post_shutdown.

    ``update_processor`` replaces the per-user lanes and throttle (benchmarks' baselines).
    ``sleep`` is how the rate limiter, the yoga coach and the dispatcher's back-off wait: the
    tests pass one that skips virtual time, next to the ``elapsed`` clock they wait on.
    """
    services = Services(settings, clock, FaqIndex.load, elapsed, sleep)
    builder = (
        Application.builder()
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .rate_limiter(PriorityRateLimiter(settings.nudges_per_second, clock=elapsed, sleep=sleep))
        .concurrent_updates(
            update_processor or UserLanes(throttle=_throttle(settings), slow_down=_slow_down)
        )
        .post_init(_on_start(services))
        .post_stop(_on_stop(services))
        .post_shutdown(_on_shutdown(services))
    )
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    app: App = builder.build()  # type: ignore[assignment]

    onboarding = Onboarding(services)
    nudges = Nudges(services)
    app.add_handler(TypeHandler(Update, _drop_foreign), group=-1)
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, ignore))
    app.add_handler(MessageHandler(filters.COMMAND & ~PRIVATE, private_only))
    app.add_handler(ChatMemberHandler(_member_changed(services), ChatMemberHandler.MY_CHAT_MEMBER))
    coach = YogaCoach(services)
    features = (
        onboarding,
        Plan(services),
        nudges,
        Yoga(services, coach),
        Supplements(services),
        Insight(services),
    )
    for feature in features:
        app.add_handlers(feature.handlers())
    app.add_handlers(Conversation(services, nudges, onboarding).handlers())
    app.add_error_handler(_on_error(services))
    app.bot_data["services"] = services
    app.bot_data["yoga"] = coach
    coach.arm(app)
    return app


@asynccontextmanager
async def polling(
    app: Application[Any, Any, Any, Any, Any, Any], poll_timeout: float = 10.0
) -> AsyncIterator[None]:
    """Run an application with long polling inside the caller's event loop.

    Started and stopped in the order ``run_polling`` uses (post_init before polling, post_stop
    and post_shutdown after), for the sandbox and the tests, which need the loop themselves.
    """
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0,
        timeout=timedelta(seconds=poll_timeout),
        allowed_updates=Update.ALL_TYPES,
    )
    await app.start()
    try:
        yield
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def run_webhook(app: App, webhook: Webhook) -> None:
    """Serve Telegram's POSTs on the path of WEBHOOK_URL until SIGINT/SIGTERM.

    PTB listens on ``url_path``, not on the path of ``webhook_url``: without it every update to
    ``https://host/tg`` gets 404. PTB builds its tornado ``HTTPServer`` itself, so the body cap is
    set as that class's default (tornado's ``Configurable.configure``); a longer body is refused
    from its Content-Length (or as it streams in), before it is buffered and before the secret
    is checked.
    """
    HTTPServer.configure(None, max_body_size=MAX_WEBHOOK_BODY)
    app.run_webhook(
        listen=webhook.host,
        port=webhook.port,
        url_path=re.escape(webhook.path),  # PTB puts it into a route pattern
        webhook_url=webhook.url,
        secret_token=webhook.secret,
        allowed_updates=Update.ALL_TYPES,
    )


def services_of(app: App) -> Services:
    """The services an application was built with (for the sandbox, health and tests)."""
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    return services


def at_work(app: App) -> bool:
    """Whether the bot has something in hand: an update fetched and not yet handled or being
    handled, a dispatcher tick or wake under way or due now, a yoga refresh under way. The
    sandbox and the tests wait for exactly that, not for a silence long enough to cover a slow
    step."""
    return (
        not app.update_queue.empty()
        or app.update_processor.current_concurrent_updates > 0
        or services_of(app).dispatcher.busy
        or coach_of(app).busy
    )


def _on_start(services: Services) -> Callable[[App], Coroutine[Any, Any, None]]:
    async def post_init(app: App) -> None:
        await services.open()
        await app.bot.set_my_commands([BotCommand(name, desc) for name, desc in texts.COMMANDS])
        await services.dispatcher.start(app)
        _log.info("bot started", extra={"database": str(services.settings.database_path)})

    return post_init


def _on_stop(services: Services) -> Callable[[App], Coroutine[Any, Any, None]]:
    async def post_stop(_: App) -> None:
        services.dispatcher.stop()

    return post_stop


def _on_shutdown(services: Services) -> Callable[[App], Coroutine[Any, Any, None]]:
    async def post_shutdown(_: App) -> None:
        await services.close()
        _log.info("bot stopped")

    return post_shutdown


def _member_changed(services: Services) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    async def member_changed(update: Update, _: Context) -> None:
        """A user who blocks the bot gets no more nudges until they /start again."""
        change = update.my_chat_member
        if change is None or change.chat.type != "private":
            return
        if change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT):
            await services.actions.deactivate(change.from_user.id)

    return member_changed


def _from_own_chat(update: Update) -> bool:
    """Whether an update is one the bot answers: its sender acting in their own chat.

    Business messages pass ``filters.ChatType.PRIVATE`` with the customer's chat as
    ``effective_chat``: taking one for "the user's chat" would send the owner's nudges to a
    stranger. Group messages go on (commands there get a pointer to the private chat); channel
    posts, business and every other kind of update stop here.
    """
    message = update.message or update.edited_message
    if message is not None:
        if message.chat.type == ChatType.PRIVATE:
            return message.from_user is not None and message.from_user.id == message.chat.id
        return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else None
        return chat is not None and chat.type == ChatType.PRIVATE and chat.id == query.from_user.id
    return update.my_chat_member is not None


async def _drop_foreign(update: Update, _: Context) -> None:
    """Stop an update that is not from a user's own chat, quietly: one debug line, no reply."""
    if _from_own_chat(update):
        return
    kind = next((key for key in update.to_dict() if key != "update_id"), "unknown")
    _log.debug("ignored an update", extra={"update_id": update.update_id, "kind": kind})
    raise ApplicationHandlerStop


def _throttle(settings: Settings) -> Throttle:
    """Per-user throttle; /stats and /export get a fifth of its burst, a twentieth of its rate."""
    burst, rate = settings.user_burst, settings.user_per_second
    return Throttle(
        Limits(burst, rate, expensive_burst=max(2.0, burst / 5), expensive_per_second=rate / 20)
    )


async def _slow_down(update: Update) -> None:
    """The throttle's one notice a minute: an alert on a button press, else a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.slow_down())
    else:
        await reply(update, texts.slow_down())


def _on_error(services: Services) -> Callable[[object, Context], Coroutine[Any, Any, None]]:
    async def on_error(update: object, context: Context) -> None:
        """A handler's or job's error: a failed send follows the send policy (``bot.sending``),
        anything else is logged with its traceback; the user hears, without details, that
        something went wrong when the policy says so."""
        error = context.error
        asked = update if isinstance(update, Update) else None  # None: a job's error
        if isinstance(error, TelegramError):
            sender = asked.effective_user if asked is not None else None
            failure = await after_failure(
                services.repo,
                "reply" if asked is not None else "send",
                error,
                sender.id if sender is not None else None,
            )
        else:
            _log.error("unhandled error", exc_info=error)
            failure = Failure.BROKEN
        if asked is not None and asked.effective_message is not None and failure in SAY_SORRY:
            with suppress(TelegramError):  # a second failure would only repeat the first
                await reply(asked, texts.error_reply())

    return on_error
