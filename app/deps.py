"""Request dependencies, defined once and used through their `Annotated` aliases."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.errors import InvalidParameterError


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the handler succeeds, rolled back otherwise."""
    yield from session_scope(request.app.state.sessionmaker())


def get_write_session(request: Request) -> Iterator[Session]:
    """Like get_session; on SQLite its transaction takes the write lock from the start."""
    yield from session_scope(request.app.state.write_sessionmaker())


def session_scope(session: Session) -> Iterator[Session]:
    """Commits when the request succeeds, rolls back otherwise, closes in any case."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit happens before the response is sent, so a client is never
# told of a write that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]


def refuse_nul_characters(request: Request) -> None:
    """No text the API takes may hold NUL: PostgreSQL cannot store or compare it."""
    for location, params in (("query", request.query_params.multi_items()),
                             ("path", request.path_params.items())):  # fmt: skip
        for name, value in params:
            if isinstance(value, str) and "\x00" in value:
                raise InvalidParameterError(name, "contains a NUL character", location=location)
