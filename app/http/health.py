from collections.abc import Callable
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db import Lanes
from app.errors import DomainError
from app.http.schemas import Problem

router = APIRouter(tags=["health"])


class DatabaseUnavailableError(DomainError):
    status = 503
    title = "Database unavailable"


@router.get(
    "/healthz",
    summary="Health check",
    operation_id="getHealth",
    responses={422: {"model": Problem, "description": "A query parameter: this takes none."}},
)
async def healthz(request: Request) -> dict[str, Any]:
    """200 when the database answers and the schema is in place; 503 otherwise. Asked in a
    thread and with a connection of its own (`ConnectionBudget.health`), so that it answers
    at once however many requests wait for the others."""
    lanes: Lanes = request.app.state.lanes
    return await to_thread.run_sync(_check, request.app.state.sessionmaker, limiter=lanes.health)


def _check(sessions: Callable[[], Session]) -> dict[str, Any]:
    with sessions() as session:
        try:
            version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError as error:
            raise DatabaseUnavailableError(
                f"the database did not answer: {type(error).__name__}"
            ) from error
        return {"status": "ok", "database": session.get_bind().dialect.name, "schema": version}
