"""Memory of the webhook listener under an oversized POST, against PTB's default body limit.

Run: .venv/bin/python -m bench.webhook_body [--mb 90]

Starts ``python -m bot run`` in webhook mode against the Bot API stand-in, measures its resident
memory (VmRSS) idle, then POSTs an ``--mb`` megabyte body without the secret token, the way an
attacker who found the URL would, and measures again right after and two seconds later. The
naive baseline is the same bot with PTB's own limit (tornado's default ``max_body_size``,
100 MB), which buffers the whole body before answering 403. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bot.fakeapi import FakeBotApi
from tests.botapi_http import FakeBotApiServer
from tests.harness import ROOT, TOKEN

SECRET = "bench-secret-0123456789"
BASELINE = (
    "import bot.app, sys; bot.app.MAX_WEBHOOK_BODY = 100 * 1024 * 1024; "
    "from bot.cli import main; sys.exit(main(['run']))"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def measure(label: str, command: list[str], megabytes: int) -> list[str]:
    """One bot process: idle RSS, the oversized POST's outcome, RSS after it."""
    api = FakeBotApi(local_mode=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotApiServer(api) as server:
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "LOG_"))},
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": server.api_root,
                "DATABASE_PATH": str(Path(tmp) / "bench.db"),
                "WEBHOOK_URL": url,
                "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                "WEBHOOK_SECRET": SECRET,
                "PTB_TIMEDELTA": "1",
                "PYTHONPATH": str(ROOT),
            }
            proc = await asyncio.create_subprocess_exec(
                *command, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                await api.wait_for_call("setWebhook", timeout=30)
                await asyncio.sleep(1.0)
                idle = rss_mib(proc.pid)
                body = b"x" * (megabytes * 1024 * 1024)
                headers = {"Content-Type": "application/json"}
                started = time.perf_counter()
                async with httpx.AsyncClient(timeout=120) as client:
                    try:
                        response = await client.post(url, content=body, headers=headers)
                        outcome = str(response.status_code)
                    except httpx.TransportError as error:
                        outcome = type(error).__name__
                elapsed = time.perf_counter() - started
                after = rss_mib(proc.pid)
                await asyncio.sleep(2.0)
                settled = rss_mib(proc.pid)
            finally:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
    return [
        label,
        f"{idle:.0f}",
        outcome,
        f"{elapsed * 1000:.0f}",
        f"{after:.0f}",
        f"{settled:.0f}",
        f"{settled - idle:+.0f}",
    ]


async def run(megabytes: int) -> None:
    rows = [
        ["listener", "idle MiB", "answer", "ms", "after MiB", "+2 s MiB", "growth MiB"],
        await measure("FaceNudge (256 KB cap)", [sys.executable, "-m", "bot", "run"], megabytes),
        await measure("baseline (PTB default)", [sys.executable, "-c", BASELINE], megabytes),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"one {megabytes} MB POST without the secret token")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=90, help="body size in MB (default 90)")
    asyncio.run(run(parser.parse_args().mb))


if __name__ == "__main__":
    main()
