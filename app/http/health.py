from typing import Any

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.deps import SessionDep
from app.errors import DomainError
from app.schemas.common import Problem

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
def healthz(session: SessionDep) -> dict[str, Any]:
    """200 when the database answers and the schema is in place; 503 otherwise."""
    try:
        version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as error:
        raise DatabaseUnavailableError(
            f"the database did not answer: {type(error).__name__}"
        ) from error
    return {"status": "ok", "database": session.bind.dialect.name, "schema": version}  # type: ignore[union-attr]
