"""The registry's write rules, one place for each: the API's write path and the seed
loader both ask these. Each gives the problem in words, or nothing; a caller says it in its
own terms (a 422 naming the field, a seed error naming the file and the entry)."""

from collections.abc import Callable, Collection, Sequence
from datetime import date
from typing import Any, TypeVar

from pydantic import ValidationInfo
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common import subtree_ids
from app.error_words import in_russian, said
from app.models import SeizureReport
from app.models.enums import PartyKind, Qualifier, SourceKind
from app.wording import readable

PERIOD_REVERSED = said(
    "the period ends before it starts", "период кончается раньше, чем начинается"
)
MEMBER_STATES_PARTY = "member-states"  # the key that names the CSTO member states as a group


When = TypeVar("When", date, int)  # dates, or a document's years


def period_problem(start: When | None, end: When | None) -> str | None:
    """A period (dates, or a document's years) runs forward; an open end is fine."""
    if start is not None and end is not None and end < start:
        return PERIOD_REVERSED
    return None


def ends_after(start_field: str) -> Any:
    """A Pydantic field validator for an end date: refused, naming the end field, when it
    comes before `start_field` (declared before it, so already validated)."""

    def check(cls: Any, end: date | None, info: ValidationInfo) -> date | None:
        problem = period_problem(info.data.get(start_field), end)
        if problem is not None:
            raise ValueError(problem)
        return end

    return check


def qualifier_problem(given: Qualifier | None, stated: Qualifier | None, phrase: str) -> str | None:
    """A qualifier given beside a quantity phrase must not contradict the phrase's own
    ("more than 2 t" is `at_least`)."""
    if given and stated and given != stated:
        return said(
            f"qualifier {given.value!r} contradicts {phrase!r}",
            f"уточнение {given.value!r} противоречит записи {phrase!r}",
        )
    return None


def party_kind(*, member_states: bool, country: str | None, organization: str | None) -> PartyKind:
    """A party is exactly one of: the member states as a group, a country, an organization."""
    named = [kind for kind, given in (
        (PartyKind.MEMBER_STATES, member_states),
        (PartyKind.COUNTRY, country),
        (PartyKind.ORGANIZATION, organization),
    ) if given]  # fmt: skip
    if len(named) != 1:
        raise ValueError(
            said(
                "name exactly one party: a country, an organization or the member states",
                "назовите ровно одну сторону: страну, организацию или государства-члены",
            )
        )
    return named[0]


def party_named(key: str) -> dict[str, Any]:
    """The party a request names by one key: `member-states`, an ISO alpha-3 code (`KAZ`),
    or an organization's slug; as `party_kind`'s arguments."""
    if key == MEMBER_STATES_PARTY:
        return {"member_states": True, "country": None, "organization": None}
    if len(key) == 3 and key.isupper():
        return {"member_states": False, "country": key, "organization": None}
    return {"member_states": False, "country": None, "organization": key}


def breakdown_problems(
    session: Session,
    parent: SeizureReport,
    parts: Sequence[SeizureReport],
    *,
    parent_label: str,
    part_label: Callable[[int, SeizureReport], str],
) -> list[str]:
    """Why `parts` cannot be the breakdown of `parent` ("including ..."); empty if they can.

    A part has the parent's unit kind, a substance at or under the parent's, and a period
    inside the parent's; the parts together never exceed the parent. The labels name the
    reports as the caller's reader knows them (`seizures[0].parts[1]`, a URL), never by an
    id they have not seen.
    """
    parent_subtree = subtree_ids(session, parent.substance_id)
    problems: list[str] = []
    for index, part in enumerate(parts):
        label = part_label(index, part)
        if part.unit_kind != parent.unit_kind:
            problems.append(
                said(
                    f"{label} is a {part.unit_kind} figure ({part.as_reported!r}) but its "
                    f"parent is a {parent.unit_kind} figure ({parent.as_reported!r})",
                    f"{in_russian(label)} измеряет "
                    f"{UNIT_KINDS_RU.get(part.unit_kind, part.unit_kind)} "
                    f"({part.as_reported!r}), а целое, частью которого она названа, "
                    f"{UNIT_KINDS_RU.get(parent.unit_kind, parent.unit_kind)} "
                    f"({parent.as_reported!r})",
                )
            )
        if part.substance_id not in parent_subtree:
            problems.append(
                said(
                    f"{label}: its substance is not under the parent's substance",
                    f"{in_russian(label)}: её вещество не входит в вещество целого",
                )
            )
        if part.period_start < parent.period_start or part.period_end > parent.period_end:
            problems.append(
                said(
                    f"{label}: its period lies outside the parent's period",
                    f"{in_russian(label)}: её период выходит за период целого",
                )
            )
    covered = sum(part.amount for part in parts if part.unit_kind == parent.unit_kind)
    if covered > parent.amount:
        problems.append(
            said(
                f"the parts of {parent_label} add up to {readable(parent.unit_kind, covered)}, "
                f"more than its {readable(parent.unit_kind, parent.amount)} "
                f"({parent.as_reported!r})",
                f"части {in_russian(parent_label)} в сумме дают "
                f"{readable(parent.unit_kind, covered, 'ru')}, больше, чем её "
                f"{readable(parent.unit_kind, parent.amount, 'ru')} ({parent.as_reported!r})",
            )
        )
    return problems


