"""Facts as a person writes them: what the source page lists for each row that cites a
source, and the labels the other pages use for the registry's codes (a metric such as
`stages_carried_out`, a role, a verdict). No slug, table name or code reaches a page: a
fact is a sentence of names in the page's language.

Every table with a source and a locator is listed on its source's page (`cited_tables`); each
has a describer here, and a test holds every table to having one."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app import wording
from app.models import (
    Activity,
    Assessment,
    Body,
    Claim,
    Country,
    Document,
    Event,
    ExerciseObjective,
    Meeting,
    MeetingDecision,
    Membership,
    MembershipStatement,
    Operation,
    OperationStatus,
    Organization,
    Participation,
    ReportedFigure,
    SeizureReport,
    Stage,
    StageResult,
    Substance,
)
from app.models.base import Base
from app.pages.charts import period_label
from app.pages.i18n import translations

Gettext = Callable[[str], str]
# Derived tables (sums kept for speed) cite nothing of their own.
NOT_FACTS = ("seizure_sums", "seizure_sums_by_substance")


def name_in(names: tuple[str | None, str | None], lang: str) -> str:
    """The Russian name on a Russian page where there is one, else the English one."""
    english, russian = names
    return (russian if lang == "ru" and russian else english) or ""


def metric_label(metric: str, gettext: Gettext) -> str:
    """A reported figure's metric in words (`stages_carried_out`: "Stages carried out")."""
    labels = {
        "stages_carried_out": gettext("Stages carried out"),
        "observer_representatives": gettext("Representatives of observers"),
        "council_age": gettext("Age of the Council"),
        "meetings_held": gettext("Meetings held"),
    }
    return labels.get(metric) or metric.replace("_", " ").capitalize()


def role_label(role: str, gettext: Gettext) -> str:
    labels = {
        "participant": gettext("participant"),
        "observer": gettext("observer"),
        "organizer": gettext("organizer"),
        "host": gettext("host"),
        "lead": gettext("lead"),
    }
    return labels.get(role, role.replace("_", " "))


def verdict_label(verdict: str, gettext: Gettext) -> str:
    labels = {
        "positive": gettext("positively"),
        "negative": gettext("negatively"),
        "mixed": gettext("with reservations"),
    }
    return labels.get(verdict, verdict)


def assessor_label(kind: str, organization: str | None, gettext: Gettext) -> str:
    if kind == "member_states":
        return gettext("the CSTO member states")
    if kind == "observer_countries":
        return gettext("the observer countries")
    return organization or gettext("an organization")


def membership_label(status: str, gettext: Gettext) -> str:
    labels = {"member": gettext("member"), "suspended": gettext("suspended")}
    return labels.get(status, status)


def channel_label(channel: str, gettext: Gettext) -> str:
    """How an assessment reached the record (`official materials`), in the page's language;
    a channel not known here is shown as the data has it."""
    known = {"official materials": gettext("official materials")}
    return known.get(channel, channel)


def stage_label(operation: str, number: int, gettext: Gettext) -> str:
    """`Channel, stage 31`: a stage as people name it."""
    return gettext("%(operation)s, stage %(number)s") % {"operation": operation, "number": number}


def cited_tables() -> list[Any]:
    """Every mapped class with a source and a locator: the kinds of fact a source supports."""
    return sorted(
        (
            mapper.class_
            for mapper in Base.registry.mappers
            if {"source_id", "locator"} <= set(mapper.columns.keys())
            and mapper.class_.__tablename__ not in NOT_FACTS
            and "id" in inspect(mapper.class_).columns
        ),
        key=lambda cls: cls.__tablename__,
    )


@dataclass(frozen=True)
class Fact:
    locator: str
    kind: str  # in words: "Participation", "Участие"
    text: str  # Markup where it quotes the source
    link: str | None
    order: tuple[str, int]  # the table and the row: a stable order within a locator


