"""What changed in the record: the rows of `record_history` (app/models/history.py) as
changes a reader can follow, newest first.

A history row is the state a change left (for a delete, the last state); its change's
`before` is the row's previous state (the history row before it of the same table and row),
read in the same select. `baseline` rows are the record as it stood when history began,
not changes: they are left out, and `history_began` says when that was.

The lists read with Core selects and build each entry in the answer's shape (the JSON page
is written without a validation pass, `shaped=True`): a page of entries costs one select
of the history, then one select a kind of record on the page for whether each record still
exists and where it is read, and one for the sources the entries cite.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, Table, literal, select, true, type_coerce
from sqlalchemy.orm import Session, aliased

from app.changelog.entities import ENTITIES, HIDDEN_COLUMNS, PAGES, Entity, entity_named
from app.error_words import said
from app.errors import InvalidParameterError
from app.models import Base, Operation, RecordHistory, Release, Source, Stage
from app.models.enums import OperationKind
from app.models.versions import in_utc

CHANGE_WORDS = {"insert": "added", "update": "corrected", "delete": "deleted"}
HISTORY = RecordHistory.__table__
MAX_RELEASES_NAMED = 20


@dataclass(frozen=True)
class ChangeFilters:
    """Which changes: data versions after `after_version` up to `up_to_version` (a release's),
    times from `since` to before `before`, and the kinds of record (tables)."""

    release: str | None = None
    after_version: int | None = None
    up_to_version: int | None = None
    since: datetime | None = None
    before: datetime | None = None
    tables: tuple[str, ...] = ()
    entity: str | None = None

    def up_to(self, past: Any) -> "ChangeFilters":
        """The filters on the record as it stood (`as_of`): no change after its version."""
        if past is None:
            return self
        bound = past.data_version
        if self.up_to_version is not None:
            bound = min(bound, self.up_to_version)
        return replace(self, up_to_version=bound)

    def where(self, dialect: str) -> list[ColumnElement[bool]]:
        h = HISTORY.c
        found: list[ColumnElement[bool]] = [h.change != "baseline"]
        if self.after_version is not None:
            found.append(h.version > self.after_version)
        if self.up_to_version is not None:
            found.append(h.version <= self.up_to_version)
        if self.since is not None:
            found.append(h.changed_at >= _stored(self.since, dialect))
        if self.before is not None:
            found.append(h.changed_at < _stored(self.before, dialect))
        if self.tables:
            found.append(h.table_name.in_(self.tables))
        return found


def _stored(moment: datetime, dialect: str) -> Any:
    """A bound of `changed_at` as the column holds it. SQLite keeps the triggers' text,
    `2026-12-06 10:49:30.012` (milliseconds), and compares text: the bound is written the
    same way, rounded up to the millisecond (a time at or after `moment` is at or after it)."""
    if dialect != "sqlite":
        return moment
    try:
        ceiling = moment + timedelta(microseconds=-moment.microsecond % 1000)
    except OverflowError:
        ceiling = moment
    written = f"{ceiling:%Y-%m-%d %H:%M:%S}.{ceiling.microsecond // 1000:03d}"
    return type_coerce(literal(written), String)


def change_filters(
    session: Session,
    release: str | None,
    since: str | None,
    until: str | None,
    entity: str | None,
) -> ChangeFilters:
    """The filters as given, checked: each bad value is a 422 naming its parameter."""
    problems: list[tuple[str, str]] = []
    after_version = up_to_version = None
    if release is not None:
        try:
            after_version, up_to_version = release_versions(session, release)
        except InvalidParameterError as error:
            problems.extend((e["name"], e["message"]) for e in error.errors or [])
    start = end = None
    for name, given in (("since", since), ("until", until)):
        if given is None:
            continue
        try:
            moment = moment_of(given, end=name == "until")
        except ValueError as error:
            problems.append((name, error.args[0]))  # a Said: its Russian twin kept
            continue
        if name == "since":
            start = moment
        else:
            end = moment
    if start is not None and end is not None and end <= start:
        problems.append(("until", said("is not after `since`", "не позже `since`")))
    tables: tuple[str, ...] = ()
    if entity is not None:
        try:
            tables = (entity_named(entity).table,)
        except InvalidParameterError as error:
            problems.extend((e["name"], e["message"]) for e in error.errors or [])
    if problems:
        first, *rest = problems
        raise InvalidParameterError(*first, also=rest)
    return ChangeFilters(
        release=release,
        after_version=after_version,
        up_to_version=up_to_version,
        since=start,
        before=end,
        tables=tables,
        entity=ENTITIES[tables[0]].name if tables else None,
    )


def release_versions(session: Session, version: str) -> tuple[int | None, int]:
    """The data versions a release's changes lie between: after the previous release's
    (None for the first release), up to its own."""
    releases = session.execute(
        select(Release.version, Release.data_version).order_by(Release.id)
    ).all()
    previous: int | None = None
    for name, data_version in releases:
        if name == version:
            return previous, data_version
        previous = data_version
    known = [name for name, _ in releases][-MAX_RELEASES_NAMED:]
    listed = ", ".join(known)
    raise InvalidParameterError(
        "release",
        said(
            f"no release {version[:64]!r}; "
            + (f"the releases are {listed}" if known else "no release has been made yet"),
            f"нет выпуска {version[:64]!r}; "
            + (f"выпуски: {listed}" if known else "выпусков ещё нет"),
        ),
    )


def moment_of(text: str, *, end: bool) -> datetime:
    """An ISO date (`2026-12-01`: from its start, or, as an end, to its end) or date-time
    (`2026-12-01T10:00:00Z`; one without a zone is UTC), in UTC; ValueError otherwise. A
    moment past the calendar's ends (an end on 9999-12-31) is its end."""
    try:
        if len(text) == len("2026-12-01"):
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(), UTC)
            whole = timedelta(days=1)
        else:
            moment = datetime.fromisoformat(text)
            # An end given to the second takes that second whole: `...T10:00:00` holds
            # 10:00:00.5; one given to the microsecond, that microsecond.
            has_fraction = "." in text.partition("T")[2]
            whole = timedelta(microseconds=1) if has_fraction else timedelta(seconds=1)
    except ValueError as error:
        raise ValueError(
            said(
                f"{text[:40]!r} is not an ISO date or date-time: give 2026-12-01 or "
                "2026-12-01T10:00:00Z (an offset's + is %2B in a URL)",
                f"{text[:40]!r} — не дата и не время в формате ISO: укажите 2026-12-01 или "
                "2026-12-01T10:00:00Z (знак + смещения пишется в адресе как %2B)",
            )
        ) from error
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return moment + whole if end else moment
    except OverflowError:
        return (datetime.max if moment.year > 1 else datetime.min).replace(tzinfo=UTC)


