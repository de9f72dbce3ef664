"""Optimistic concurrency: a change names the version it was made from (If-Match)."""

import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common import by_key
from app.db import lock_row
from app.deps import WriteSessionDep
from app.error_words import said
from app.errors import (
    DomainError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
)
from app.http.representation import current_etag, etag_matches
from app.models.base import entity_name


def require_if_match(request: Request, model: Any, current: Any) -> None:
    """412 unless If-Match names the entity's current ETag; 428 when it is missing, 400 when
    it is no list of ETags.

    Call with the entity's current representation, read after locking its row.
    """
    header = request.headers.get("if-match")
    if header is None:
        raise PreconditionRequiredError(
            said(
                "send If-Match with the ETag of your last GET of this entity, so that an edit "
                "made meanwhile by someone else is not overwritten",
                "отправьте If-Match с ETag вашего последнего GET этой записи, чтобы не "
                "затереть правку, сделанную тем временем кем-то другим",
            ),
            errors=[{"name": "If-Match", "in": "header", "message": said("missing", "нет")}],
        )
    tags = entity_tags(header)
    if tags is None:
        raise DomainError(
            said(
                'If-Match must be "*" or ETags in their double quotes: send the ETag exactly '
                'as the ETag header gave it, quotes included (If-Match: "3f2a...")',
                'If-Match должен быть "*" или ETag в двойных кавычках: отправьте ETag точно '
                'так, как его дал заголовок ETag, с кавычками (If-Match: "3f2a...")',
            ),
            errors=[
                {"name": "If-Match", "in": "header", "message": said("malformed", "неверный вид")}
            ],
        )
    etag = current_etag(model, current)
    if not etag_matches(header, etag, weak=False):
        raise _no_match(tags, etag)


def _no_match(tags: list[str], etag: str) -> PreconditionFailedError:
    """Why If-Match named no current ETag: a weak tag, which never matches, or an old one."""
    if any(tag.startswith("W/") for tag in tags):
        return PreconditionFailedError(
            said(
                "If-Match compares ETags strongly (RFC 9110, 13.1.1), so a weak one (W/...) "
                "never matches: send the strong ETag as the ETag header gave it (a proxy that "
                "compresses responses may have weakened it)",
                "If-Match сравнивает ETag строго (RFC 9110, 13.1.1), поэтому слабый (W/...) "
                "не совпадает никогда: отправьте сильный ETag, как его дал заголовок ETag "
                "(его мог ослабить прокси, сжимающий ответы)",
            ),
            errors=[{"name": "If-Match", "in": "header", "message": said("weak", "слабый")}],
            extra={"current_etag": etag},
        )
    return PreconditionFailedError(
        said(
            "the entity changed since your ETag was issued; GET it again and reapply your edit",
            "запись изменилась после выдачи вашего ETag; получите её снова (GET) и повторите "
            "правку",
        ),
        errors=[{"name": "If-Match", "in": "header", "message": said("stale", "устарел")}],
        extra={"current_etag": etag},
    )


# RFC 9110 8.8.3: an entity-tag is an optionally weak (W/) quoted string of visible
# characters other than the double quote; If-Match is "*" or a comma-separated list of them.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_ENTITY_TAG_LIST = re.compile(rf"[ \t,]*{_ENTITY_TAG}(?:[ \t]*,[ \t,]*{_ENTITY_TAG})*[ \t,]*")


def entity_tags(header: str) -> list[str] | None:
    """The entity-tags an If-Match header lists (`["*"]` for any), or None when it is not
    such a list: an ETag sent without its quotes, say."""
    if header.strip() == "*":
        return ["*"]
    if not _ENTITY_TAG_LIST.fullmatch(header):
        return None
    return re.findall(_ENTITY_TAG, header)


def locked_for_edit(
    request: Request,
    session: Session,
    model: Any,
    key: str | int,
    schema: Any,
    read: Callable[[int], Any],
) -> Any:
    """The entity addressed by `key` (slug or id), locked for this transaction, once
    If-Match is checked against its current representation `read(id)`."""
    entity_id = session.scalar(select(model.id).where(by_key(model, str(key))))
    if entity_id is None:
        raise NotFoundError(f"no {entity_name(model)} {key}")
    row = lock_row(session, model, entity_id)
    require_if_match(request, schema, read(entity_id))
    return row


def for_edit(
    model: Any, schema: Any, read: Callable[[Session, str], Any], parameter: str
) -> Callable[..., Awaitable[Callable[[], Any]]]:
    """A dependency that gives a loader of the entity the path `parameter` names (slug or
    id): called by the handler, after the body is validated, it locks the row and checks
    If-Match against the entity's representation `read(session, key)`."""

    async def loader(request: Request, session: WriteSessionDep) -> Callable[[], Any]:
        key = str(request.path_params[parameter])
        current = partial(_read_by_id, read, session)
        return partial(locked_for_edit, request, session, model, key, schema, current)

    return loader


def _read_by_id(read: Callable[[Session, str], Any], session: Session, entity_id: int) -> Any:
    return read(session, str(entity_id))