class Names:
    """The names of the small tables the facts point to, in the page's language, read once."""

    def __init__(self, session: Session, lang: str) -> None:
        def named(model: Any) -> dict[int, str]:
            columns = [model.id, model.name_en, model.name_ru]
            return {
                row[0]: name_in((row[1], row[2]), lang)
                for row in session.execute(select(*columns)).all()
            }

        self.lang = lang
        self.countries = named(Country)
        self.organizations = named(Organization)
        self.operations = named(Operation)
        self.bodies = named(Body)
        # A figure's subject is the body as people call it: "KSOPN", "КСОПН".
        self.body_short = {
            row.id: name_in((row.acronym_en, row.acronym_ru), lang) or self.bodies[row.id]
            for row in session.execute(select(Body.id, Body.acronym_en, Body.acronym_ru))
        }
        self.substances = named(Substance)
        self.events = named(Event)
        self.activities = named(Activity)
        self.documents = {
            row.id: name_in((row.title_en, row.title_ru), lang)
            for row in session.execute(select(Document.id, Document.title_en, Document.title_ru))
        }
        self.iso3 = {row.id: row.iso3 for row in session.execute(select(Country.id, Country.iso3))}
        self.stages = {
            row.id: (row.operation_id, row.number, name_in((row.name_en, row.name_ru), lang))
            for row in session.execute(
                select(Stage.id, Stage.operation_id, Stage.number, Stage.name_en, Stage.name_ru)
            )
        }
        self.meetings = {
            row.id: (row.body_id, row.number)
            for row in session.execute(select(Meeting.id, Meeting.body_id, Meeting.number))
        }

    def stage(self, stage_id: int, gettext: Gettext) -> str:
        """`Channel, stage 31`; a stage no source numbers goes by its name."""
        operation_id, number, name = self.stages[stage_id]
        if number is None:
            return name or self.operations[operation_id]
        return stage_label(self.operations[operation_id], number, gettext)

    def meeting(self, meeting_id: int, gettext: Gettext) -> str:
        body_id, number = self.meetings[meeting_id]
        if number is None:
            return gettext("A meeting of %(body)s") % {"body": self.bodies[body_id]}
        return gettext("Meeting %(number)s of %(body)s") % {
            "number": number,
            "body": self.bodies[body_id],
        }

    def party(self, row: Participation, gettext: Gettext) -> str:
        if row.country_id is not None:
            party = self.countries[row.country_id]
        elif row.organization_id is not None:
            party = self.organizations[row.organization_id]
        else:
            party = gettext("CSTO member states")
        detail_ru = getattr(row, "party_detail_ru", None)
        detail = (detail_ru if self.lang == "ru" and detail_ru else None) or row.party_detail
        return f"{party} ({detail})" if detail else party

    def target(self, row: Participation, gettext: Gettext) -> str:
        if row.stage_id is not None:
            return self.stage(row.stage_id, gettext)
        if row.operation_id is not None:
            return self.operations[row.operation_id]
        if row.event_id is not None:
            return self.events[row.event_id]
        return self.activities.get(row.activity_id or 0, "")


Describer = Callable[[Any, Names, Gettext], tuple[str, str | None]]


def _own_name(row: Any, names: Names, _: Gettext) -> str:
    return name_in((row.name_en, getattr(row, "name_ru", None)), names.lang)


