"""Webhook mode end to end: ``facenudge run`` with WEBHOOK_* set, in its own process, on loopback.

PRODUCT.md promises that the listener serves the path of ``WEBHOOK_URL`` (a reverse proxy
passes ``https://host/tg`` through as ``POST /tg``) and that the secret registered with
``setWebhook`` guards it: a request without ``X-Telegram-Bot-Api-Secret-Token`` (or with a wrong
one) gets 403 and is ignored, and a request with it is handled like any update. Only a real
process proves the operator's path (settings, ``run_webhook``, SIGTERM) works, so the bot runs
``facenudge run``'s own entry point (``bot.cli.main``) in a process of its own, forked from the
test process (``tests/botproc.py``) so it need not import and train everything again, against
the Bot API stand-in, and the test plays Telegram's webhook sender over real HTTP. The console
script itself starting in a fresh interpreter is ``tests/test_cli.py``'s and
``tests/test_sandbox.py``'s to prove.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from bot.fakeapi import FakeBotApi
from tests.botapi_http import FakeBotApiServer
from tests.botproc import Child
from tests.harness import ROOT, TOKEN

SECRET = "s3cret-token_1-long-enough"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
GOOD = {HEADER: SECRET}
PRIVATE_WORDS = "zebra marmalade confession"
"""Text a user wrote: it must reach the bot and never its logs."""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _user(user_id: int) -> dict[str, object]:
    return {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": "en"}


def text_message(
    message_id: int, chat_id: int, user_id: int, text: str, chat_type: str = "private"
) -> dict[str, object]:
    """A text message as Telegram serialises it; commands carry their entity."""
    message: dict[str, object] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": chat_type, "first_name": "Ana", "title": "A chat"},
        "from": _user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return message


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    """The Update Telegram would POST when a user sends /start in a private chat."""
    return {"update_id": update_id, "message": text_message(1, user_id, user_id, "/start")}


@dataclass
class WebhookBot:
    """A bot process in webhook mode, the stand-in it talks to, and where Telegram would POST."""

    api: FakeBotApi
    url: str
    proc: Child

    async def post(
        self, client: httpx.AsyncClient, body: dict[str, object], headers: dict[str, str]
    ) -> httpx.Response:
        """POST an update to the registered URL, retrying while the server is still binding."""
        deadline = time.monotonic() + 15
        while True:
            try:
                return await client.post(self.url, json=body, headers=headers)
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    def rss_kib(self) -> int:
        """The process's resident memory, from /proc."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text(encoding="ascii")
        line = next(ln for ln in status.splitlines() if ln.startswith("VmRSS:"))
        return int(line.split()[1])

    async def settled_rss_kib(self, timeout: float = 15.0) -> int:
        """Resident memory once start-up work (the zone tables /start builds) has settled."""
        deadline = asyncio.get_running_loop().time() + timeout
        last = self.rss_kib()
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.5)
            now = self.rss_kib()
            if abs(now - last) < 256:
                return now
            last = now
        return last

    def log(self) -> str:
        return self.proc.stderr()


@asynccontextmanager
async def webhook_bot(tmp_path: Path, path: str = "/tg", **env: str) -> AsyncIterator[WebhookBot]:
    """``python -m bot run`` in webhook mode; stopped with SIGTERM, which must exit 0."""
    api = FakeBotApi(local_mode=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}{path}"
    async with FakeBotApiServer(api) as server:
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "LOG_"))},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": server.api_root,
            "DATABASE_PATH": str(tmp_path / "facenudge.db"),
            "WEBHOOK_URL": url,
            "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "WEBHOOK_SECRET": SECRET,
            "PTB_TIMEDELTA": "1",
            **env,
        }
        proc = Child(partial(main, ["run"]), environment, tmp_path)
        bot = WebhookBot(api, url, proc)
        try:
            hook = await api.wait_for_call("setWebhook", timeout=20)
            assert hook.ok
            yield bot
        finally:
            code = await proc.terminate() if proc.running() else proc.returncode
    errors = bot.log()
    assert code == 0, errors
    assert TOKEN not in errors
    assert SECRET not in errors
    assert "Traceback" not in errors


async def test_webhook_serves_the_registered_path_and_requires_the_secret(tmp_path: Path) -> None:
    async with webhook_bot(tmp_path, "/tg") as bot:
        api = bot.api
        assert (api.webhook_url, api.webhook_secret) == (bot.url, SECRET)
        assert "message" in (api.allowed_updates or [])

        async with httpx.AsyncClient(timeout=10) as client:
            missing = await bot.post(client, start_update(1, 1001), {})
            wrong = await client.post(
                bot.url, json=start_update(2, 1002), headers={HEADER: "not-" + SECRET}
            )
            root = bot.url.removesuffix("/tg") + "/"
            elsewhere = await client.post(root, json=start_update(3, 1004), headers=GOOD)
            good = await client.post(bot.url, json=start_update(4, 1003), headers=GOOD)
            slash = await client.post(bot.url + "/", json=start_update(5, 1005), headers=GOOD)
        statuses = (missing, wrong, elsewhere, good, slash)
        assert [r.status_code for r in statuses] == [403, 403, 404, 200, 200]

        welcome = await api.wait_for_call("sendMessage", chat_id=1003, timeout=10)
        assert welcome.text is not None
        assert "FaceNudge" in welcome.text
        await api.wait_for_call("sendMessage", chat_id=1005, timeout=10)
        await api.wait_until_idle(quiet=0.3, timeout=10)
        for refused in (1001, 1002, 1004):
            assert api.calls_to("sendMessage", chat_id=refused) == []