# -- the entries -----------------------------------------------------------------------------


def list_changes(
    session: Session,
    filters: ChangeFilters,
    after: int,
    limit: int,
    public_url: str | None,
) -> list[dict[str, Any]]:
    """The changes, newest first, from the one before history row `after` (0: the newest)."""
    h = HISTORY.c
    earlier = aliased(RecordHistory)
    before = (
        select(earlier.row_data)
        .where(
            earlier.table_name == h.table_name,
            earlier.row_id == h.row_id,
            earlier.version < h.version,
        )
        .order_by(earlier.version.desc(), earlier.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            h.id, h.table_name, h.row_id, h.version, h.changed_at, h.change, h.row_data,
            before.label("before"),
        )
        .where(*filters.where(_dialect(session)), h.id < after if after else true())
        .order_by(h.id.desc())
        .limit(limit)
    )  # fmt: skip
    rows = session.execute(stmt).all()
    return entries(session, rows, public_url)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def entries(session: Session, rows: Iterable[Any], public_url: str | None) -> list[dict[str, Any]]:
    rows = list(rows)
    links = _links(session, rows)
    states = [_states(row) for row in rows]
    sources = _sources(session, states)
    base = public_url or ""
    found = []
    for row, (before, after) in zip(rows, states, strict=True):
        entity = ENTITIES[row.table_name]
        api_url, page_url = links.get((row.table_name, row.row_id), (None, None))
        fields = None
        if row.change == "update":
            fields = [k for k in {**before, **after} if before.get(k) != after.get(k)]
        found.append(
            {
                "id": row.id,
                "data_version": row.version,
                "changed_at": in_utc(row.changed_at).isoformat().replace("+00:00", "Z"),
                "entity": entity.name,
                "entity_id": row.row_id,
                "change": CHANGE_WORDS[row.change],
                "fields": fields,
                "before": before if row.change != "insert" else None,
                "after": after if row.change != "delete" else None,
                "source": sources.get((after or before).get("source_id") or 0),
                "api_url": base + api_url if api_url else None,
                "page_url": base + page_url if page_url else None,
            }
        )
    return found


