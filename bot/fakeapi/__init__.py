"""A local stand-in of the Telegram Bot API that a real, unmodified PTB ``Application`` talks to.

``FakeBotApi`` holds the state (chats, messages, the getUpdates queue, webhook and command
settings) and answers Bot API methods as plain JSON dicts, transport-free; it keeps a transcript of
every call, lets tests inject user activity (texts, commands, button presses, blocks) and faults
(429/403/502, slow responses), and can optionally enforce Telegram's flood limits.  Two transports
serve it: ``FakeBotApiServer`` speaks HTTP on 127.0.0.1 with tornado (for end-to-end tests and
benchmarks that must exercise PTB's real httpx stack) and ``InProcessRequest`` plugs straight into
PTB as a ``BaseRequest`` (for the offline ``facenudge chat`` sandbox and socket-free tests).  The
stand-in is single-threaded: call it only from the event loop that runs the bot.
"""

from bot.fakeapi.http import FakeBotApiServer
from bot.fakeapi.inprocess import InProcessRequest
from bot.fakeapi.state import Call, FakeBotApi, SentFile, SentMessage

__all__ = [
    "Call",
    "FakeBotApi",
    "FakeBotApiServer",
    "InProcessRequest",
    "SentFile",
    "SentMessage",
]