async def test_an_oversized_body_is_refused_before_it_is_read(tmp_path: Path) -> None:
    async with webhook_bot(tmp_path) as bot:
        async with httpx.AsyncClient(timeout=20) as client:
            assert (await bot.post(client, start_update(1, 2001), GOOD)).status_code == 200
            await bot.api.wait_for_call("sendMessage", chat_id=2001, timeout=10)
            await bot.api.wait_until_idle(quiet=0.3, timeout=10)
            before = await bot.settled_rss_kib()
            huge = {
                "update_id": 2,
                "message": text_message(2, 2002, 2002, "/start " + "x" * 5_000_000),
            }
            for headers in ({}, GOOD):
                try:
                    response = await client.post(bot.url, json=huge, headers=headers)
                except httpx.TransportError:
                    pass  # the server may close before the client has finished sending
                else:
                    assert response.status_code in (400, 413)
            after = bot.rss_kib()
            # the bot still answers afterwards
            assert (await client.post(bot.url, json=start_update(3, 2003), headers=GOOD)).is_success
        await bot.api.wait_for_call("sendMessage", chat_id=2003, timeout=10)
        assert bot.api.calls_to("sendMessage", chat_id=2002) == []
        assert after - before < 2_000, f"RSS grew by {after - before} KiB for a refused body"


async def test_business_channel_and_foreign_updates_are_ignored_and_text_never_logged(
    tmp_path: Path,
) -> None:
    owner, customer, group = 3001, 3999, -100_3001
    async with webhook_bot(tmp_path, LOG_LEVEL="DEBUG") as bot:
        api = bot.api
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await bot.post(client, start_update(1, owner), GOOD)).status_code == 200
            await api.wait_for_call("sendMessage", chat_id=owner, timeout=10)
            await api.wait_until_idle(quiet=0.3, timeout=10)
            sent_to_owner = len(api.calls_to("sendMessage", chat_id=owner))
            business = text_message(7, customer, owner, "/start")
            business["business_connection_id"] = "conn-1"
            post = text_message(9, group, owner, "/start", "channel")
            foreign = [
                # the owner's /start in a customer's chat, through a business connection
                {"update_id": 2, "business_message": business},
                {"update_id": 3, "business_message": text_message(8, customer, customer, "/today")},
                {"update_id": 4, "channel_post": post},
                # a private message whose sender is not the chat's user
                {"update_id": 5, "message": text_message(10, customer, owner, "/start")},
                {"update_id": 6, "message": text_message(11, owner, owner, PRIVATE_WORDS)},
            ]
            for update in foreign:
                assert (await client.post(bot.url, json=update, headers=GOOD)).status_code == 200
        # the private question (last) is answered in the owner's chat; nothing went elsewhere
        await api.wait_for(
            lambda: len(api.calls_to("sendMessage", chat_id=owner)) > sent_to_owner,
            10,
            what="a reply to the owner's question",
        )
        await api.wait_until_idle(quiet=0.3, timeout=10)
        assert api.calls_to("sendMessage", chat_id=customer) == []
        assert api.calls_to("sendMessage", chat_id=group) == []
    with closing(sqlite3.connect(tmp_path / "facenudge.db")) as db:
        chats = db.execute("SELECT user_id, chat_id FROM users ORDER BY user_id").fetchall()
    assert chats == [(owner, owner)]  # the owner's nudges still go to the owner
    log = bot.log()
    assert "ignored an update" in log  # DEBUG says what was dropped
    assert "Webhook" in log  # PTB's own debug lines are there, without their arguments
    assert PRIVATE_WORDS not in log
    assert "/today" not in log


@pytest.mark.parametrize(
    ("secret", "url"),
    [
        ("a", "https://example.org/tg"),
        ("x" * 257, "https://example.org/tg"),
        ("with space-but-long-enough", "https://example.org/tg"),
        ("ok-secret-long-enough", "example.org/tg"),
        ("ok-secret-long-enough", "https://example.org/tg?x=(1)"),
    ],
)
def test_a_bad_webhook_setting_exits_2_with_one_line(tmp_path: Path, secret: str, url: str) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "TELEGRAM_"))},
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": "http://127.0.0.1:9",  # never reached
        "WEBHOOK_URL": url,
        "WEBHOOK_SECRET": secret,
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "WEBHOOK_" in result.stderr
    assert "Traceback" not in result.stderr
    if len(secret) > 3:
        assert secret not in result.stderr
