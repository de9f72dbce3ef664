"""What every domain's staff writes share: names resolved to ids (`Refs`), the 422 that names
a body field, and create, update and delete with their audit entry and with refusals by a
key or constraint said in the client's terms. Each domain's `writes.py` writes its
records through them (app/council/writes.py, app/reference/writes.py,
app/operations/writes.py, app/seizures/writes.py), and its router calls those.

Request fields that name other records (slugs, ISO codes) are resolved to ids here, and
dates known to a precision are split into their two columns. Every write is audited.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, ClassVar, cast

from sqlalchemy import Row, Table, bindparam, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from app import models as m
from app.common import core_rows
from app.error_words import said
from app.errors import ConflictError, DomainError, InvalidParameterError
from app.http import bodies as w
from app.models.base import Named
from app.models.enums import AuditAction
from app.rules import party_kind, party_named, period_problem
from app.staff.audit import record, snapshot
from app.staff.keys import Caller


def body_error(field: str, message: str) -> InvalidParameterError:
    return InvalidParameterError(field, message, location="body")


# What a request names, in the Russian of "нет ... 'x'" (genitive).
THINGS = {
    "source": "источника",
    "country": "страны",
    "organization": "организации",
    "substance": "вещества",
    "body": "органа",
    "operation": "операции",
}


class Refs:
    """Turns the names a request uses (slugs, ISO codes) into ids, naming the field if unknown;
    and keeps what an answer names each of those records by (`named`), read in the same
    query, so that a stage post's 201 is built without reading its records back."""

    # Small tables that a stage names many rows of: read whole at the first name, so that
    # ten seizure reports cost one query, not ten.
    READ_WHOLE = (m.Country, m.Substance)
    # What an answer shows of a named record, in the order `named` gives it.
    SHOWN: ClassVar[dict[Any, tuple[Any, ...]]] = {
        m.Country: (m.Country.iso3, m.Country.name_en, m.Country.name_ru),
        m.Substance: (m.Substance.slug, m.Substance.name_en, m.Substance.name_ru),
        m.Organization: (m.Organization.slug, m.Organization.name_en, m.Organization.name_ru),
        m.Source: (m.Source.slug, m.Source.title),
    }

    def __init__(self, session: Session) -> None:
        self.session = session
        self._known: dict[tuple[Any, str], int] = {}  # a stage names KAZ many times
        self._read_whole: set[Any] = set()
        self._shown: dict[tuple[Any, int], tuple[Any, ...]] = {}

    def _id(self, model: Any, column: Any, value: str, field: str, what: str) -> int:
        """The id of the row whose `column` is `value`; `what` is a key of THINGS."""
        first_of_table = model in self.READ_WHOLE and model not in self._read_whole
        if (model, value) not in self._known and first_of_table:
            self._read_whole.add(model)
            for key, id_, *names in core_rows(self.session, _whole(model, column.key)):
                self._known[(model, key)] = int(id_)
                self._shown[(model, int(id_))] = tuple(names)
        if (model, value) not in self._known:
            found: Row[Any] | None = None  # a table read whole holds every name it has
            if model not in self._read_whole:
                rows = core_rows(self.session, _one_by(model, column.key), {"key": value})
                found = rows[0] if rows else None
            if found is None:
                raise body_error(
                    field, said(f"no {what} {value!r}", f"нет {THINGS[what]} {value!r}")
                )
            self._known[(model, value)] = int(found[0])
            self._shown[(model, int(found[0]))] = tuple(found[1:])
        return self._known[(model, value)]

    def named(self, model: Any, id_: int) -> tuple[Any, ...]:
        """What an answer shows of a record this resolved (the columns of `SHOWN`)."""
        return self._shown[(model, id_)]

    def source(self, slug: str, field: str = "source") -> int:
        return self._id(m.Source, m.Source.slug, slug, field, "source")

    def country(self, iso3: str | None, field: str) -> int | None:
        if iso3 is None:
            return None
        return self._id(m.Country, m.Country.iso3, iso3, field, "country")

    def organization(self, slug: str | None, field: str) -> int | None:
        if slug is None:
            return None
        return self._id(m.Organization, m.Organization.slug, slug, field, "organization")

    def substance(self, slug: str, field: str) -> int:
        return self._id(m.Substance, m.Substance.slug, slug, field, "substance")

    def body(self, slug: str | None, field: str) -> int | None:
        if slug is None:
            return None
        return self._id(m.Body, m.Body.slug, slug, field, "body")

    def operation(self, slug: str | None, field: str) -> int | None:
        if slug is None:
            return None
        return self._id(m.Operation, m.Operation.slug, slug, field, "operation")

    def party(self, entry: w.PartyIn | str, field: str) -> dict[str, Any]:
        party = entry if isinstance(entry, w.PartyIn) else w.PartyIn(party=entry)
        columns: dict[str, Any] = {
            "country_id": None,
            "organization_id": None,
            "party_detail": party.detail,
            "regularity": party.regularity,
        }
        named = party_named(party.party)
        columns["party_kind"] = party_kind(**named)
        if named["country"]:
            columns["country_id"] = self.country(named["country"], field)
        if named["organization"]:
            columns["organization_id"] = self.organization(named["organization"], field)
        return columns


