"""Transport B: a PTB ``BaseRequest`` that calls a ``FakeBotApi`` directly, with no sockets.

The offline ``facenudge chat`` sandbox and socket-free tests use it.
"""

from __future__ import annotations

import asyncio
import json
from typing import IO
from urllib.parse import urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.fakeapi.state import FakeBotApi, error_body


class InProcessRequest(BaseRequest):
    """A PTB request backend that calls a FakeBotApi directly: no sockets, same encoding as HTTP."""

    __slots__ = ("_initialized", "_read_timeout", "api")

    def __init__(self, api: FakeBotApi, *, read_timeout: float | None = 5.0) -> None:
        self.api = api
        self._read_timeout = read_timeout
        self._initialized = False

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout; PTB adds the long-poll timeout to it for getUpdates."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""
        self._initialized = True

    async def shutdown(self) -> None:
        """Nothing to close."""
        self._initialized = False

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Decode the request like the HTTP transport would and call the fake directly."""
        path = urlsplit(url).path
        segments = [s for s in path.split("/") if s]
        if method.upper() == "GET" and "file" in segments:
            return self._download(segments)
        api_method = segments[-1] if segments else ""
        token = next((s[3:] for s in segments[:-1] if s.startswith("bot")), None)
        params: dict[str, object] = dict(request_data.json_parameters) if request_data else {}
        files: dict[str, bytes] = {}
        names: dict[str, str] = {}
        types: dict[str, str] = {}
        if request_data is not None and request_data.contains_files:
            for key, (filename, content, mimetype) in request_data.multipart_data.items():
                files[key] = _read_content(content)
                names[key] = filename
                types[key] = mimetype
        timeout = self._read_timeout
        if read_timeout is None or isinstance(read_timeout, int | float):
            timeout = read_timeout
        call = self.api.handle(
            api_method, params, files, file_names=names, file_types=types, token=token
        )
        try:
            async with asyncio.timeout(timeout):
                status, body = await call
        except TimeoutError as exc:
            raise TimedOut(f"In-process request {api_method} timed out after {timeout}s") from exc
        return status, json.dumps(body).encode()

    def _download(self, segments: list[str]) -> tuple[int, bytes]:
        """Serve a file download (``/file/bot<token>/<path>``)."""
        sent = self.api.files.get(segments[-1])
        if sent is None or sent.data is None:
            return 404, json.dumps(error_body(404, "Not Found")).encode()
        return 200, sent.data


def _read_content(content: bytes | IO[bytes]) -> bytes:
    """PTB may hand over an open file handle instead of bytes (21.5+)."""
    return content if isinstance(content, bytes) else content.read()
