"""Webhook mode end to end: ``facenudge run`` with WEBHOOK_* set, in its own process, on loopback.

PRODUCT.md promises that the secret registered with ``setWebhook`` guards the endpoint: a
request without ``X-Telegram-Bot-Api-Secret-Token`` (or with a wrong one) gets 403 and is
ignored, and a request with it is handled like any update. Only a real process proves the
operator's path (settings, ``run_webhook``, SIGTERM) works, so the bot runs as
``python -m bot run`` against the Bot API stand-in, and the test plays Telegram's webhook sender.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.fakeapi import FakeBotApi, FakeBotApiServer
from tests.harness import ROOT, TOKEN

SECRET = "s3cret-token_1"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    """The Update Telegram would POST when a user sends /start in a private chat."""
    user = {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Ana"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def post_when_listening(
    client: httpx.AsyncClient, url: str, body: dict[str, object], headers: dict[str, str]
) -> httpx.Response:
    """POST, retrying while the webhook server is still binding (setWebhook comes first)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return await client.post(url, json=body, headers=headers)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_webhook_requires_the_secret_token_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    api = FakeBotApi(local_mode=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    async with FakeBotApiServer(api) as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "LOG_"))},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": server.api_root,
            "DATABASE_PATH": str(tmp_path / "facenudge.db"),
            "WEBHOOK_URL": url,
            "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "WEBHOOK_SECRET": SECRET,
            "PTB_TIMEDELTA": "1",
            "PYTHONPATH": str(ROOT),
        }
        stderr_path = tmp_path / "stderr.log"
        with stderr_path.open("wb") as stderr:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=env,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            hook = await api.wait_for_call("setWebhook", timeout=20)
            assert hook.ok
            assert (api.webhook_url, api.webhook_secret) == (url, SECRET)
            assert "message" in (api.allowed_updates or [])

            async with httpx.AsyncClient(timeout=10) as client:
                missing = await post_when_listening(client, url, start_update(1, 1001), {})
                wrong = await client.post(
                    url, json=start_update(2, 1002), headers={HEADER: "not-" + SECRET}
                )
                good = await client.post(url, json=start_update(3, 1003), headers={HEADER: SECRET})
            assert (missing.status_code, wrong.status_code, good.status_code) == (403, 403, 200)

            welcome = await api.wait_for_call("sendMessage", chat_id=1003, timeout=10)
            assert welcome.text is not None
            assert "FaceNudge" in welcome.text
            assert "not medical advice" in welcome.text
            await api.wait_until_idle(quiet=0.3, timeout=10)
            # Updates are handled in order, so the rejected ones would have been answered first.
            assert api.calls_to("sendMessage", chat_id=1001) == []
            assert api.calls_to("sendMessage", chat_id=1002) == []
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                raise
    errors = stderr_path.read_text(encoding="utf-8", errors="replace")
    assert code == 0, errors
    assert TOKEN not in errors
    assert SECRET not in errors
    assert "Traceback" not in errors
