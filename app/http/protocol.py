"""The HTTP protocol `ksopn serve` runs: uvicorn's httptools protocol with time limits on
what a client sends, which uvicorn does not have. A client that sent its request head a
byte at a time kept its connection, and a file descriptor, as long as it liked: a thousand
such clients used up the server's descriptors (issue 20).

- The head (request line and headers) must be complete within KSOPN_HEADER_TIMEOUT_SECONDS
  of the connection (or, on a kept-alive connection, of the request's first byte);
- the body within KSOPN_BODY_TIMEOUT_SECONDS of the end of the head.

Otherwise the connection is closed: with a 408 when the head is late and no answer is being
sent on the connection, without a word when the body is late (the app may be answering).
"""

import asyncio
from asyncio import TimerHandle
from collections.abc import Callable
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.settings import get_settings

LATE_HEAD = b"the request's head did not arrive in time"


class TimedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self.header_timeout = settings.header_timeout_seconds
        self.body_timeout = settings.body_timeout_seconds
        self._deadline: TimerHandle | None = None
        self._reading_head = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._set_deadline(self.header_timeout, self._head_is_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self._clear_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True
        if self._deadline is None:  # a later request on a kept-alive connection
            self._set_deadline(self.header_timeout, self._head_is_late)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._set_deadline(self.body_timeout, self._body_is_late)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._clear_deadline()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._clear_deadline()  # the connection is the WebSocket protocol's from now on
        super().handle_websocket_upgrade()

    def _set_deadline(self, seconds: float, expired: Callable[[], None]) -> None:
        self._clear_deadline()
        self._deadline = self.loop.call_later(seconds, expired)

    def _clear_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_is_late(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        self.logger.info(
            "closing a connection whose request head took over %s s", self.header_timeout
        )
        answering = self.cycle is not None and not self.cycle.response_complete
        if self._reading_head and not answering:
            self.transport.write(_request_timeout(self.server_state.default_headers))
        self.transport.close()

    def _body_is_late(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.logger.info(
                "closing a connection whose request body took over %s s", self.body_timeout
            )
            self.transport.close()


def _request_timeout(default_headers: list[tuple[bytes, bytes]]) -> bytes:
    lines = [b"HTTP/1.1 408 Request Timeout"]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: text/plain; charset=utf-8",
        b"content-length: " + str(len(LATE_HEAD)).encode(),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + LATE_HEAD