# The statements of `Refs` and `insert_new`, built once: every stage post runs them, and
# building a statement and its cache key took as long as running it on SQLite. They run on
# the session's connection: Core statements need none of the ORM's execution.


@lru_cache(maxsize=16)
def _whole(model: Any, name: str) -> Any:
    """A table read whole: each row's name (column `name`), id and what an answer shows."""
    return select(getattr(model, name), model.id, *Refs.SHOWN.get(model, ()))


@lru_cache(maxsize=16)
def _one_by(model: Any, name: str) -> Any:
    """The id and what an answer shows of the row whose column `name` is `:key`."""
    shown = Refs.SHOWN.get(model, ())
    return select(model.id, *shown).where(getattr(model, name) == bindparam("key"))


@lru_cache(maxsize=16)
def _inserting(table: Table) -> Any:
    return insert(table).returning(table.c.id)


def insert_new(
    session: Session, rows: Sequence[m.Base], *, unless_taken: Sequence[str] = ()
) -> None:
    """Inserts new records of one model as a flush would, in one statement instead of one a
    row (the ORM's flush sends SQLite one INSERT a row to learn the ids in order). Every
    column is set on the record (its default where none was given) and the records are
    then persistent in the session, as after a flush, ids given in the order of `rows`.
    `unless_taken` names the columns of a unique key: a record (one only) that the key
    refuses is not inserted, and keeps no id.

    No flush sees them, so no flush event: who inserts seizure reports so tells their
    derived tables (`app.seizures.derived_tables.inserting`)."""
    if not rows:
        return
    table, columns = _inserted_columns(type(rows[0]))
    values = []
    for row in rows:
        for name, column in columns:
            if name not in row.__dict__:
                setattr(row, name, _default_of(column))
        values.append({column.key: getattr(row, name) for name, column in columns})
    if unless_taken:
        returned = _insert_unless_taken(session, table, values, unless_taken)
    else:
        # One statement, whose ids SQLite and PostgreSQL both give the rows in the order of
        # their VALUES (an id sequence, or SQLite's rowid under the writer's lock): sorted,
        # the returned ids are the rows' in order, whatever order RETURNING sends them in.
        # On the session's connection: a Core statement needs none of the ORM's execution.
        inserted = session.connection().execute(_inserting(table), values)
        returned = sorted(inserted.scalars().all())
    if not returned:
        return  # refused by `unless_taken`
    for row, id_ in zip(rows, returned, strict=True):
        row.id = id_  # type: ignore[attr-defined]
        make_transient_to_detached(row)
        session.add(row)


@lru_cache(maxsize=16)
def _inserted_columns(model: type[m.Base]) -> tuple[Table, tuple[tuple[str, Any], ...]]:
    """The table of a model that `insert_new` may insert, and the attribute name and column
    of each of its columns but the id (found once per model: a post inserts four)."""
    mapper = inspect(model)
    _refuse_insert_events(mapper)
    columns = tuple((attr.key, attr.columns[0]) for attr in mapper.column_attrs if attr.key != "id")
    return cast(Table, mapper.local_table), columns


def _refuse_insert_events(mapper: Any) -> None:
    """`insert_new` sends no flush, so a model's insert events would not run: a `Named`
    record would keep an empty `search_text` and never be found by `q=`. Such a model is
    refused rather than written without what its events set."""
    if mapper.dispatch.before_insert or mapper.dispatch.after_insert:
        what = "a Named model (its search_text)" if issubclass(mapper.class_, Named) else "it"
        raise TypeError(
            f"insert_new cannot insert {mapper.class_.__name__}: it has insert events, which"
            f" only a flush runs, and {what} would be left unset; add it to the session instead"
        )


def _insert_unless_taken(
    session: Session, table: Any, values: list[dict[str, Any]], key: Sequence[str]
) -> list[int]:
    if len(values) != 1:
        raise ValueError("unless_taken inserts one record")
    stmt = _unless_taken(table, tuple(key), session.get_bind().dialect.name)
    return list(session.execute(stmt, values[0]).scalars())


