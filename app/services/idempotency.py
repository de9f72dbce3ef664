"""Idempotent POSTs: a retry with the same Idempotency-Key and body gets the first answer.

The key is claimed (a row inserted) before the work starts, in the same transaction, so
two concurrent requests with one key cannot both do the work: the second waits on the
unique index until the first commits, then replays its answer.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.models import IdempotencyRecord
from app.services.keys import Caller


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
            f"Idempotency-Key {key!r} was used with a different request body; "
            "use a new key for a new request",
            errors=[{"name": "Idempotency-Key", "in": "header", "message": "reused"}],
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
