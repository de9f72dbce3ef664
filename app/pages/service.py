"""What the pages show, built from the service functions the API answers with: the totals
are `seizure_totals`, the lists `list_seizures`, the entities `get_operation`,
`get_stage`, `get_country` and `get_source`. Nothing here sums or filters on its own."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.common import stage_reference
from app.http.schemas import nest_source
from app.models import (
    Country,
    Document,
    Membership,
    Organization,
    Participation,
    SeizureReportYear,
    Source,
    Stage,
)
from app.models.enums import ClaimField, MembershipStatus, PartyKind, UnitKind
from app.operations import service as operations
from app.operations.stage_table import dates_disagree, differs, stage_table
from app.pages import colours
from app.pages.i18n import translations
from app.reference import service as reference
from app.seizures.covering import broader_figures
from app.seizures.service import ANY_ID, SeizureFilters, list_seizures
from app.seizures.totals import seizure_totals

FRONT_GROUPS = ("year", "substance")
LIST_LIMIT = 1000  # the option lists of the filter form


def name(item: dict[str, Any] | None, lang: str) -> str:
    """The name of a reference in the page's language, English where there is no other."""
    if not item:
        return ""
    return str(item.get(f"name_{lang}") or item.get("name_en") or item.get("slug") or "")


@dataclass
class Option:
    value: str
    label: str
    depth: int = 0


@dataclass
class FilterOptions:
    years: list[int]
    substances: list[Option]
    countries: list[Option]
    operations: list[Option]
    stages: list[Option]


def filter_options(session: Session, lang: str) -> FilterOptions:
    """The choices of the filter form, from the reference lists."""
    # The years any report's period touches, from their index: each end one index probe
    # (the reports' own periods took a scan of every report, 0.1 s at 200,000).
    year = SeizureReportYear.year
    first, last = session.execute(
        select(select(func.min(year)).scalar_subquery(), select(func.max(year)).scalar_subquery())
    ).one()
    years = list(range(int(first), int(last) + 1)) if first is not None else []
    substances = list(_flattened(reference.substance_tree(session), lang))
    countries = [
        Option(c["iso3"], name(c, lang))
        for c in reference.list_countries(session, None, 0, LIST_LIMIT)
    ]
    countries.sort(key=lambda option: option.label)
    ops = operations.list_operations(session, None, None, 0, LIST_LIMIT)
    op_names = {o["slug"]: name(o, lang) for o in ops}
    stages = [
        Option(
            stage_reference(s["operation"], s["number"], s["slug"], s["id"]),
            _stage_label(s, lang, op_names),
        )
        for s in operations.list_stages(session, None, 0, LIST_LIMIT)
    ]
    return FilterOptions(
        years, substances, countries, [Option(o["slug"], name(o, lang)) for o in ops], stages
    )


def _stage_label(stage: dict[str, Any], lang: str, op_names: dict[str, str]) -> str:
    """A stage as the filter form names it: its name in the page's language, or the other
    language's; `Channel, stage 31` where it has no name."""
    named = stage.get(f"name_{lang}") or stage.get("name_en") or stage.get("name_ru")
    if named:
        return str(named)
    operation = op_names.get(stage["operation"], stage["operation"])
    # The msgid of `facts.stage_label`, which imports the charts that import this module.
    label = translations(lang).gettext("%(operation)s, stage %(number)s")
    return label % {"operation": operation, "number": stage["number"]}


def _flattened(tree: Sequence[dict[str, Any]], lang: str, depth: int = 0) -> Iterator[Option]:
    for node in tree:
        yield Option(node["slug"], name(node, lang), depth)
        yield from _flattened(node.get("children") or [], lang, depth + 1)


@dataclass
class Figure:
    """One line of the totals as the page shows it."""

    section: str  # "groups" (one year) or "beyond_window" (a period over several years)
    unit_kind: str
    amount: int
    qualifier: str
    estimated: bool
    substance: dict[str, Any]
    year: int | None
    period: tuple[str, str] | None
    years: list[int]
    unspecified: bool
    derived: bool
    sources: list[dict[str, Any]]  # source slug, title, locator
    bound_word: str | None = None  # a lower bound's word: "more_than" or "at_least"


@dataclass
class SeizureView:
    totals: dict[str, Any]
    figures: list[Figure]
    stated: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    unit_kinds: list[str] = field(default_factory=list)
    examples: frozenset[str] = frozenset()
    palette: dict[str, str] = field(default_factory=dict)  # each substance's colour
    broader: list[dict[str, Any]] = field(default_factory=list)  # the totals' `covered_by`


