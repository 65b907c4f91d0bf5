"""The FAQ's sentence embeddings: read from the installed wheel, offline, with no side effects."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, logging, socket, sys

def refuse(*args, **kwargs):
    raise OSError("no network in this test")

socket.socket.connect = refuse
socket.create_connection = refuse
from bot.embeddings import embedder

a, b, c = embedder()([
    "how long until I see results",
    "when will my face look better",
    "how much does botox cost",
])
print(json.dumps({
    "same_meaning": float(a @ b),
    "other_meaning": float(a @ c),
    "norm": float(a @ a),
    "modules": sorted(m for m in ("requests", "wordllama", "huggingface_hub") if m in sys.modules),
    "root_handlers": len(logging.getLogger().handlers),
}))
"""


def test_the_embedding_model_loads_from_the_wheel_with_no_network() -> None:
    """No download, no HTTP client imported, and the bot's logging left as it was.

    ``WordLlama.load()`` would fetch a tokenizer from the internet, and importing the
    ``wordllama`` package adds a handler to the root logger, which would bypass the bot's
    redacting log setup; a fresh interpreter shows what loading really pulls in.
    """
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(done.stdout)
    assert found["modules"] == []
    assert found["root_handlers"] == 0
    assert abs(found["norm"] - 1.0) < 1e-4
    assert found["same_meaning"] > found["other_meaning"] + 0.1
