"""Slow clients on a real server: a request's head and body have time limits, so connections
that trickle them are closed while others are served; and a shutdown does not wait for
them. Small limits through the settings; loopback only; every loop bounded."""

import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.system.live import ServerProcess, prepare_database

HEAD_LIMIT = 2.0
BODY_LIMIT = 3.0
SLACK = 3.0  # a loaded two-core machine may be late to close, never early
SLOW_HEADS = 45
SLOW_BODIES = 10
KEPT_ALIVE = 5  # of the slow heads, those that come after a first request
TRICKLE_EVERY = 0.1  # seconds between two bytes on a connection


@dataclass
class Trickler:
    """A connection that sends its request a byte at a time, never finishing it."""

    sock: socket.socket
    pending: bytes
    opened: float = field(default_factory=time.monotonic)
    closed_after: float | None = None
    answer: bytes = b""

    @classmethod
    def open(cls, url: str, request: bytes) -> "Trickler":
        host, port = url.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.setblocking(False)
        return cls(sock, request)

    def step(self) -> None:
        """Reads what the server sent, notes when it closed, sends the next byte."""
        if self.closed_after is not None:
            return
        try:
            while chunk := self.sock.recv(4096):
                self.answer += chunk
            self._closed()  # recv gave b"": the server closed the connection
            return
        except BlockingIOError:
            pass  # open, nothing to read
        except OSError:  # reset by the server
            self._closed()
            return
        try:
            self.sock.send(self.pending[:1])
            self.pending = self.pending[1:]
        except BlockingIOError:
            pass
        except OSError:
            self._closed()

    def _closed(self) -> None:
        self.closed_after = time.monotonic() - self.opened
        self.sock.close()


def head_trickler(url: str) -> Trickler:
    # A head that is never complete: a header far longer than the test sends.
    return Trickler.open(
        url, b"GET /api/v1/sources HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
    )


def body_trickler(url: str) -> Trickler:
    head = (b"POST /api/v1/sources HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n")  # fmt: skip
    trickler = Trickler.open(url, b'{"slug": "' + b"a" * 9_000)
    trickler.sock.setblocking(True)
    trickler.sock.sendall(head)  # the head in one go: only the body is slow
    trickler.sock.setblocking(False)
    return trickler


def kept_alive_trickler(url: str) -> Trickler:
    """A connection that makes one request as it should, then trickles its next one."""
    trickler = head_trickler(url)
    trickler.sock.setblocking(True)
    trickler.sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += trickler.sock.recv(4096)
    head, body = answer.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE)[1])  # type: ignore[index]
    while len(body) < length:
        body += trickler.sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200 ")
    trickler.sock.setblocking(False)
    trickler.opened = time.monotonic()
    return trickler


def trickle(tricklers: list[Trickler], seconds: float, meanwhile: Callable[[], None]) -> None:
    """Trickles on every connection until all are closed or `seconds` have passed; calls
    `meanwhile` once, a second in."""
    started = time.monotonic()
    called = False
    while time.monotonic() - started < seconds:
        for trickler in tricklers:
            trickler.step()
        if all(t.closed_after is not None for t in tricklers):
            return
        if not called and time.monotonic() - started > 1:
            meanwhile()
            called = True
        time.sleep(TRICKLE_EVERY)


@pytest.fixture
def server(new_database: Callable[[], str]) -> Iterator[ServerProcess]:
    database_url = new_database()
    prepare_database(database_url)
    limits = {"KSOPN_HEADER_TIMEOUT_SECONDS": str(HEAD_LIMIT),
              "KSOPN_BODY_TIMEOUT_SECONDS": str(BODY_LIMIT)}  # fmt: skip
    with ServerProcess(database_url, env=limits) as server:
        yield server


def test_slow_heads_and_bodies_are_cut_off_while_others_are_served(
    server: ServerProcess,
) -> None:
    heads = [head_trickler(server.url) for _ in range(SLOW_HEADS)]
    heads += [kept_alive_trickler(server.url) for _ in range(KEPT_ALIVE)]
    bodies = [body_trickler(server.url) for _ in range(SLOW_BODIES)]
    served: list[int] = []

    def a_normal_request() -> None:
        served.append(httpx.get(f"{server.url}/api/v1/sources", timeout=10).status_code)

    trickle(heads + bodies, BODY_LIMIT + SLACK + 5, a_normal_request)

    assert served == [200]
    for kind, tricklers, limit in (("head", heads, HEAD_LIMIT), ("body", bodies, BODY_LIMIT)):
        times = [t.closed_after for t in tricklers]
        assert None not in times, f"{times.count(None)} slow {kind}s still open"
        assert all(limit - 0.5 <= t <= limit + SLACK for t in times if t is not None), times
    # A head cut off is told why; a body is not (the app may be answering).
    assert all(t.answer.startswith(b"HTTP/1.1 408 ") for t in heads)
    assert not any(t.answer for t in bodies)


def test_a_shutdown_does_not_wait_for_slow_clients(new_database: Callable[[], str]) -> None:
    database_url = new_database()
    prepare_database(database_url)
    # Limits far away: only the shutdown's own time limit may end these requests.
    settings = {"KSOPN_BODY_TIMEOUT_SECONDS": "600", "KSOPN_SHUTDOWN_TIMEOUT_SECONDS": "2"}
    with ServerProcess(database_url, env=settings) as server:
        bodies = [body_trickler(server.url) for _ in range(5)]
        trickle(bodies, 1.5, lambda: None)
        assert server.process is not None
        stopping = time.monotonic()
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except Exception:
            pytest.fail("the server was still running 15 s after SIGTERM")
        finally:
            for trickler in bodies:
                trickler.sock.close()
        assert time.monotonic() - stopping < 2 + SLACK + 2