def broader_view(figures: list[dict[str, Any]], titles: dict[str, str]) -> list[dict[str, Any]]:
    """The totals' `covered_by` as the pages show them: each with its citation, and its
    unitemized part as a quantity of its own."""
    return [
        figure
        | {
            "cite": {
                "slug": figure["source"],
                "title": titles.get(figure["source"], figure["source"]),
                "locator": figure["locator"],
            },
            "unitemized": None
            if figure["unitemized_amount"] is None
            else {
                "amount": figure["unitemized_amount"],
                "qualifier": figure["unitemized_qualifier"],
                "unit_kind": figure["unit_kind"],
                "bound_word": figure["bound_word"],
            },
        }
        for figure in figures
    ]


def seizure_view(session: Session, filters: SeizureFilters, *, pro_rata: bool) -> SeizureView:
    """The front page's figures: the API's totals by year and substance, as they are."""
    totals = seizure_totals(session, filters, FRONT_GROUPS, pro_rata=pro_rata)
    titles = source_titles(session)
    figures = [
        _figure(section, line, titles)
        for section in ("groups", "beyond_window")
        for line in totals[section]
    ]
    kinds = [kind.value for kind in UnitKind if any(f.unit_kind == kind for f in figures)]
    return SeizureView(
        totals=totals,
        broader=broader_view(totals["covered_by"], titles),
        figures=figures,
        stated=totals["stated_totals"],
        warnings=totals["warnings"],
        unit_kinds=kinds,
        examples=example_sources(session),
        palette=substance_palette(session),
    )


def substance_palette(session: Session) -> dict[str, str]:
    """Every substance's colour, fixed by the taxonomy alone (app/pages/colours.py)."""
    return colours.substance_colours(reference.substance_tree(session))


def _figure(section: str, line: dict[str, Any], titles: dict[str, str]) -> Figure:
    period = None
    if section == "beyond_window":
        period = (str(line["period_start"]), str(line["period_end"]))
    return Figure(
        section=section,
        unit_kind=str(line["unit_kind"]),
        amount=int(line["amount"]),
        qualifier=str(line["qualifier"]),
        estimated=bool(line.get("estimated")),
        bound_word=line.get("bound_word"),
        substance=line["substance"],
        year=line.get("year"),
        period=period,
        years=list(line.get("years") or ([line["year"]] if line.get("year") else [])),
        unspecified=bool(line.get("unspecified")),
        derived=bool(line.get("derived")),
        sources=[
            {**cite, "title": titles.get(cite["source"], cite["source"])}
            for cite in line["sources"]
        ],
    )


def source_titles(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Source.slug, Source.title)).all())


def example_sources(session: Session) -> frozenset[str]:
    """The slugs of the sources made up for examples (seeds/sources.yaml: example-source)."""
    return frozenset(session.scalars(select(Source.slug).where(Source.is_example)))


def multi_year_example(session: Session) -> dict[str, Any] | None:
    """The worked example of /methods: the first multi-year report with parts, its parts
    and what the totals make of it by year, with and without pro rata."""
    stated = list_seizures(session, SeizureFilters(has_parts=True, top_level_only=True), None)
    report = next((r for r in stated if len(r["years"]) > 1), None)
    if report is None:
        return None
    window = SeizureFilters(period=(report["period_start"], report["period_end"]))
    parts = [r for r in list_seizures(session, window, None) if r["parent_id"] == report["id"]]
    by_year = seizure_totals(session, window, ["year", "substance"])
    shared = seizure_totals(session, window, ["year"], pro_rata=True)
    return {"report": report, "parts": parts, "by_year": by_year, "pro_rata": shared}


# --- entities ----------------------------------------------------------------------------


def operation_page(session: Session, slug: str, lang: str) -> dict[str, Any]:
    operation = operations.get_operation(session, slug)
    filters = SeizureFilters(operation_id=operation["id"])
    operation["seizures"] = list_seizures(session, replace(filters, top_level_only=True), None)
    titles = document_titles(session, lang)
    for status in operation["statuses"]:  # the decision by its title, not its slug
        status["decision_title"] = titles.get(status["decision"]) if status["decision"] else None
    organizations = {
        slug_: name_in_lang(name_en, name_ru, lang)
        for slug_, name_en, name_ru in session.execute(
            select(Organization.slug, Organization.name_en, Organization.name_ru)
        )
    }
    for assessment in operation["assessments"]:
        key = assessment["organization"]
        assessment["organization_name"] = organizations.get(key, key) if key else None
    operation["stage_table"] = stage_rows(session, operation["id"], lang)
    return _sources_nested(operation)


