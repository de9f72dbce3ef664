"""The registry's search: what is indexed of each kind, the index kept per data version, and
the answer, grouped by kind.

The index is read from the database once per data version (app/models/versions.py) and kept
in a `VersionedCache` of the app (`app.state.search`): a query then costs no database read
beyond the version's, and a write makes the next query read the index anew.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.http.answers import VersionedCache
from app.models import (
    Body,
    Country,
    Document,
    Meeting,
    Operation,
    Organization,
    Source,
    Stage,
    Substance,
)
from app.models.enums import OperationKind
from app.models.versions import data_version
from app.search.index import MIN_QUERY, Entry, Hit, SearchIndex, terms

# The kinds of thing found, in the order their groups come when their best matches tie.
KINDS = (
    "body",
    "organization",
    "operation",
    "stage",
    "exercise",
    "meeting",
    "document",
    "source",
    "country",
    "substance",
)
PER_KIND = 50  # hits of one kind: past that, the query is too broad to read through


def new_cache() -> VersionedCache:
    """One index at a time: the one of the newest data version."""
    return VersionedCache(max_weight=1)


def current_index(session: Session, cache: VersionedCache) -> SearchIndex:
    index: SearchIndex = cache.get_or_make(
        data_version(session), "index", lambda: build_index(session)
    )
    return index


def build_index(session: Session) -> SearchIndex:
    readers: list[Callable[[Session], Iterator[Entry]]] = [
        _bodies,
        _organizations,
        _operations,
        _stages,
        _meetings,
        _documents,
        _sources,
        _countries,
        _substances,
    ]
    return SearchIndex([entry for read in readers for entry in read(session)])


@dataclass(frozen=True)
class Found:
    """The answer to a query: the hits of each kind, the best-matching kind first; or, for
    a query too short to search, no groups and `too_short`."""

    query: str
    groups: list[tuple[str, list[Hit]]]
    too_short: bool = False

    @property
    def total(self) -> int:
        return sum(len(hits) for _, hits in self.groups)


def search(session: Session, cache: VersionedCache, query: str) -> Found:
    query = " ".join(query.split())
    if len(query.replace(" ", "")) < MIN_QUERY:
        return Found(query, [], too_short=True)
    by_kind: dict[str, list[Hit]] = {}
    for hit in current_index(session, cache).find(query):
        by_kind.setdefault(hit.entry.kind, []).append(hit)
    groups = sorted(
        by_kind.items(), key=lambda group: (group[1][0].rank()[:3], KINDS.index(group[0]))
    )
    return Found(query, [(kind, hits[:PER_KIND]) for kind, hits in groups])


def _named(kind: str, key: str, path: str, row: Any, **more: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "key": key,
        "path": path,
        "name_en": row.name_en,
        "name_ru": row.name_ru,
        **more,
    }


def _bodies(session: Session) -> Iterator[Entry]:
    stmt = select(Body.slug, Body.name_en, Body.name_ru, Body.acronym_en, Body.acronym_ru).order_by(
        Body.id
    )
    for order, row in enumerate(session.execute(stmt)):
        item = _named(
            "body",
            row.slug,
            f"/api/v1/bodies/{row.slug}",
            row,
            acronym_en=row.acronym_en,
            acronym_ru=row.acronym_ru,
        )
        names = terms([row.name_en, row.name_ru], primary=True)
        yield Entry("body", order, item, names + terms([row.acronym_en, row.acronym_ru]))


def _organizations(session: Session) -> Iterator[Entry]:
    columns = (Organization.slug, Organization.acronym_en, Organization.acronym_ru)
    stmt = select(*_name_columns(Organization), *columns).order_by(Organization.id)
    for order, row in enumerate(session.execute(stmt)):
        item = _named(
            "organization",
            row.slug,
            f"/api/v1/organizations/{row.slug}",
            row,
            acronym_en=row.acronym_en,
            acronym_ru=row.acronym_ru,
        )
        more = terms([*_aliases(row), row.acronym_en, row.acronym_ru])
        yield Entry("organization", order, item, terms(_names(row), primary=True) + more)


def _operations(session: Session) -> Iterator[Entry]:
    stmt = select(*_name_columns(Operation), Operation.slug).order_by(Operation.id)
    for order, row in enumerate(session.execute(stmt)):
        item = _named("operation", row.slug, f"/api/v1/operations/{row.slug}", row)
        yield Entry(
            "operation", order, item, terms(_names(row), primary=True) + terms(_aliases(row))
        )


def _stages(session: Session) -> Iterator[Entry]:
    """Channel's stages and the exercises (the stages of an exercise such as Grom): by their
    names, their number ("stage 25", «этап 25»), their headquarters or their place."""
    operation = aliased(Operation)
    stmt = (
        select(
            Stage.id,
            Stage.number,
            Stage.name_en,
            Stage.name_ru,
            Stage.start_on,
            Stage.hq_city_en,
            Stage.hq_city_ru,
            Stage.place,
            operation.kind,
            operation.name_en.label("operation_en"),
            operation.name_ru.label("operation_ru"),
        )
        .join(operation, operation.id == Stage.operation_id)
        .order_by(Stage.start_on, Stage.id)
    )
    for order, row in enumerate(session.execute(stmt)):
        kind = "exercise" if row.kind == OperationKind.TACTICAL_EXERCISE else "stage"
        item = _named(
            kind,
            str(row.id),
            f"/api/v1/stages/{row.id}",
            row,
            operation_en=row.operation_en,
            operation_ru=row.operation_ru,
            number=row.number,
            date=row.start_on,
            place_en=row.hq_city_en,
            place_ru=row.hq_city_ru,
            place=row.place,
        )
        numbered = [f"stage {row.number}", f"этап {row.number}"] if row.number else []
        places = [row.hq_city_en, row.hq_city_ru, row.place]
        names = terms([row.name_en, row.name_ru, *numbered], primary=True)
        yield Entry(kind, order, item, names + terms(places))


def _meetings(session: Session) -> Iterator[Entry]:
    """The Council's meetings and its bodies': by number ("meeting 25", «заседание 25») and
    by the city the source names."""
    stmt = (
        select(
            Meeting.id,
            Meeting.number,
            Meeting.held_on,
            Meeting.date_precision,
            Meeting.place,
            Body.acronym_en,
            Body.acronym_ru,
            Body.name_en.label("body_en"),
            Body.name_ru.label("body_ru"),
        )
        .join(Body, Body.id == Meeting.body_id)
        .order_by(Meeting.held_on, Meeting.id)
    )
    for order, row in enumerate(session.execute(stmt)):
        item = {
            "kind": "meeting",
            "key": str(row.id),
            "path": f"/api/v1/meetings/{row.id}",
            "name_en": None,
            "name_ru": None,
            "body_en": row.acronym_en or row.body_en,
            "body_ru": row.acronym_ru or row.body_ru,
            "number": row.number,
            "date": row.held_on,
            "date_precision": row.date_precision,
            "place": row.place,
        }
        number = f" {row.number}" if row.number else ""
        names = terms([f"meeting{number}", f"заседание{number}"], primary=True)
        yield Entry("meeting", order, item, names + terms([row.place]))


def _documents(session: Session) -> Iterator[Entry]:
    stmt = select(Document.slug, Document.title_en, Document.title_ru).order_by(Document.id)
    for order, row in enumerate(session.execute(stmt)):
        item = {
            "kind": "document",
            "key": row.slug,
            "path": f"/api/v1/documents/{row.slug}",
            "name_en": row.title_en,
            "name_ru": row.title_ru,
        }
        yield Entry("document", order, item, terms([row.title_en, row.title_ru], primary=True))


def _sources(session: Session) -> Iterator[Entry]:
    """Sources by their title (in its own language) and their publisher."""
    stmt = select(Source.slug, Source.title, Source.publisher, Source.publisher_ru).order_by(
        Source.id
    )
    for order, row in enumerate(session.execute(stmt)):
        item = {
            "kind": "source",
            "key": row.slug,
            "path": f"/api/v1/sources/{row.slug}",
            "name_en": None,
            "name_ru": None,
            "title": row.title,
            "publisher_en": row.publisher,
            "publisher_ru": row.publisher_ru,
        }
        publishers = terms([row.publisher, row.publisher_ru])
        yield Entry("source", order, item, terms([row.title], primary=True) + publishers)


def _countries(session: Session) -> Iterator[Entry]:
    stmt = select(*_name_columns(Country), Country.iso3).order_by(Country.name_en)
    for order, row in enumerate(session.execute(stmt)):
        item = _named("country", row.iso3, f"/api/v1/countries/{row.iso3}", row)
        more = terms([*_aliases(row), row.iso3])
        yield Entry("country", order, item, terms(_names(row), primary=True) + more)


def _substances(session: Session) -> Iterator[Entry]:
    stmt = select(*_name_columns(Substance), Substance.slug).order_by(Substance.id)
    for order, row in enumerate(session.execute(stmt)):
        item = _named("substance", row.slug, f"/api/v1/substances/{row.slug}", row)
        yield Entry(
            "substance", order, item, terms(_names(row), primary=True) + terms(_aliases(row))
        )


def _name_columns(model: Any) -> list[Any]:
    return [model.name_en, model.name_ru, model.aliases_en, model.aliases_ru]


def _names(row: Any) -> list[str | None]:
    return [row.name_en, row.name_ru]


def _aliases(row: Any) -> list[str]:
    return [*(row.aliases_en or []), *(row.aliases_ru or [])]