def _describe_operation(row: Operation, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    return _own_name(row, names, gettext), f"/operations/{row.slug}"


def _describe_country(row: Country, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    return _own_name(row, names, gettext), f"/countries/{row.iso3}"


def _describe_named(row: Any, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    return _own_name(row, names, gettext), None


def _describe_document(row: Document, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    return names.documents[row.id], None


def _describe_stage(row: Stage, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    return names.stage(row.id, gettext), f"/stages/{row.id}"


def _describe_participation(
    row: Participation, names: Names, gettext: Gettext
) -> tuple[str, str | None]:
    text = gettext("%(party)s: %(role)s, %(target)s") % {
        "party": names.party(row, gettext),
        "role": role_label(row.role, gettext),
        "target": names.target(row, gettext),
    }
    return text, None


def _describe_status(
    row: OperationStatus, names: Names, gettext: Gettext
) -> tuple[str, str | None]:
    status = name_in((row.status_en, row.status_ru), names.lang)
    return f"{names.operations[row.operation_id]}: {status}", None


def _describe_objective(
    row: ExerciseObjective, names: Names, gettext: Gettext
) -> tuple[str, str | None]:
    summary = name_in((row.summary, getattr(row, "summary_ru", None)), names.lang)
    text = gettext("%(operation)s, objective %(position)s: %(summary)s") % {
        "operation": names.operations[row.operation_id],
        "position": row.position,
        "summary": summary,
    }
    return text, None


def _describe_assessment(row: Assessment, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    organization = names.organizations.get(row.organization_id or 0)
    text = gettext("%(operation)s: assessed %(verdict)s by %(assessor)s") % {
        "operation": names.operations[row.operation_id],
        "verdict": verdict_label(row.verdict, gettext),
        "assessor": assessor_label(row.assessor_kind, organization, gettext),
    }
    return text, None


def _describe_figure(row: ReportedFigure, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    subject = (
        names.operations[row.operation_id]
        if row.operation_id is not None
        else names.body_short.get(row.body_id or 0, "")
    )
    counted = counted_units(row.value, row.unit, names.lang)
    word = wording.bound_word(row.as_reported)
    words = (
        wording.figure_words(row.value, row.unit, row.qualifier, names.lang, row.as_reported)
        if counted is None
        else wording.qualified(counted, row.qualifier, names.lang, word=word)
    )
    # The source's own words are a quotation, in its language.
    text = Markup('{}: {}, {} (<span class="quoted">{}</span>)').format(
        subject, metric_label(row.metric, gettext), words, row.as_reported
    )
    return text, None


def _describe_report(row: SeizureReport, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    period = period_label((str(row.period_start), str(row.period_end)))
    words = wording.quantity_words(
        row.amount,
        row.qualifier,
        row.unit_kind,
        names.lang,
        word=wording.bound_word(row.as_reported),
    )
    text = f"{names.substances[row.substance_id]}, {period}: {words}"
    if row.country_id is not None:
        text += f", {names.countries[row.country_id]}"
    return text, f"/api/v1/seizures/{row.id}"


def _describe_meeting(row: Meeting, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    body = names.bodies[row.body_id]
    if row.number is not None:
        text = gettext("Meeting %(number)s of %(body)s") % {"number": row.number, "body": body}
    else:
        text = gettext("A meeting of %(body)s") % {"body": body}
    place = f", {row.place}" if row.place else ""
    return text + place, None


def _describe_membership(row: Membership, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    text = gettext("%(country)s: %(status)s of %(organization)s") % {
        "country": names.countries[row.country_id],
        "status": membership_label(row.status, gettext),
        "organization": names.organizations[row.organization_id],
    }
    return text, f"/countries/{names.iso3[row.country_id]}"


def _quoted(words: str) -> Markup:
    """The source's own words: a quotation, in its language."""
    return Markup('<span class="quoted">{}</span>').format(words)


def _describe_result(row: StageResult, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    text = Markup("{}: {}, {}").format(
        names.stage(row.stage_id, gettext),
        result_label(row.metric, gettext),
        _quoted(row.as_reported),
    )
    return text, f"/stages/{row.stage_id}"


def _describe_claim(row: Claim, names: Names, gettext: Gettext) -> tuple[str, str | None]:
    if row.stage_id is not None:
        subject, link = names.stage(row.stage_id, gettext), f"/stages/{row.stage_id}"
    else:
        subject, link = names.meeting(row.meeting_id or 0, gettext), None
    text = Markup("{}: {}, {}").format(
        subject, claim_label(row.field, gettext), _quoted(row.as_reported)
    )
    return text, link


def _describe_decision(
    row: MeetingDecision, names: Names, gettext: Gettext
) -> tuple[str, str | None]:
    text = gettext("%(meeting)s, decision %(position)s") % {
        "meeting": names.meeting(row.meeting_id, gettext),
        "position": row.position,
    }
    return text, None


def _describe_statement(
    row: MembershipStatement, names: Names, gettext: Gettext
) -> tuple[str, str | None]:
    text = Markup("{}: {}").format(names.countries[row.country_id], _quoted(row.as_reported))
    return text, f"/countries/{names.iso3[row.country_id]}"


def result_label(metric: str, gettext: Gettext) -> str:
    """A stage's result other than drugs, in words (spelled out for `make messages`)."""
    labels = {
        "firearms": gettext("firearms"),
        "ammunition": gettext("ammunition"),
        "explosives": gettext("explosives"),
        "crimes_detected": gettext("crimes detected"),
        "criminal_cases": gettext("criminal cases"),
        "persons_detained": gettext("persons detained"),
        "groups_exposed": gettext("drug groups exposed"),
        "labs_closed": gettext("laboratories closed"),
        "websites_blocked": gettext("websites blocked"),
        "precursors": gettext("precursors"),
        "officers_involved": gettext("officers involved"),
        "money": gettext("money"),
    }
    return labels.get(metric, metric)


def claim_label(field: str, gettext: Gettext) -> str:
    """Which fact a source's version is of, in words."""
    labels = {
        "start_on": gettext("start"),
        "end_on": gettext("end"),
        "held_on": gettext("date held"),
        "hq_city": gettext("headquarters"),
        "place": gettext("place"),
        "number": gettext("number"),
        "chair": gettext("chair"),
    }
    return labels.get(field, field)


DESCRIBERS: dict[str, tuple[str, Describer]] = {
    # table: (its kind in words, as a msgid; how a row of it reads)
    "activities": ("Activity", _describe_named),
    "assessments": ("Assessment", _describe_assessment),
    "bodies": ("Council body", _describe_named),
    "countries": ("Country", _describe_country),
    "documents": ("Document", _describe_document),
    "events": ("Event", _describe_named),
    "exercise_objectives": ("Exercise objective", _describe_objective),
    "meetings": ("Meeting", _describe_meeting),
    "memberships": ("Membership", _describe_membership),
    "operation_statuses": ("Operation status", _describe_status),
    "operations": ("Operation", _describe_operation),
    "organizations": ("Organization", _describe_named),
    "participations": ("Participation", _describe_participation),
    "reported_figures": ("Reported figure", _describe_figure),
    "seizure_reports": ("Seizure report", _describe_report),
    "stages": ("Stage", _describe_stage),
    "stage_results": ("Stage result", _describe_result),
    "claims": ("Source's version", _describe_claim),
    "meeting_decisions": ("Meeting decision", _describe_decision),
    "membership_statements": ("Membership statement", _describe_statement),
}


def kind_label(table: str, gettext: Gettext) -> str:
    # Spelled out, so that `make messages` finds each msgid.
    labels = {
        "Activity": gettext("Activity"),
        "Assessment": gettext("Assessment"),
        "Council body": gettext("Council body"),
        "Country": gettext("Country"),
        "Document": gettext("Document"),
        "Event": gettext("Event"),
        "Exercise objective": gettext("Exercise objective"),
        "Meeting": gettext("Meeting"),
        "Membership": gettext("Membership"),
        "Operation status": gettext("Operation status"),
        "Operation": gettext("Operation"),
        "Organization": gettext("Organization"),
        "Participation": gettext("Participation"),
        "Reported figure": gettext("Reported figure"),
        "Seizure report": gettext("Seizure report"),
        "Stage": gettext("Stage"),
        "Stage result": gettext("Stage result"),
        "Source's version": gettext("Source's version"),
        "Meeting decision": gettext("Meeting decision"),
        "Membership statement": gettext("Membership statement"),
    }
    return labels[DESCRIBERS[table][0]]


def source_facts(session: Session, source_id: int, lang: str, gettext: Gettext) -> list[Fact]:
    """Every fact that cites the source, in words, in the order of its locators."""
    names = Names(session, lang)
    facts = []
    for cls in cited_tables():
        table = cls.__tablename__
        _kind, describe = DESCRIBERS[table]
        rows = session.execute(select(cls).where(cls.source_id == source_id).order_by(cls.id))
        for row in rows.scalars():
            text, link = describe(row, names, gettext)
            facts.append(Fact(row.locator, kind_label(table, gettext), text, link, (table, row.id)))
    facts.sort(key=lambda f: (_locator_order(f.locator), f.order))
    return facts


def _locator_order(locator: str | None) -> tuple[int, str]:
    digits = "".join(ch for ch in (locator or "") if ch.isdigit())
    return (int(digits) if digits else 10**9, locator or "")


def counted_units(value: Any, unit: str, lang: str) -> str | None:
    """`30 stages` / `30 этапов`: a reported figure's number with its unit in the page's
    language and grammatical number; None for a unit not known here."""
    ngettext = translations(lang).ngettext
    number = wording.format_number(value, lang)
    count = int(value)
    phrases = {
        "stages": lambda: ngettext("%(num)s stage", "%(num)s stages", count),
        "representatives": lambda: ngettext(
            "%(num)s representative", "%(num)s representatives", count
        ),
        "years": lambda: ngettext("%(num)s year", "%(num)s years", count),
        "meetings": lambda: ngettext("%(num)s meeting", "%(num)s meetings", count),
    }
    phrase = phrases.get(unit)
    return phrase() % {"num": number} if phrase else None