def stage_rows(session: Session, operation_id: int, lang: str) -> list[dict[str, Any]]:
    """The operation's stage table, its citations nested and its headquarters' country
    named in the page's language."""
    countries = country_names(session, lang)
    rows = stage_table(session, operation_id)
    for row in rows:
        hq = row["headquarters"]
        if hq:
            hq["country_name"] = countries.get(hq["country"]) if hq["country"] else None
        for key in ("total", "shares", "date_words"):
            row[key] = [_nested_figure(item) for item in row[key]]
    return rows


def _nested_figure(item: dict[str, Any]) -> dict[str, Any]:
    item = nest_source(item)
    if "versions" in item:
        item["versions"] = [nest_source(version) for version in item["versions"]]
    return item


def country_names(session: Session, lang: str) -> dict[str, str]:
    """Every country's name in the page's language, by its ISO code."""
    return {
        iso3: name_in_lang(name_en, name_ru, lang)
        for iso3, name_en, name_ru in session.execute(
            select(Country.iso3, Country.name_en, Country.name_ru)
        )
    }


def stage_totals(session: Session, operation_id: int) -> dict[str, Any]:
    """The operation's stages' seizures summed by stage and substance, as the API's totals
    give them (`stage=any&group_by=stage,substance`): each quantity counted once, and a
    summary over stages left aside, so that each stage shows its own figures."""
    return seizure_totals(
        session,
        SeizureFilters(operation_id=operation_id, stage_id=ANY_ID),
        ("stage", "substance"),
    )


def name_in_lang(english: str | None, russian: str | None, lang: str) -> str:
    """The Russian name on a Russian page where there is one, else the English one."""
    return (russian if lang == "ru" and russian else english) or ""


def document_titles(session: Session, lang: str) -> dict[str, str]:
    return {
        slug: name_in_lang(title_en, title_ru, lang)
        for slug, title_en, title_ru in session.execute(
            select(Document.slug, Document.title_en, Document.title_ru)
        )
    }


def stage_page(session: Session, stage_id: int, lang: str) -> dict[str, Any]:
    stage = operations.get_stage(session, stage_id)
    stage["operation_detail"] = operations.get_operation(session, stage["operation"])
    if stage["lead_country"]:  # by its name, not its code
        stage["lead_country_detail"] = reference.get_country(session, stage["lead_country"])
    if stage["headquarters"] and stage["headquarters"]["country"]:
        iso3 = stage["headquarters"]["country"]
        stage["headquarters"]["country_name"] = country_names(session, lang).get(iso3)
    picked: dict[str, date | None] = {
        ClaimField.START_ON: stage["start_on"],
        ClaimField.END_ON: stage["end_on"],
    }
    stage["dates_disagree"] = dates_disagree(stage["claims"], picked)
    stage["officers"] = [r for r in stage["results"] if r["metric"] == "officers_involved"]
    stage["other_results"] = [r for r in stage["results"] if r["metric"] != "officers_involved"]
    stage["counted_seizures"] = _seizure_versions(stage["seizures"])
    countries = country_names(session, lang)
    for result in stage["results"]:
        result["alternatives"] = [nest_source(v) for v in result["alternatives"]]
        result["country_name"] = countries.get(result["country"]) if result["country"] else None
    return _sources_nested(stage)


