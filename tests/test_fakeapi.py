"""Tests of the Bot API stand-in, driven by a tiny real PTB Application over HTTP and in-process."""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.fakeapi import FakeBotApi, InProcessRequest
from tests.botapi_http import FakeBotApiServer

TOKEN = "123456:TEST"
USER = 1001


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB warns about int time periods unless PTB_TIMEDELTA is set, and warnings are errors."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def api() -> FakeBotApi:
    """A fresh stand-in per test."""
    return FakeBotApi()


@pytest.fixture
async def server(api: FakeBotApi) -> AsyncIterator[FakeBotApiServer]:
    """The stand-in served on a free loopback port."""
    async with FakeBotApiServer(api) as srv:
        yield srv


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text with a button under it."""
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done:1")]])
    await update.effective_message.reply_text(
        update.effective_message.text or "", reply_markup=keyboard, do_quote=True
    )


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet on /start."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("hello")


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the press and edit the message."""
    query = update.callback_query
    assert query is not None
    await query.answer("noted")
    await query.edit_message_text(f"pressed {query.data}")


async def _member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record block/unblock transitions."""
    assert update.my_chat_member is not None
    context.bot_data.setdefault("member", []).append(update.my_chat_member.new_chat_member.status)


def _app(builder: ApplicationBuilder) -> Application:  # type: ignore[type-arg]
    """Build the tiny bot under test."""
    app = builder.build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(ChatMemberHandler(_member, ChatMemberHandler.MY_CHAT_MEMBER))
    return app


def _http_app(server: FakeBotApiServer) -> Application:  # type: ignore[type-arg]
    """The bot talking HTTP to the stand-in."""
    return _app(ApplicationBuilder().token(TOKEN).base_url(server.base_url))


def _inprocess_app(api: FakeBotApi) -> Application:  # type: ignore[type-arg]
    """The bot calling the stand-in directly."""
    builder = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(InProcessRequest(api))
        .get_updates_request(InProcessRequest(api))
    )
    return _app(builder)


@asynccontextmanager
async def _polling(app: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the app with long polling for the duration of the block."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0,
            timeout=dtm.timedelta(seconds=1),
            allowed_updates=Update.ALL_TYPES,
        )
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_text_round_trip_and_button_over_http(
    api: FakeBotApi, server: FakeBotApiServer
) -> None:
    async with _polling(_http_app(server)):
        mid = api.send_text(USER, "hi there")
        call = await api.wait_for_call("sendMessage", chat_id=USER)
        assert call.ok
        assert call.text == "hi there"
        msg = api.last_message(USER)
        assert msg.text == "hi there"
        assert msg.message_id == mid + 1  # ids shared between user and bot in one chat
        assert msg.reply_to == mid
        assert msg.button_labels == ["Done"]

        mark = api.mark()
        query_id = api.press(USER, msg.message_id, msg.callback_data_for("Done"))
        await api.wait_for_call("answerCallbackQuery", after=mark)
        await api.wait_for_call("editMessageText", chat_id=USER, after=mark)
        assert api.callback_answers[query_id]["text"] == "noted"
        assert api.message(USER, msg.message_id).text == "pressed done:1"
        assert api.message(USER, msg.message_id).edits == 1
        assert api.message(USER, msg.message_id).buttons == []  # no reply_markup → removed
        await api.wait_updates_consumed()
    assert TOKEN in api.tokens_seen
    assert api.calls[0].method == "getMe"
    assert any(c.method == "deleteWebhook" for c in api.calls)


async def test_command_entity_lets_command_handler_fire(
    api: FakeBotApi, server: FakeBotApiServer
) -> None:
    async with _polling(_http_app(server)):
        api.send_command(USER, "start")
        await api.wait_for_call("sendMessage", chat_id=USER)
    assert api.last_message(USER).text == "hello"


async def test_errors_map_to_ptb_exceptions(api: FakeBotApi, server: FakeBotApiServer) -> None:
    app = _http_app(server)
    async with app:
        api.fail_next("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter) as retry:
            await app.bot.send_message(USER, "x")
        assert retry.value.retry_after == dtm.timedelta(seconds=3)

        api.fail_next("sendMessage", 403, chat_id=USER)
        with pytest.raises(Forbidden, match="blocked"):
            await app.bot.send_message(USER, "x")

        api.fail_next("sendMessage", 502)
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await app.bot.send_message(USER, "x")

        api.fail_next("sendMessage", 400, description="Bad Request: chat not found")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(USER, "x")

        sent = await app.bot.send_message(USER, "finally")
        assert sent.text == "finally"
    statuses = [c.status for c in api.calls_to("sendmessage")]
    assert statuses == [429, 403, 502, 400, 200]


async def test_fault_for_one_chat_leaves_others_alone(api: FakeBotApi) -> None:
    api.fail_next("sendMessage", 403, chat_id=2)
    status, _ = await api.handle("sendMessage", {"chat_id": "1", "text": "a"})
    assert status == 200
    status, body = await api.handle("SENDMESSAGE", {"chat_id": "2", "text": "b"})
    assert (status, body["error_code"]) == (403, 403)


async def test_send_document_bytes_arrive_intact(api: FakeBotApi, server: FakeBotApiServer) -> None:
    payload = bytes(range(256)) * 40
    app = _http_app(server)
    async with app:
        sent = await app.bot.send_document(
            USER, document=payload, filename="week.csv", caption="your week"
        )
        assert sent.document is not None
        assert sent.document.file_name == "week.csv"
        photo = await app.bot.send_photo(USER, photo=b"\x89PNG fake", caption="chart")
        assert photo.photo[-1].file_size == len(b"\x89PNG fake")
    doc = api.messages(USER)[0]
    assert doc.document is not None
    assert doc.document.data == payload
    assert doc.document.filename == "week.csv"
    assert doc.caption == "your week"
    pic = api.messages(USER)[1]
    assert pic.photo is not None
    assert pic.photo.data == b"\x89PNG fake"


@pytest.mark.parametrize("transport", ["http", "inprocess"])
async def test_uploaded_file_can_be_downloaded_again(
    api: FakeBotApi, server: FakeBotApiServer, transport: str
) -> None:
    builder = ApplicationBuilder().token(TOKEN)
    if transport == "http":
        builder = builder.base_url(server.base_url).base_file_url(server.base_file_url)
    else:
        builder = builder.request(InProcessRequest(api))
    app = builder.build()
    async with app:
        sent = await app.bot.send_document(USER, document=b"a,b\n1,2\n", filename="x.csv")
        assert sent.document is not None
        tg_file = await app.bot.get_file(sent.document.file_id)
        assert bytes(await tg_file.download_as_bytearray()) == b"a,b\n1,2\n"
        again = await app.bot.send_document(USER + 1, document=sent.document.file_id)
        assert again.document is not None
        assert again.document.file_id == sent.document.file_id


async def test_enforce_limits_rejects_second_message_to_same_chat(
    api: FakeBotApi, server: FakeBotApiServer
) -> None:
    api.enforce_limits(global_per_second=3, per_chat_per_second=1)
    app = _http_app(server)
    async with app:
        await app.bot.send_message(USER, "one")
        with pytest.raises(RetryAfter) as retry:
            await app.bot.send_message(USER, "two")
        assert retry.value.retry_after == dtm.timedelta(seconds=1)
        await app.bot.send_message(USER + 1, "other chat is fine")
        await app.bot.send_message(USER + 2, "third")
        with pytest.raises(RetryAfter):
            await app.bot.send_message(USER + 3, "global window full")
    assert api.rejected_by_limits == 2
    assert [c.status for c in api.calls_to("sendMessage")] == [200, 429, 200, 200, 429]


async def test_sliding_window_frees_up_after_one_second() -> None:
    now = [100.0]
    api = FakeBotApi(clock=lambda: now[0])
    api.enforce_limits()
    assert (await api.handle("sendMessage", {"chat_id": 5, "text": "a"}))[0] == 200
    now[0] += 0.9
    assert (await api.handle("sendMessage", {"chat_id": 5, "text": "b"}))[0] == 429
    now[0] += 0.2
    assert (await api.handle("sendMessage", {"chat_id": 5, "text": "c"}))[0] == 200


async def test_in_process_transport_needs_no_socket(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    async with _polling(_inprocess_app(api)) as app:
        api.send_text(USER, "offline")
        await api.wait_for_call("sendMessage", chat_id=USER)
        msg = api.last_message(USER)
        mark = api.mark()
        api.press(USER, msg.message_id, "done:1")
        await api.wait_for_call("editMessageText", after=mark)

        api.fail_next("sendMessage", 429, retry_after=2)
        with pytest.raises(RetryAfter):
            await app.bot.send_message(USER, "x")
    assert api.last_message(USER).text == "pressed done:1"
    assert TOKEN in api.tokens_seen


async def test_block_gives_forbidden_and_my_chat_member(api: FakeBotApi) -> None:
    async with _polling(_inprocess_app(api)) as app:
        api.block(USER)
        await api.wait_for(lambda: app.bot_data.get("member") == ["kicked"])
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await app.bot.send_message(USER, "nudge")
        api.unblock(USER)
        await api.wait_for(lambda: app.bot_data.get("member") == ["kicked", "member"])
        await app.bot.send_message(USER, "welcome back")


async def test_slow_response_times_out_in_process(api: FakeBotApi) -> None:
    api.set_delay("sendMessage", 1.0)
    request = InProcessRequest(api, read_timeout=0.05)
    app = ApplicationBuilder().token(TOKEN).request(request).build()
    async with app:
        with pytest.raises(TimedOut):
            await app.bot.send_message(USER, "slow")
    # The delay comes after the work, so the message landed although the bot saw a timeout.
    assert api.last_message(USER).text == "slow"
    assert api.calls_to("sendMessage")[0].status == 499


async def test_long_poll_semantics(api: FakeBotApi) -> None:
    status, body = await api.handle("getUpdates", {"timeout": "0"})
    assert (status, body["result"]) == (200, [])
    api.send_text(USER, "a")
    api.send_text(USER, "b")
    _, body = await api.handle("getUpdates", {"timeout": "5", "limit": "1"})
    updates = body["result"]
    assert isinstance(updates, list)
    assert len(updates) == 1
    first = updates[0]["update_id"]
    # Unconfirmed updates are delivered again, as Telegram does.
    _, again = await api.handle("getUpdates", {"timeout": "0"})
    assert isinstance(again["result"], list)
    assert [u["update_id"] for u in again["result"]] == [first, first + 1]
    await api.handle("getUpdates", {"offset": str(first + 2), "timeout": "0"})
    await api.wait_updates_consumed(timeout=0.1)

    waiter = asyncio.create_task(api.handle("getUpdates", {"timeout": "5"}))
    await asyncio.sleep(0.01)
    api.send_text(USER, "c")
    _, woke = await asyncio.wait_for(waiter, 1)
    assert isinstance(woke["result"], list)
    assert woke["result"][0]["message"]["text"] == "c"


async def test_allowed_updates_persist_and_drop_other_types(api: FakeBotApi) -> None:
    await api.handle("getUpdates", {"timeout": "0", "allowed_updates": '["message"]'})
    api.block(USER)
    api.send_text(USER, "hi")
    _, body = await api.handle("getUpdates", {"timeout": "0"})
    assert isinstance(body["result"], list)
    assert [list(u)[1] for u in body["result"]] == ["message"]
    assert len(api.dropped_updates) == 1


async def test_second_poller_conflicts_with_first(api: FakeBotApi) -> None:
    first = asyncio.create_task(api.handle("getUpdates", {"timeout": "5"}))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(api.handle("getUpdates", {"timeout": "0"}))
    status, body = await asyncio.wait_for(first, 1)
    assert status == 409
    assert "terminated by other getUpdates" in str(body["description"])
    assert (await second)[0] == 200


async def test_stop_does_not_hang_on_pending_long_poll(api: FakeBotApi) -> None:
    server = FakeBotApiServer(api)
    await server.start()
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(
            client.post(f"{server.base_url}{TOKEN}/getUpdates", data={"timeout": "30"})
        )
        await api.wait_for(lambda: api.long_polls_pending == 1)
        await asyncio.wait_for(server.stop(), 2)
        response = await asyncio.wait_for(poll, 2)
    assert response.json() == {"ok": True, "result": []}


async def test_http_edge_cases(api: FakeBotApi, server: FakeBotApiServer) -> None:
    async with httpx.AsyncClient() as client:
        root = f"{server.base_url}{TOKEN}"
        unknown = await client.post(f"{root}/fooBar")
        assert unknown.status_code == 404
        assert unknown.json()["description"] == "Not Found: method not found"
        as_json = await client.post(f"{root}/sendmessage", json={"chat_id": 7, "text": "j"})
        assert as_json.json()["result"]["text"] == "j"
        as_get = await client.get(f"{root}/getMe")
        assert as_get.json()["result"]["is_bot"] is True
        bad_html = await client.post(
            f"{root}/sendMessage", data={"chat_id": "7", "text": "1 < 2", "parse_mode": "HTML"}
        )
        assert bad_html.status_code == 400
        bad_md = await client.post(
            f"{root}/sendMessage",
            data={"chat_id": "7", "text": "Done.", "parse_mode": "MarkdownV2"},
        )
        assert "reserved" in bad_md.json()["description"]
        good = await client.post(
            f"{root}/sendMessage",
            data={"chat_id": "7", "text": "<b>Bold</b> &amp; co", "parse_mode": "HTML"},
        )
        assert good.json()["result"]["text"] == "Bold & co"
    assert api.calls_to("fooBar")[0].status == 404


async def test_webhook_and_commands_are_recorded(api: FakeBotApi, server: FakeBotApiServer) -> None:
    app = _http_app(server)
    async with app:
        await app.bot.set_my_commands([("start", "Begin"), ("stop", "Pause nudges")])
        commands = await app.bot.get_my_commands()
        assert [c.command for c in commands] == ["start", "stop"]
        await app.bot.set_webhook("https://example.org/hook", secret_token="s3cret")
        assert (api.webhook_url, api.webhook_secret) == ("https://example.org/hook", "s3cret")
        info = await app.bot.get_webhook_info()
        assert info.url == "https://example.org/hook"
        await app.bot.delete_webhook()
        assert api.webhook_url == ""
        chat_action = await app.bot.send_chat_action(USER, "typing")
        assert chat_action is True


async def test_wait_for_times_out_with_recent_calls(api: FakeBotApi) -> None:
    await api.handle("sendMessage", {"chat_id": "3", "text": "only this"})
    with pytest.raises(TimeoutError, match="only this"):
        await api.wait_for_call("editMessageText", timeout=0.05)


async def test_every_injected_update_parses_in_ptb(api: FakeBotApi) -> None:
    await api.handle("sendMessage", {"chat_id": str(USER), "text": "nudge"})
    bot_msg = api.last_message(USER)
    mid = api.send_text(USER, "/settime 09:00", first_name="Bea", language_code="pt")
    api.send_text(USER, "a reply", reply_to=bot_msg.message_id)
    api.edit_text(USER, mid, "/settime 10:00")
    api.send_location(USER, 38.72, -9.14)
    api.send_sticker(USER)
    api.send_photo(USER, caption="selfie")
    api.send_group_text(-42, USER, "hello group")
    api.press(USER, bot_msg.message_id, "anything", strict=False)
    api.block(USER)
    _, body = await api.handle("getUpdates", {"timeout": "0", "allowed_updates": "[]"})
    raw = body["result"]
    assert isinstance(raw, list)
    updates = [Update.de_json(u, None) for u in raw]
    first = updates[0].message
    assert first is not None
    assert first.text == "/settime 09:00"
    assert first.from_user is not None
    assert (first.from_user.first_name, first.from_user.language_code) == ("Bea", "pt")
    assert first.entities[0].type == "bot_command"
    reply = updates[1].message
    assert reply is not None
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "nudge"
    assert updates[2].edited_message is not None
    assert updates[3].message is not None
    assert updates[3].message.location is not None
    assert updates[4].message is not None
    assert updates[4].message.sticker is not None
    assert updates[5].message is not None
    assert updates[5].message.photo
    group = updates[6].message
    assert group is not None
    assert (group.chat.type, group.chat.id) == ("group", -42)
    query = updates[7].callback_query
    assert query is not None
    assert query.message is not None
    assert query.message.message_id == bot_msg.message_id
    member = updates[8].my_chat_member
    assert member is not None
    assert (member.old_chat_member.status, member.new_chat_member.status) == ("member", "kicked")
    assert [u.update_id for u in updates] == list(range(1, 10))


async def test_delay_before_work_means_nothing_lands(api: FakeBotApi) -> None:
    api.set_delay("sendMessage", 1.0, before=True)
    app = (
        ApplicationBuilder().token(TOKEN).request(InProcessRequest(api, read_timeout=0.05)).build()
    )
    async with app:
        with pytest.raises(TimedOut):
            await app.bot.send_message(USER, "lost")
        api.set_delay("sendMessage", 0)
        await app.bot.send_message(USER, "kept")
    assert [m.text for m in api.messages(USER)] == ["kept"]


async def test_wait_until_idle_after_conversation(api: FakeBotApi) -> None:
    async with _polling(_inprocess_app(api)):
        api.send_text(USER, "one")
        api.send_text(USER, "two")
        await api.wait_until_idle()
        assert [m.text for m in api.messages(USER)] == ["one", "two"]


async def test_wait_until_idle_waits_for_a_watched_bot_that_is_still_at_work(
    api: FakeBotApi,
) -> None:
    """Silence on the wire is not idleness: a bot whose handler writes slowly to its database
    (nothing on the wire for longer than any quiet) sends afterwards, and a watched bot that
    says it is at work is waited for."""
    at_work = True

    async def slow_handler() -> None:
        nonlocal at_work
        await asyncio.sleep(0.3)  # a slow database write
        await api.handle("sendMessage", {"chat_id": USER, "text": "after the write"})
        at_work = False

    def busy() -> bool:
        return at_work

    api.watch(busy)
    handler = asyncio.create_task(slow_handler())
    await api.wait_until_idle()
    assert [m.text for m in api.messages(USER)] == ["after the write"]
    await handler
    api.unwatch(busy)
