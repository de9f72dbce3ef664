"""Idempotent POSTs: a retry with the same Idempotency-Key and body gets the first answer.

The key is claimed (a row inserted) before the work starts, in the same transaction, so
two concurrent requests with one key cannot both do the work: the second waits on the
unique index until the first commits, then replays its answer.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.error_words import said
from app.errors import DomainError
from app.http.representation import created
from app.models import IdempotencyRecord
from app.staff.keys import Caller


class IdempotencyKeyReusedError(DomainError):
    status = 422
    title = "Idempotency key reused"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes


def claim(
    session: Session, caller: Caller, key: str, request_hash: str, ttl: timedelta
) -> StoredResponse | None:
    """The stored answer for a retry, or None once the key is claimed for this request."""
    now = datetime.now(UTC)
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - ttl))
    stored = _stored(session, caller, key, request_hash)
    if stored is not None:
        return stored
    try:
        with session.begin_nested():
            session.add(
                IdempotencyRecord(
                    api_key_id=caller.key_id,
                    key=key,
                    request_hash=request_hash,
                    status_code=0,
                    headers={},
                    body=b"",
                    created_at=now,
                )
            )
    except IntegrityError:
        # Another request with this key committed first: answer as it did.
        stored = _stored(session, caller, key, request_hash)
        if stored is None:  # pragma: no cover - the unique row exists by now
            raise
        return stored
    return None


def _stored(session: Session, caller: Caller, key: str, request_hash: str) -> StoredResponse | None:
    row = session.execute(
        select(
            IdempotencyRecord.request_hash,
            IdempotencyRecord.status_code,
            IdempotencyRecord.headers,
            IdempotencyRecord.body,
        ).where(IdempotencyRecord.api_key_id == caller.key_id, IdempotencyRecord.key == key)
    ).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyKeyReusedError(
            said(
                f"Idempotency-Key {key!r} was used with a different request body; "
                "use a new key for a new request",
                f"Idempotency-Key {key!r} уже отправлялся с другим телом запроса; для нового "
                "запроса нужен новый ключ",
            ),
            errors=[
                {"name": "Idempotency-Key", "in": "header", "message": said("reused", "повторён")}
            ],
        )
    return StoredResponse(row.status_code, dict(row.headers), bytes(row.body))


def store(session: Session, caller: Caller, key: str, response: StoredResponse) -> None:
    record = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == caller.key_id, IdempotencyRecord.key == key
        )
    ).one()
    record.status_code = response.status_code
    record.headers = response.headers
    record.body = response.body


# -- the Idempotency-Key header of POST requests ------------------------------------------


@dataclass(frozen=True)
class IdempotencyRequest:
    key: str | None
    request_hash: str  # "" without a key: no retry to compare with


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
    if key is None:  # nothing to compare a retry with: no hash of the body to make
        return IdempotencyRequest(None, "")
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
    stored = claim(session, caller, idem.key, idem.request_hash, ttl)
    if stored is not None:
        return Response(
            stored.body,
            stored.status_code,
            {**stored.headers, "Idempotent-Replayed": "true"},
            media_type="application/json",
        )
    response = action()
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    store(
        session,
        caller,
        idem.key,
        StoredResponse(response.status_code, headers, bytes(response.body)),
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
