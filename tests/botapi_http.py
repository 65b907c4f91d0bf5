"""Transport A: serves a ``FakeBotApi`` over HTTP on 127.0.0.1 with tornado.

End-to-end tests and benchmarks use it so that PTB's real httpx stack is exercised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from types import TracebackType

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from bot.fakeapi.state import DEFAULT_DESCRIPTIONS, FakeBotApi, JSONDict, error_body

_LOGGER = logging.getLogger(__name__)


class _Handler(tornado.web.RequestHandler):
    """Serves ``/bot<token>/<method>`` by handing the decoded request to the FakeBotApi."""

    api: FakeBotApi

    def initialize(self, api: FakeBotApi, active: set[asyncio.Future[None]]) -> None:
        """Tornado's per-request setup hook."""
        self.api = api
        self._active = active
        self._task: asyncio.Task[tuple[int, JSONDict]] | None = None
        self._gone = False

    def compute_etag(self) -> str | None:
        """API responses must never be cached."""
        return None

    async def get(self, token: str, method: str) -> None:
        """GET with query parameters."""
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        """POST form-encoded, multipart or JSON."""
        await self._serve(token, method)

    def on_connection_close(self) -> None:
        """The client gave up (timeout, cancelled poll): stop working on its request."""
        self._gone = True
        if self._task is not None:
            self._task.cancel()

    def _params(self) -> dict[str, object]:
        """Decode query, form and multipart fields, or a JSON body."""
        params: dict[str, object] = {
            key: values[-1].decode("utf-8", "replace")
            for key, values in self.request.arguments.items()
            if values
        }
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and self.request.body:
            body = json.loads(self.request.body)
            if isinstance(body, dict):
                params.update(body)
        return params

    async def _serve(self, token: str, method: str) -> None:
        """Track the request so stop() can let it finish writing."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._active.add(done)
        try:
            await self._respond(token, method)
        finally:
            self._active.discard(done)
            done.set_result(None)

    async def _respond(self, token: str, method: str) -> None:
        """Run the request and write the JSON answer unless the client already left."""
        try:
            params = self._params()
        except ValueError:
            self.set_status(400)
            self.finish(error_body(400, "Bad Request: invalid JSON body"))
            return
        files: dict[str, bytes] = {}
        names: dict[str, str] = {}
        types: dict[str, str] = {}
        for key, parts in self.request.files.items():
            if parts:
                files[key] = parts[-1].body
                names[key] = parts[-1].filename
                types[key] = parts[-1].content_type
        self._task = asyncio.ensure_future(
            self.api.handle(method, params, files, file_names=names, file_types=types, token=token)
        )
        try:
            status, body = await self._task
        except asyncio.CancelledError:
            if self._gone:
                return
            raise
        if self._gone:
            return
        self.set_status(status, DEFAULT_DESCRIPTIONS.get(status, "Error"))
        self.set_header("Content-Type", "application/json")
        with contextlib.suppress(tornado.iostream.StreamClosedError):
            await self.finish(json.dumps(body))


class _FileHandler(tornado.web.RequestHandler):
    """Serves ``/file/bot<token>/<path>`` for files the bot uploaded, so downloads work too."""

    api: FakeBotApi

    def initialize(self, api: FakeBotApi) -> None:
        """Tornado's per-request setup hook."""
        self.api = api

    def get(self, token: str, path: str) -> None:
        """Return the stored bytes."""
        self.api.tokens_seen.add(token)
        sent = self.api.files.get(path.rsplit("/", 1)[-1])
        if sent is None or sent.data is None:
            self.set_status(404)
            self.finish(error_body(404, "Not Found"))
            return
        self.set_header("Content-Type", sent.mime_type or "application/octet-stream")
        self.finish(sent.data)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Log requests at DEBUG: injected 5xx faults are expected, not server errors."""
    request = handler.request
    _LOGGER.debug(
        "%s %s %s %.2fms",
        handler.get_status(),
        request.method,
        request.uri,
        1000.0 * request.request_time(),
    )


class FakeBotApiServer:
    """Serves a FakeBotApi over HTTP on 127.0.0.1 so PTB's real httpx stack is exercised."""

    def __init__(self, api: FakeBotApi | None = None) -> None:
        self.api = api if api is not None else FakeBotApi()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._sockets: list[socket.socket] = []
        self._active: set[asyncio.Future[None]] = set()
        self.port = 0

    @property
    def api_root(self) -> str:
        """``http://127.0.0.1:PORT``: the bot's TELEGRAM_API_URL setting."""
        if not self.port:
            raise RuntimeError("FakeBotApiServer is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/bot``, for ApplicationBuilder().base_url()."""
        return f"{self.api_root}/bot"

    @property
    def base_file_url(self) -> str:
        """``http://127.0.0.1:PORT/file/bot``, for ApplicationBuilder().base_file_url()."""
        return f"{self.api_root}/file/bot"

    async def start(self) -> None:
        """Bind a free loopback port and serve in the running event loop."""
        if self._server is not None:
            return
        app = tornado.web.Application(
            [
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"api": self.api}),
                (
                    r"/bot([^/]+)/([A-Za-z0-9_]+)/?",
                    _Handler,
                    {"api": self.api, "active": self._active},
                ),
            ],
            compress_response=False,
            log_function=_log_request,
        )
        self._sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", reuse_port=False)
        self.port = int(self._sockets[0].getsockname()[1])
        self._server = tornado.httpserver.HTTPServer(app, xheaders=False)
        self._server.add_sockets(self._sockets)

    async def stop(self) -> None:
        """Answer pending long polls, stop listening and close every connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        self.api.release_long_polls()
        if self._active:
            await asyncio.wait(set(self._active), timeout=1.0)
        await server.close_all_connections()
        self._sockets = []

    async def __aenter__(self) -> FakeBotApiServer:
        """Start on enter."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on exit."""
        await self.stop()
