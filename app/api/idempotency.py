"""The Idempotency-Key header of POST requests."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request, Response
from sqlalchemy.orm import Session

from app.api.representation import created
from app.services import idempotency
from app.services.keys import Caller


@dataclass(frozen=True)
class IdempotencyRequest:
    key: str | None
    request_hash: str


async def _idempotency_request(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Any unique string (a UUID). A retry with the same key and body "
            "gets the first answer and creates nothing; keys are kept for at least 24 hours.",
        ),
    ] = None,
) -> IdempotencyRequest:
    body = await request.body()
    try:  # the same JSON, however spaced or ordered, is the same request
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONDecodeError, TypeError):  # TypeError: nested too deep to re-encode
        canonical = body
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + canonical)
    return IdempotencyRequest(key, digest.hexdigest())


IdempotencyDep = Annotated[IdempotencyRequest, Depends(_idempotency_request)]

KEPT_HEADERS = ("location", "etag")


def run_idempotent(
    request: Request,
    session: Session,
    caller: Caller,
    idem: IdempotencyRequest,
    action: Callable[[], Response],
) -> Response:
    """Runs `action` once per Idempotency-Key; a retry gets the stored answer."""
    if idem.key is None:
        return action()
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    stored = idempotency.claim(session, caller, idem.key, idem.request_hash, ttl)
    if stored is not None:
        return Response(
            stored.body,
            stored.status_code,
            {**stored.headers, "Idempotent-Replayed": "true"},
            media_type="application/json",
        )
    response = action()
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    idempotency.store(
        session,
        caller,
        idem.key,
        idempotency.StoredResponse(response.status_code, headers, bytes(response.body)),
    )
    return response


def respond_created(
    request: Request,
    session: Session,
    caller: Caller,
    idem: IdempotencyRequest,
    make: Callable[[], tuple[Any, Any, str]],
) -> Response:
    """201 with the new entity as its model shows it, under the Idempotency-Key.

    `make` writes and returns (response model, representation, location).
    """

    def action() -> Response:
        model, data, location = make()
        return created(request, model, data, location)

    return run_idempotent(request, session, caller, idem, action)
