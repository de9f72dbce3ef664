"""Optimistic concurrency: a change names the version it was made from (If-Match)."""

from typing import Any

from fastapi import Request

from app.api.representation import current_etag, etag_matches
from app.errors import PreconditionFailedError, PreconditionRequiredError


def require_if_match(request: Request, model: Any, current: Any) -> None:
    """412 unless If-Match names the entity's current ETag; 428 when it is missing.

    Call with the entity's current representation, read after locking its row.
    """
    header = request.headers.get("if-match")
    if header is None:
        raise PreconditionRequiredError(
            "send If-Match with the ETag of your last GET of this entity, so that an edit "
            "made meanwhile by someone else is not overwritten",
            errors=[{"name": "If-Match", "in": "header", "message": "missing"}],
        )
    etag = current_etag(model, current)
    if not etag_matches(header, etag):
        raise PreconditionFailedError(
            "the entity changed since your ETag was issued; GET it again and reapply your edit",
            errors=[{"name": "If-Match", "in": "header", "message": "stale"}],
            extra={"current_etag": etag},
        )
