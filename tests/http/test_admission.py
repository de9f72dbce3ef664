"""The crowd's gate (app/http/admission.py): reads wait for a slot before any work, leave
it when their answer starts or when they say so; `/healthz` and writes never wait there."""

from types import SimpleNamespace

import anyio
import pytest
from starlette.types import Message, Receive, Scope, Send

from app.deps import LEAVE_ADMISSION
from app.http.admission import Admission

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """An app that starts its answer when `answer` is set, and records who got in."""

    def __init__(self) -> None:
        self.entered: list[str] = []
        self.answer = anyio.Event()
        self.leave_early = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.entered.append(f"{scope['method']} {scope['path']}")
        if self.leave_early:
            scope["state"][LEAVE_ADMISSION]()
        await self.answer.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _scope(gate: anyio.Semaphore, method: str, path: str) -> Scope:
    app = SimpleNamespace(state=SimpleNamespace(lanes=SimpleNamespace(admission=gate)))
    return {"type": "http", "method": method, "path": path, "app": app}


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _sent(_message: Message) -> None:
    return None


async def test_a_read_waits_for_a_slot_and_health_and_writes_do_not() -> None:
    inner, gate = Recorder(), anyio.Semaphore(1)
    admission = Admission(inner)
    async with anyio.create_task_group() as tasks:
        for method, path in [("GET", "/a"), ("GET", "/b"), ("GET", "/healthz"), ("POST", "/c")]:
            tasks.start_soon(admission, _scope(gate, method, path), _receive, _sent)
            await anyio.wait_all_tasks_blocked()
        assert inner.entered == ["GET /a", "GET /healthz", "POST /c"]
        inner.answer.set()  # /a's answer starts: its slot goes to /b
    assert inner.entered == ["GET /a", "GET /healthz", "POST /c", "GET /b"]
    assert gate.value == 1


async def test_a_read_that_leaves_early_lets_the_next_one_in_before_it_answers() -> None:
    inner, gate = Recorder(), anyio.Semaphore(1)
    inner.leave_early = True  # as a chart does once its figures are read
    admission = Admission(inner)
    async with anyio.create_task_group() as tasks:
        for path in ("/a", "/b"):
            tasks.start_soon(admission, _scope(gate, "GET", path), _receive, _sent)
            await anyio.wait_all_tasks_blocked()
        assert inner.entered == ["GET /a", "GET /b"]
        inner.answer.set()
    assert gate.value == 1  # left once each, however often asked


async def test_a_read_that_fails_before_its_answer_gives_its_slot_back() -> None:
    gate = anyio.Semaphore(1)

    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        await Admission(failing)(_scope(gate, "GET", "/a"), _receive, _sent)
    assert gate.value == 1