def _seizure_versions(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The counted reports, each with the other sources' versions of it (`versions`) and
    whether any states another quantity or qualifier (`disagree`)."""
    versions: dict[int, list[dict[str, Any]]] = {}
    for report in reports:
        if report["alternative_to"] is not None:
            versions.setdefault(report["alternative_to"], []).append(nest_source(report))
    return [
        {**nest_source(report), "versions": versions.get(report["id"], []),
         "disagree": any(differs(v, report, "amount") for v in versions.get(report["id"], []))}
        for report in reports
        if report["alternative_to"] is None
    ]  # fmt: skip


def _sources_nested(entity: dict[str, Any]) -> dict[str, Any]:
    """The citations of the entity and of what it lists (parties, statuses, figures) as the
    API's answer nests them (`source`: slug, title, locator); services give them flat
    (`source_slug`, ...), and the API's response models nest them."""
    entity = nest_source(entity)
    for key, value in entity.items():
        if isinstance(value, list):
            entity[key] = [nest_source(item) if isinstance(item, dict) else item for item in value]
    return entity


def country_page(session: Session, iso3: str) -> dict[str, Any]:
    country = reference.get_country(session, iso3.upper())
    country_id = reference.country_id(session, country["iso3"])
    country["memberships"] = [
        {
            "organization": {"slug": slug, "name_en": name_en, "name_ru": name_ru},
            "status": status,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "source": source,
            "locator": locator,
        }
        for (
            slug,
            name_en,
            name_ru,
            status,
            valid_from,
            valid_to,
            source,
            locator,
        ) in session.execute(
            select(
                Organization.slug,
                Organization.name_en,
                Organization.name_ru,
                Membership.status,
                Membership.valid_from,
                Membership.valid_to,
                Source.slug,
                Membership.locator,
            )
            .join(Organization, Organization.id == Membership.organization_id)
            .join(Source, Source.id == Membership.source_id)
            .where(Membership.country_id == country_id)
            .order_by(Membership.valid_from)
        )
    ]
    country["roles"] = roles_of(session, country_id) + roles_as_member(session, country_id)
    country["broader"] = broader_view(
        broader_figures(session, SeizureFilters(country_id=country_id)), source_titles(session)
    )
    country["seizures"] = list_seizures(
        session, SeizureFilters(country_id=country_id, top_level_only=True), None
    )
    return country


def roles_of(session: Session, country_id: int | None) -> list[dict[str, Any]]:
    """The country's participations in operations and stages, with what they belong to."""
    rows = session.execute(
        select(
            Participation.id,
            Participation.operation_id,
            Participation.stage_id,
            Participation.role,
            Participation.party_detail,
            Participation.party_detail_ru,
            Source.slug,
            Participation.locator,
        )
        .join(Source, Source.id == Participation.source_id)
        .where(Participation.country_id == country_id)
        .order_by(Participation.id)
    ).all()
    stages = {s["id"]: s for s in operations.list_stages(session, None, 0, None)}
    ops = {o["id"]: o for o in operations.list_operations(session, None, None, 0, LIST_LIMIT)}
    found = []
    for _id, operation_id, stage_id, role, detail, detail_ru, source, locator in rows:
        stage = stages.get(stage_id) if stage_id is not None else None
        operation = ops.get(operation_id) if operation_id is not None else None
        if operation is None and stage is None:
            continue  # an event's or a meeting's party: not a role in an operation
        if (
            operation is None and stage is not None
        ):  # named with its operation ("Channel, stage 31")
            operation = next((o for o in ops.values() if o["slug"] == stage["operation"]), None)
        found.append(
            {
                "operation": operation,
                "stage": stage,
                "role": role,
                "detail": detail,
                "detail_ru": detail_ru,
                "source": source,
                "locator": locator,
            }
        )
    return found


def roles_as_member(session: Session, country_id: int | None) -> list[dict[str, Any]]:
    """The operations the member states take part in as a group, for a country that has
    been a member state: its role is theirs (`as_member_state`)."""
    member = session.scalar(
        select(Membership.id)
        .where(Membership.country_id == country_id, Membership.status == MembershipStatus.MEMBER)
        .limit(1)
    )
    if member is None:
        return []
    rows = session.execute(
        select(
            Participation.operation_id,
            Participation.role,
            Participation.party_detail,
            Participation.party_detail_ru,
            Source.slug,
            Participation.locator,
        )
        .join(Source, Source.id == Participation.source_id)
        .where(
            Participation.party_kind == PartyKind.MEMBER_STATES,
            Participation.operation_id.is_not(None),
        )
        .order_by(Participation.id)
    ).all()
    ops = {o["id"]: o for o in operations.list_operations(session, None, None, 0, LIST_LIMIT)}
    return [
        {
            "operation": ops[operation_id],
            "stage": None,
            "role": role,
            "detail": detail,
            "detail_ru": detail_ru,
            "source": source,
            "locator": locator,
            "as_member_state": True,
        }
        for operation_id, role, detail, detail_ru, source, locator in rows
        if operation_id in ops
    ]


def source_page(session: Session, slug: str) -> dict[str, Any]:
    """The source; its facts are app/pages/facts.py's, in the page's language."""
    return reference.get_source(session, slug)


def operations_index(session: Session) -> list[dict[str, Any]]:
    ops = operations.list_operations(session, None, None, 0, LIST_LIMIT)
    counts = dict(
        session.execute(select(Stage.operation_id, func.count()).group_by(Stage.operation_id)).all()
    )
    return [{**op, "stage_count": counts.get(op["id"], 0)} for op in ops]


def sources_index(session: Session) -> list[dict[str, Any]]:
    return reference.list_sources(session, 0, LIST_LIMIT)