@lru_cache(maxsize=8)
def _unless_taken(table: Any, key: tuple[str, ...], dialect: str) -> Any:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id, built once."""
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make_insert(table).on_conflict_do_nothing(index_elements=list(key))
    return stmt.returning(table.c.id)


def _default_of(column: Any) -> Any:
    """What a flush would insert for a column given no value: its scalar default, or NULL."""
    default = column.default
    if default is None:
        return None
    if not default.is_scalar:  # no such column among the records inserted this way
        raise TypeError(f"{column} has a default that is not a constant")
    return default.arg


def field_at(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def add_audited(session: Session, caller: Caller, row: m.Base) -> None:
    session.add(row)
    session.flush()
    record(session, caller, AuditAction.CREATE, row, None)


def delete_audited(session: Session, caller: Caller, row: m.Base) -> None:
    record(session, caller, AuditAction.DELETE, row, snapshot(row))
    session.delete(row)
    session.flush()


Resolver = Callable[[Refs, Any, str], Any]

# request field -> (column, how to resolve its value)
REFERENCES: dict[str, tuple[str, Resolver]] = {
    "source": ("source_id", lambda refs, v, f: refs.source(v, f)),
    "country": ("country_id", lambda refs, v, f: refs.country(v, f)),
    "body": ("body_id", lambda refs, v, f: refs.body(v, f)),
    "operation": ("operation_id", lambda refs, v, f: refs.operation(v, f)),
    "issuer": ("issuer_id", lambda refs, v, f: refs.organization(v, f)),
    "occasion_organization": (
        "occasion_organization_id",
        lambda refs, v, f: refs.organization(v, f),
    ),
}
# request field -> (date column, precision column)
FUZZY_DATES = {
    "held": ("held_on", "date_precision"),
    "adopted": ("adopted_on", "adopted_precision"),
    "as_of": ("as_of", "as_of_precision"),
    "published": ("published_on", "published_precision"),
}


def columns_from(session: Session, fields: dict[str, Any], model: type[m.Base]) -> dict[str, Any]:
    """Request fields to column values: references resolved, fuzzy dates split."""
    refs = Refs(session)
    columns: dict[str, Any] = {}
    for name, value in fields.items():
        if name in REFERENCES:
            column, resolve = REFERENCES[name]
            columns[column] = None if value is None else resolve(refs, value, name)
        elif name in FUZZY_DATES:
            date_column, precision_column = FUZZY_DATES[name]
            columns[date_column] = value["date"] if value else None
            columns[precision_column] = value["precision"] if value else None
        elif name == "parent" and model is m.Organization:
            columns["parent_id"] = refs.organization(value, name)
        else:
            columns[name] = value
    return columns


class ConstraintError(DomainError):
    status = 422
    title = "Invalid record"


def _refused(error: IntegrityError, what: str) -> DomainError:
    """Maps a refusal by the database to the client's error, by the constraint's kind.

    The database's own message is not passed on: it can quote the whole row.
    """
    code = getattr(error.orig, "sqlstate", None)
    message = str(error.orig).lower()
    constraint = _constraint_name(error)
    if code == "23505" or "unique" in message:
        field = _unique_field(error, constraint)
        return ConflictError(
            said(
                f"{what} would duplicate an existing record ({field} is taken)",
                f"запись повторила бы уже существующую (поле `{field}` занято)",
            ),
            errors=[{"name": field, "in": "body", "message": TAKEN}],
        )
    if code == "23503" or "foreign key" in message:
        return ConflictError(
            said(
                f"{what} is still referenced by other records; change those first",
                "на запись ещё ссылаются другие записи; сначала измените их",
            )
        )
    return ConstraintError(
        said(
            f"{what} breaks the rule {constraint or 'of the record'}",
            f"запись нарушает правило {constraint or 'записи'}",
        )
    )


TAKEN = said("taken", "занято")


def _constraint_name(error: IntegrityError) -> str | None:
    diag = getattr(error.orig, "diag", None)  # psycopg
    if diag is not None and diag.constraint_name:
        return str(diag.constraint_name)
    _, _, name = str(error.orig).partition("failed: ")  # sqlite: "... constraint failed: x"
    return name.strip() or None


def _unique_field(error: IntegrityError, constraint: str | None) -> str:
    """'slug' from uq_organizations_slug (PostgreSQL) or organizations.slug (SQLite)."""
    if constraint and "." in constraint:
        return constraint.split(",")[0].rsplit(".", 1)[1]
    table = getattr(getattr(error.orig, "diag", None), "table_name", None)
    if constraint and table and constraint.startswith(f"uq_{table}_"):
        return constraint.removeprefix(f"uq_{table}_")
    return "slug"


def create(session: Session, caller: Caller, row: m.Base, what: str) -> None:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as error:
        raise _refused(error, what) from error
    record(session, caller, AuditAction.CREATE, row, None)


def update(
    session: Session, caller: Caller, row: m.Base, columns: dict[str, Any], what: str
) -> None:
    before = snapshot(row)
    try:
        with session.begin_nested():
            for name, value in columns.items():
                setattr(row, name, value)
    except IntegrityError as error:
        raise _refused(error, what) from error
    record(session, caller, AuditAction.UPDATE, row, before)


def delete(session: Session, caller: Caller, row: m.Base, what: str) -> None:
    record(session, caller, AuditAction.DELETE, row, snapshot(row))
    try:
        with session.begin_nested():
            session.delete(row)
    except IntegrityError as error:
        raise _refused(error, what) from error


def check_period(start: Any, end: Any, field: str) -> None:
    if (problem := period_problem(start, end)) is not None:
        raise body_error(field, problem)