# What a figure measures, in the Russian of a message ("измеряет массу").
UNIT_KINDS_RU = {"mass": "массу", "volume": "объём", "count": "число штук"}


# -- which version counts, where sources disagree (issue 23) -----------------------------

# Official CSTO and KSOPN releases first, then national ministries, CARICC, news agencies,
# the press, and weak sources (reposts, rewrites) last; a source of no stated kind after all.
SOURCE_ORDER = (
    (SourceKind.OFFICIAL_CSTO, SourceKind.OFFICIAL_KSOPN),
    (SourceKind.MINISTRY,),
    (SourceKind.CARICC,),
    (SourceKind.NEWS_AGENCY,),
    (SourceKind.PRESS,),
    (SourceKind.WEAK,),
)
# The rule in words is on /methods (app/pages/templates/methods.html, "When sources disagree").


def source_rank(kind: str | None) -> int:
    """Lower ranks first: the order of SOURCE_ORDER."""
    for rank, kinds in enumerate(SOURCE_ORDER):
        if kind in kinds:
            return rank
    return len(SOURCE_ORDER)


Version = TypeVar("Version")


def chosen_version(
    versions: Sequence[Version], source_of: Callable[[Version], tuple[str | None, date | None]]
) -> int:
    """The index of the version the rule uses; `source_of` gives its source's kind and
    publication date."""

    def key(index: int) -> tuple[int, int, int]:
        kind, published = source_of(versions[index])
        return (source_rank(kind), -(published or date.min).toordinal(), index)

    return min(range(len(versions)), key=key)


def within_problems(
    session: Session, cover: SeizureReport, figures: Sequence[SeizureReport]
) -> list[str]:
    """What keeps `figures` (top reports of their breakdowns) from being `within` the
    broader figure `cover`: it must be a counted top report, within nothing itself, of the
    same operation and unit kind, over a period holding theirs, of their substance or a
    broader one, and of their stage, country and region or of none. Together they must not
    exceed it."""
    problems: list[str] = []
    if cover.parent_id is not None or cover.alternative_to_id is not None or cover.within_id:
        problems.append(
            said(
                f"report {cover.id} is a part, a version or itself within another: name the "
                "broadest figure",
                f"сводка {cover.id} является частью, версией или сама входит в другую: "
                "укажите самый широкий показатель",
            )
        )
    broader = subtree_ids(session, cover.substance_id)
    for figure in figures:
        if _outside(cover, figure, broader):
            problems.append(
                said(
                    f"report {figure.id} ({figure.as_reported}) is not within report "
                    f"{cover.id} ({cover.as_reported}): the broader figure must be of the same "
                    "operation and unit kind, over a period that holds the other's, of its "
                    "substance or a broader one, and of its stage, country and region or none",
                    f"сводка {figure.id} ({figure.as_reported}) не входит в сводку {cover.id} "
                    f"({cover.as_reported}): более широкий показатель должен относиться к той "
                    "же операции и единице учёта, охватывать её период, то же или более "
                    "широкое вещество и тот же этап, страну и регион либо не указывать их",
                )
            )
    same_kind = [f for f in figures if f.unit_kind == cover.unit_kind]
    if sum(f.amount for f in same_kind) > cover.amount and cover.qualifier == Qualifier.EXACT:
        problems.append(
            said(
                f"the figures within report {cover.id} add up to more than its "
                f"{readable(cover.unit_kind, cover.amount)}",
                f"показатели, входящие в сводку {cover.id}, в сумме больше её "
                f"{readable(cover.unit_kind, cover.amount, 'ru')}",
            )
        )
    return problems


def _outside(cover: SeizureReport, figure: SeizureReport, broader: Collection[int]) -> bool:
    def compatible(wide: Any, narrow: Any) -> bool:
        return wide is None or wide == narrow

    return not (
        figure.id != cover.id
        and figure.parent_id is None
        and figure.operation_id == cover.operation_id
        and figure.unit_kind == cover.unit_kind
        and cover.period_start <= figure.period_start
        and figure.period_end <= cover.period_end
        and figure.substance_id in broader
        and compatible(cover.stage_id, figure.stage_id)
        and compatible(cover.country_id, figure.country_id)
        and compatible(cover.scope, figure.scope)
    )


def set_within(session: Session, figure: SeizureReport, cover_id: int | None) -> None:
    """`figure` (a top report) and every part of its breakdown are within `cover_id`."""
    level = [figure]
    while level:
        for report in level:
            report.within_id = cover_id
        ids = [report.id for report in level]
        level = list(session.scalars(select(SeizureReport).where(SeizureReport.parent_id.in_(ids))))
