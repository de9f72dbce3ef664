"""An operation's stages as one table: each stage's dates, names, headquarters and stated
total, with what the sources disagree on. Read in a few queries for the whole operation,
not one stage at a time (the Channel page lists every stage).

A stage's total is the counted figure that covers the whole stage: a top-level report
with no country and no region. A country's or a region's figure is a share, never shown
as the stage's total. A stage without dates keeps the words its sources used, and sorts
after the dated ones: a date is never inferred for it."""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common import cited_columns, dicts
from app.models import Claim, Country, SeizureReport, Source, StageResult, Substance
from app.models.enums import ClaimField
from app.operations.service import list_stages

DATE_FIELDS = (ClaimField.START_ON, ClaimField.END_ON)
ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
# Russian months decline (сентября, в сентябре): a stem names each; May's forms are short.
RUSSIAN_STEMS = (
    "январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр",
    "ноябр", "декабр",
)  # fmt: skip
MAY_FORMS = ("май", "мая", "мае")
WORD = re.compile(r"[^\W\d_]+|\d+")


def stated_day(words: str, field: str) -> tuple[int | None, int | None]:
    """The day and month a date's words state, where they state no year ("September 15",
    «по 10 ноября», "с 4"): the first of a range for a start, the last for an end. Read only
    to see whether a version differs from the date the rule picked; never stored."""
    days: list[int] = []
    months: list[int] = []
    for token in WORD.findall(words.lower()):
        if token.isdigit():
            if 1 <= int(token) <= 31:
                days.append(int(token))
        elif month := _month(token):
            months.append(month)
    pick = 0 if field == ClaimField.START_ON else -1
    return (days[pick] if days else None, months[pick] if months else None)


def _month(token: str) -> int | None:
    for number, (english, stem) in enumerate(zip(ENGLISH_MONTHS, RUSSIAN_STEMS, strict=True), 1):
        if token in (english, english[:3]) or (len(stem) > 2 and token.startswith(stem)):
            return number
    return 5 if token in MAY_FORMS else None


def dates_disagree(claims: Iterable[dict[str, Any]], picked: Mapping[str, date | None]) -> bool:
    """Whether any source's version of a date differs from the one the rule picked: a full
    date that is another day, or words whose day or month is another."""
    for claim in claims:
        chosen = picked.get(claim["field"])
        if claim["field"] not in DATE_FIELDS or chosen is None:
            continue
        if claim["value"] is not None:
            if claim["value"] != chosen.isoformat():
                return True
            continue
        day, month = stated_day(claim["as_reported"], claim["field"])
        if (day is not None and day != chosen.day) or (month is not None and month != chosen.month):
            return True
    return False


def differs(version: dict[str, Any], counted: dict[str, Any], amount: str) -> bool:
    """Another version states another quantity, or the same with another qualifier."""
    return bool(version[amount] != counted[amount] or version["qualifier"] != counted["qualifier"])


def stage_table(session: Session, operation_id: int) -> list[dict[str, Any]]:
    """Every stage of the operation, by date (undated last), each with `total` (the counted
    whole-stage figures, each with its other versions), `shares` (countries' and regions'
    figures, where no source gives a total), `date_words` (what undated stages' sources
    say) and `disagreements` (which of dates, total and results sources state otherwise)."""
    stages = list_stages(session, operation_id, after=0, limit=None)
    ids = [stage["id"] for stage in stages]
    claims = _by_stage(_claims(session, ids))
    reports = _by_stage(_reports(session, ids))
    results = _by_stage(_results(session, ids))
    for stage in stages:
        _fill(stage, claims[stage["id"]], reports[stage["id"]], results[stage["id"]])
    return stages


def _fill(
    stage: dict[str, Any],
    claims: list[dict[str, Any]],
    reports: list[dict[str, Any]],
    results: list[dict[str, Any]],
) -> None:
    picked: dict[str, date | None] = {
        ClaimField.START_ON: stage["start_on"],
        ClaimField.END_ON: stage["end_on"],
    }
    counted = [r for r in reports if r["alternative_to_id"] is None and r["parent_id"] is None]
    versions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for report in reports:
        if report["alternative_to_id"] is not None:
            versions[report["alternative_to_id"]].append(report)
    whole = [r for r in counted if r["country"] is None and r["scope"] is None]
    stage["total"] = [
        {**r, "versions": versions[r["id"]],
         "disagree": any(differs(v, r, "amount") for v in versions[r["id"]])}
        for r in whole
    ]  # fmt: skip
    stage["shares"] = [] if whole else [r for r in counted if r not in whole]
    stage["date_words"] = (
        [c for c in claims if c["field"] in DATE_FIELDS]
        if stage["start_on"] is None and stage["end_on"] is None
        else []
    )
    counted_results = {r["id"]: r for r in results if r["alternative_to_id"] is None}
    stage["disagreements"] = [
        name
        for name, found in (
            ("dates", dates_disagree(claims, picked)),
            ("total", any(t["disagree"] for t in stage["total"])),
            (
                "results",
                any(
                    differs(r, counted_results[r["alternative_to_id"]], "value")
                    for r in results
                    if r["alternative_to_id"] in counted_results
                ),
            ),
        )
        if found
    ]
    stage["result_count"] = len(counted_results)


def _by_stage(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.pop("stage_id")].append(row)
    return grouped


def _claims(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    stmt = (
        select(
            Claim.stage_id,
            Claim.field,
            Claim.value,
            Claim.as_reported,
            *cited_columns(Claim.locator),
        )
        .join(Source, Source.id == Claim.source_id)
        .where(Claim.stage_id.in_(ids))
        .order_by(Claim.field.desc(), Claim.id)  # the start before the end
    )
    return dicts(session.execute(stmt).all())


def _reports(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    stmt = (
        select(
            SeizureReport.id,
            SeizureReport.stage_id,
            SeizureReport.amount,
            SeizureReport.unit_kind,
            SeizureReport.qualifier,
            SeizureReport.as_reported,
            SeizureReport.parent_id,
            SeizureReport.alternative_to_id,
            SeizureReport.scope,
            Country.iso3.label("country"),
            Country.name_en.label("country_name_en"),
            Country.name_ru.label("country_name_ru"),
            Substance.slug.label("substance"),
            Substance.name_en.label("substance_name_en"),
            Substance.name_ru.label("substance_name_ru"),
            *cited_columns(SeizureReport.locator),
        )
        .join(Substance, Substance.id == SeizureReport.substance_id)
        .outerjoin(Country, Country.id == SeizureReport.country_id)
        .join(Source, Source.id == SeizureReport.source_id)
        .where(SeizureReport.stage_id.in_(ids))
        .order_by(SeizureReport.id)
    )
    return dicts(session.execute(stmt).all())


def _results(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    stmt = (
        select(
            StageResult.id,
            StageResult.stage_id,
            StageResult.value,
            StageResult.qualifier,
            StageResult.alternative_to_id,
        )
        .where(StageResult.stage_id.in_(ids))
        .order_by(StageResult.id)
    )
    return dicts(session.execute(stmt).all())
