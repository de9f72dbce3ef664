"""A stage post's 201, built from what the post wrote: the stage as `GET /stages/{id}`
gives it, without reading it back (five queries, a third of a post's time). Each part is
shaped by the function that shapes the read (`service`), from a row laid out as the read's
query lays it out; `tests/operations/test_posted_stage.py` holds the two byte-equal."""

from typing import Any

from sqlalchemy.orm import Session

from app import models as m
from app.operations.service import (
    _claims_disagree,
    _participants_and_observers,
    _stage_out,
    _with_party,
    stage_results,
)
from app.operations.writes import PostedStage
from app.seizures.service import seizure_out
from app.writes import Refs


def stage_detail(session: Session, posted: PostedStage) -> dict[str, Any]:
    """`operations.get_stage` of the stage just posted. Its results alone are read: they are
    rare, and their versions are paired by the rule of sources."""
    stage, refs = posted.stage, posted.refs
    detail = _stage_out(
        {
            "id": stage.id,
            "operation": posted.operation[0],
            "slug": stage.slug,
            "number": stage.number,
            "name": stage.name_en if stage.name_en is not None else stage.name_ru,
            "name_en": stage.name_en,
            "name_ru": stage.name_ru,
            "start_on": stage.start_on,
            "end_on": stage.end_on,
            "lead_country": _iso3(refs, stage.lead_country_id),
            "hq_city_en": stage.hq_city_en,
            "hq_city_ru": stage.hq_city_ru,
            "hq_country": _iso3(refs, stage.hq_country_id),
            "place": stage.place,
            "description": stage.description,
            "description_ru": stage.description_ru,
            **_cited(refs, stage.source_id, stage.locator),
        }
    )
    parties = sorted(posted.participations, key=lambda row: row.id)
    detail |= _participants_and_observers([_party(refs, row) for row in parties])
    detail["seizures"] = _seizures(posted)
    detail["results"] = stage_results(session, stage.id) if posted.with_results else []
    detail["claims"] = []  # a post states none
    detail["sources_disagree"] = (
        any(s["alternative_to"] is not None for s in detail["seizures"])
        or any(r["alternatives"] for r in detail["results"])
        or _claims_disagree(detail["claims"])
    )
    return detail


def _iso3(refs: Refs, country_id: int | None) -> str | None:
    return None if country_id is None else refs.named(m.Country, country_id)[0]


def _cited(refs: Refs, source_id: int, locator: str) -> dict[str, Any]:
    slug, title = refs.named(m.Source, source_id)
    return {
        "source_id": source_id,
        "source_slug": slug,
        "source_title": title,
        "source_locator": locator,
    }


def _party(refs: Refs, row: m.Participation) -> dict[str, Any]:
    """A row of `service.participations_of`."""
    country = (None, None, None)
    if row.country_id is not None:
        country = refs.named(m.Country, row.country_id)
    organization = (None, None, None)
    if row.organization_id is not None:
        organization = refs.named(m.Organization, row.organization_id)
    return _with_party(
        {
            "id": row.id,
            "party_kind": row.party_kind,
            "iso3": country[0],
            "country_name": country[1],
            "country_name_ru": country[2],
            "slug": organization[0],
            "organization_name": organization[1],
            "organization_name_ru": organization[2],
            "party_detail": row.party_detail,
            "party_detail_ru": row.party_detail_ru,
            "role": row.role,
            "regularity": row.regularity,
            **_cited(refs, row.source_id, row.locator),
        }
    )


def _seizures(posted: PostedStage) -> list[dict[str, Any]]:
    """The stage's reports as `list_seizures` gives them: in id order, each with what its
    parts cover of it. None of them is within a broader figure (a post names none), so none
    is left out."""
    refs, stage = posted.refs, posted.stage
    covered: dict[int, int] = {}
    for report in posted.reports:
        if report.parent_id is not None:
            covered[report.parent_id] = covered.get(report.parent_id, 0) + report.amount
    operation = (stage.operation_id, *posted.operation)
    out = []
    for report in sorted(posted.reports, key=lambda row: row.id):
        if report.within_id is not None:  # pragma: no cover - a post puts none within
            raise ValueError("a posted report within a broader figure")
        country = (None, None, None)
        if report.country_id is not None:
            country = refs.named(m.Country, report.country_id)
        source = refs.named(m.Source, report.source_id)
        row = (
            report.id, *operation, stage.id, stage.number, *country,
            report.period_start, report.period_end,
            *refs.named(m.Substance, report.substance_id),
            report.unit_kind, report.amount, report.qualifier, report.cases,
            report.as_reported, report.parent_id, report.outside_stage, report.scope,
            report.alternative_to_id, report.within_id, covered.get(report.id, 0),
            report.source_id, *source, report.locator, False,
        )  # fmt: skip
        out.append(seizure_out(row))
    return out
