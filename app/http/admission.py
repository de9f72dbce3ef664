"""How many requests the app works on at once, before their answers start (issue 20).

A burst of 400 concurrent reads once made every one of them run the whole middleware stack,
routing and dependency solving in the event loop in the same few iterations, before each
waited for a session's slot: `/healthz`, read from its socket behind them, answered in up
to 1.3 s on a loaded 2-core machine. Here a request first takes a slot of the gate
(`Lanes.admission`, a few more than the sessions and exports it can feed), and waiting for
that slot costs the loop almost nothing. It leaves the gate when its answer starts, so a
slow reader of a long export holds no slot, or when it says it only waits for something
else (a chart's drawing: `app.deps.session_done`). `/healthz` never waits at the gate.

Only reads (GET, HEAD) take the gate. A request with a body reads it in the app, and a client
that sends one slowly (until the server's time for a body runs out) would hold a slot while
it sends: a few such clients would keep every reader waiting. Writes take turns for the
write slots (app/main.py) and the sessions' lane instead.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.deps import LEAVE_ADMISSION

UNGATED_PATHS = frozenset({"/healthz"})
GATED_METHODS = frozenset({"GET", "HEAD"})


class Admission:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lanes = getattr(getattr(scope.get("app"), "state", None), "lanes", None)
        if (
            scope["type"] != "http"
            or lanes is None
            or scope["method"] not in GATED_METHODS
            or scope["path"] in UNGATED_PATHS
        ):
            await self.app(scope, receive, send)
            return
        gate = lanes.admission
        await gate.acquire()
        inside = True

        def leave() -> None:
            nonlocal inside
            if inside:
                inside = False
                gate.release()

        async def send_and_leave(message: Message) -> None:
            if message["type"] == "http.response.start":
                leave()
            await send(message)

        scope.setdefault("state", {})[LEAVE_ADMISSION] = leave
        try:
            await self.app(scope, receive, send_and_leave)
        finally:
            leave()