def _states(row: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state before the change and after it, as a reader is shown them ({} for none)."""
    state = shown(row.table_name, row.row_data)
    if row.change == "delete":
        return state, {}
    if row.change == "insert":
        return {}, state
    return shown(row.table_name, row.before or {}), state


def shown(table_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """A row's state in its table's column order (PostgreSQL's JSON orders keys its own
    way), booleans as booleans (SQLite's JSON writes 1 and 0), without hidden columns."""
    ordered: dict[str, Any] = {}
    for name, is_bool in _columns(table_name):
        if name in data:
            value = data[name]
            ordered[name] = bool(value) if is_bool and isinstance(value, int) else value
    if len(ordered) < len(data):  # a column since dropped, or a hidden one
        for name in sorted(set(data) - set(ordered) - HIDDEN_COLUMNS):
            ordered[name] = data[name]
    return ordered


@cache
def _columns(table_name: str) -> tuple[tuple[str, bool], ...]:
    """The columns a reader is shown, in order, each with whether it is a boolean."""
    table: Table = Base.metadata.tables[table_name]
    return tuple(
        (column.name, isinstance(column.type, Boolean))
        for column in table.columns
        if column.name not in HIDDEN_COLUMNS
    )


def _sources(
    session: Session, states: list[tuple[dict[str, Any], dict[str, Any]]]
) -> dict[int, dict[str, Any]]:
    ids = {
        source_id
        for before, after in states
        if isinstance(source_id := (after or before).get("source_id"), int)
    }
    if not ids:
        return {}
    stmt = select(Source.id, Source.slug, Source.title, Source.url).where(Source.id.in_(ids))
    return {
        row.id: {
            "id": row.id,
            "title": row.title,
            "url": row.url,
            "api_url": f"/api/v1/sources/{row.id}",
            "page_url": f"/sources/{row.slug}",
        }
        for row in session.execute(stmt)
    }


# -- where a record is read ------------------------------------------------------------------

# The columns of a record's row its addresses are made from.
NAMING_COLUMNS = ("id", "slug", "iso3")


def _links(
    session: Session, rows: list[Any]
) -> dict[tuple[str, int], tuple[str | None, str | None]]:
    """For each record of `rows` that still exists: its API address and its page (its own,
    or the holding record's), as paths from the root."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        wanted.setdefault(row.table_name, set()).add(row.row_id)
    current = {table: _current(session, table, ids) for table, ids in wanted.items()}
    # The holders the existing records name, looked up the same way.
    holding: dict[str, set[int]] = {}
    for table, found in current.items():
        for record in found.values():
            holder = _holder(ENTITIES[table], record)
            if holder is not None:
                holding.setdefault(holder[0], set()).add(holder[1])
    for table, ids in holding.items():
        current.setdefault(table, {}).update(
            _current(session, table, ids - set(current.get(table, {})))
        )
    exercises = _exercise_stages(session, current.get("stages", {}))
    links = {}
    for table, found in current.items():
        if table not in wanted:
            continue
        entity = ENTITIES[table]
        for row_id, record in found.items():
            if row_id not in wanted[table]:
                continue
            holder = _holder(entity, record)
            held = current.get(holder[0], {}).get(holder[1]) if holder else None
            api = _api(entity, record) or (
                _api(ENTITIES[holder[0]], held) if holder and held else None
            )
            page = _page(table, record, exercises)
            if page is None and holder and held:
                page = _page(holder[0], held, exercises)
            links[(table, row_id)] = (api, page)
    return links


def _current(session: Session, table_name: str, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    table: Table = Base.metadata.tables[table_name]
    entity = ENTITIES[table_name]
    names = [*NAMING_COLUMNS, *(column for column, _ in entity.holders)]
    columns = [table.c[name] for name in dict.fromkeys(names) if name in table.c]
    stmt = select(*columns).where(table.c.id.in_(ids))
    return {row.id: dict(row._mapping) for row in session.execute(stmt)}


def _holder(entity: Entity, record: dict[str, Any]) -> tuple[str, int] | None:
    for column, table in entity.holders:
        if record.get(column) is not None:
            return table, record[column]
    return None


def _api(entity: Entity, record: dict[str, Any]) -> str | None:
    return entity.api.format(**record) if entity.api else None


def _page(table: str, record: dict[str, Any], exercises: set[int]) -> str | None:
    if table == "stages" and record["id"] in exercises:
        return f"/exercises/{record['id']}"
    template = PAGES.get(table)
    return template.format(**record) if template else None


def _exercise_stages(session: Session, stages: dict[int, dict[str, Any]]) -> set[int]:
    """The stages of `stages` that are exercises (their page is /exercises/{id})."""
    if not stages:
        return set()
    stmt = (
        select(Stage.id)
        .join(Operation, Operation.id == Stage.operation_id)
        .where(Stage.id.in_(stages), Operation.kind == OperationKind.TACTICAL_EXERCISE)
    )
    return set(session.scalars(stmt))


# -- where history begins --------------------------------------------------------------------


@dataclass(frozen=True)
class Beginning:
    """The first state history holds: the baseline (the record when history began), or,
    on a registry that held nothing then, its first change."""

    data_version: int
    changed_at: datetime
    baseline: bool


def history_began(session: Session) -> Beginning | None:
    h = HISTORY.c
    row = session.execute(select(h.version, h.changed_at, h.change).order_by(h.id).limit(1)).first()
    if row is None:
        return None
    return Beginning(row.version, in_utc(row.changed_at), row.change == "baseline")


def releases(session: Session) -> list[dict[str, Any]]:
    """Every release, newest first (the page's choice of release)."""
    stmt = select(Release.version, Release.released_at, Release.data_version).order_by(
        Release.id.desc()
    )
    return [dict(row._mapping) for row in session.execute(stmt)]
