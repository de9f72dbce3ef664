"""Small query helpers that several domains share: names to ids, the substance tree."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, false, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.errors import NotFoundError
from app.models import Operation, Source, Stage, Substance
from app.models.base import fold

MAX_ID = 2**31 - 1  # ids are 32-bit integers in both databases

# A SELECT of any columns (SQLAlchemy 2.1 types a Select by the tuple of its columns).
AnySelect = Select[*tuple[Any, ...]]
AnyRow = Row[*tuple[Any, ...]]


def cited_columns(locator: InstrumentedAttribute[Any]) -> list[ColumnElement[Any]]:
    """The flat source columns that `app.http.schemas.Cited` nests into `source`."""
    return [
        Source.id.label("source_id"),
        Source.slug.label("source_slug"),
        Source.title.label("source_title"),
        locator.label("source_locator"),
    ]


def matches(search_text: InstrumentedAttribute[str], q: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on the folded names and aliases (any script)."""
    needle = fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return search_text.like(f"%{needle}%", escape="\\")


def dicts(rows: Sequence[AnyRow]) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in rows]


def core_rows(
    session: Session, stmt: AnySelect, params: dict[str, Any] | None = None
) -> Sequence[AnyRow]:
    """The rows of a select of columns (no ORM entities) as `session.execute` gives them,
    after the same autoflush (a record added in this request is found), but on the
    session's connection: the ORM's execution of a small read took as long as the read."""
    # As `execute` would: not inside `no_autoflush`; a clean session's flush sends nothing.
    if session.autoflush:
        session.flush()
    return session.connection().execute(stmt, params).all()


def one(
    stmt: AnySelect, session: Session, what: str, key: object, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    rows = core_rows(session, stmt, params)
    if not rows:
        raise NotFoundError(f"no {what} {key!s}")
    return dict(rows[0]._mapping)


def by_key(model: Any, key: str) -> ColumnElement[bool]:
    """Entities with a slug are addressed by slug or by id."""
    if not (key.isascii() and key.isdigit()):  # "²".isdigit() is True, int("²") fails
        return model.slug == key  # type: ignore[no-any-return]
    if int(key) > MAX_ID:
        return false()  # no such row, and PostgreSQL would refuse the number
    return model.id == int(key)  # type: ignore[no-any-return]


def subtree_ids_query(root_id: int, name: str = "subtree") -> Select[tuple[int]]:
    """The ids of a substance and all its descendants, as a recursive CTE."""
    tree = select(Substance.id).where(Substance.id == root_id).cte(name, recursive=True)
    tree = tree.union_all(select(Substance.id).where(Substance.parent_id == tree.c.id))
    return select(tree.c.id)


def subtree_ids(session: Session, root_id: int) -> set[int]:
    return set(session.scalars(subtree_ids_query(root_id)))


def operation_id_of(session: Session, key: str) -> int | None:
    """The id of the operation with this slug or id."""
    return session.scalar(select(Operation.id).where(by_key(Operation, key)))


STAGE_ID_PREFIX = "id:"


def stage_reference(operation: str, number: int | None, slug: str | None, stage_id: int) -> str:
    """How a filter names a stage: its operation and number as people do (`channel-31`);
    a stage no source numbers, by its key (`channel-2018-red-barkhan`); one with neither
    (a stage staff posted without a number), by its id (`id:42`)."""
    if number is not None:
        return f"{operation}-{number}"
    return slug or f"{STAGE_ID_PREFIX}{stage_id}"


def stage_id_of(session: Session, operation_id: int, number: int) -> int | None:
    return session.scalar(
        select(Stage.id).where(Stage.operation_id == operation_id, Stage.number == number)
    )
