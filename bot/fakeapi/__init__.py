"""A local stand-in of the Telegram Bot API that a real, unmodified PTB ``Application`` talks to.

``FakeBotApi`` holds the state (chats, messages, the getUpdates queue, webhook and command
settings) and answers Bot API methods as plain JSON dicts, transport-free; it keeps a transcript of
every call, lets tests inject user activity (texts, commands, button presses, blocks) and faults
(429/403/502, slow responses, a network round trip), and can enforce Telegram's flood limits.
``InProcessRequest`` plugs it straight into PTB as a ``BaseRequest`` for the offline ``facenudge
chat`` sandbox; the HTTP transport on 127.0.0.1 that tests and benchmarks use lives in
``tests/botapi_http.py``, so it does not ship. The stand-in is single-threaded: call it only from
the event loop that runs the bot.
"""

from bot.fakeapi.inprocess import InProcessRequest
from bot.fakeapi.state import Call, FakeBotApi, SentFile, SentMessage

__all__ = [
    "Call",
    "FakeBotApi",
    "InProcessRequest",
    "SentFile",
    "SentMessage",
]
