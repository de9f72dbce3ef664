from enum import StrEnum


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class Qualifier(StrEnum):
    EXACT = "exact"
    AT_LEAST = "at_least"
    ABOUT = "about"
    # "почти", "nearly", "under": close to the figure and below it; neither exact nor a
    # lower bound. Totals treat it as an estimate, like "about".
    ALMOST = "almost"


class UnitKind(StrEnum):
    """Each kind has its own base unit; kinds are never added together."""

    MASS = "mass"  # grams
    VOLUME = "volume"  # millilitres
    COUNT = "count"  # items (tablets, doses, plants)


class OrganizationKind(StrEnum):
    INTERNATIONAL_ORGANIZATION = "international_organization"
    INTERNATIONAL_BODY = "international_body"
    MINISTRY_OF_INTERNAL_AFFAIRS = "ministry_of_internal_affairs"
    ANTI_DRUG_SERVICE = "anti_drug_service"
    LAW_ENFORCEMENT_AGENCY = "law_enforcement_agency"
    FINANCIAL_INTELLIGENCE_UNIT = "financial_intelligence_unit"
    DRUG_TREATMENT_SERVICE = "drug_treatment_service"
    EDUCATIONAL_INSTITUTION = "educational_institution"
    JOINT_FORCE = "joint_force"


class MembershipStatus(StrEnum):
    MEMBER = "member"
    SUSPENDED = "suspended"


class OperationKind(StrEnum):
    ANTI_DRUG_OPERATION = "anti_drug_operation"
    TACTICAL_EXERCISE = "tactical_exercise"


class PartyKind(StrEnum):
    COUNTRY = "country"
    ORGANIZATION = "organization"
    # The CSTO member states as a group: who they were on a date is a membership query.
    MEMBER_STATES = "member_states"


class Role(StrEnum):
    PARTICIPANT = "participant"
    OBSERVER = "observer"
    ORGANIZER = "organizer"
    HOST = "host"


class Regularity(StrEnum):
    EVERY_YEAR = "every_year"
    REGULAR = "regular"


class AssessorKind(StrEnum):
    ORGANIZATION = "organization"
    MEMBER_STATES = "member_states"
    OBSERVER_COUNTRIES = "observer_countries"


class DocumentKind(StrEnum):
    DECISION = "decision"
    STRATEGY = "strategy"
    PLAN = "plan"


class DocumentStatus(StrEnum):
    ADOPTED = "adopted"
    IN_FORCE = "in_force"
    IN_PREPARATION = "in_preparation"
    EXPIRED = "expired"


class BodyRelation(StrEnum):
    ESTABLISHES = "establishes"
    GOVERNS = "governs"


class KeyRole(StrEnum):
    EDITOR = "editor"
    ADMIN = "admin"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class SourceKind(StrEnum):
    """Who published a source; `app.rules.source_rank` orders them when versions differ."""

    OFFICIAL_CSTO = "official_csto"
    OFFICIAL_KSOPN = "official_ksopn"
    MINISTRY = "ministry"
    CARICC = "caricc"
    NEWS_AGENCY = "news_agency"
    PRESS = "press"
    WEAK = "weak"  # a repost, rewrite or aggregator: `reliability_note` says why


class ResultMetric(StrEnum):
    """What a stage's non-drug result counts (drugs seized are seizure reports)."""

    FIREARMS = "firearms"
    AMMUNITION = "ammunition"
    EXPLOSIVES = "explosives"
    CRIMES_DETECTED = "crimes_detected"
    CRIMINAL_CASES = "criminal_cases"
    PERSONS_DETAINED = "persons_detained"
    GROUPS_EXPOSED = "groups_exposed"
    LABS_CLOSED = "labs_closed"
    WEBSITES_BLOCKED = "websites_blocked"
    PRECURSORS = "precursors"
    OFFICERS_INVOLVED = "officers_involved"
    MONEY = "money"


class ClaimField(StrEnum):
    """A fact of a stage or meeting that sources may state differently."""

    START_ON = "start_on"
    END_ON = "end_on"
    HELD_ON = "held_on"
    HQ_CITY = "hq_city"
    PLACE = "place"
    NUMBER = "number"
    CHAIR = "chair"


class StatementKind(StrEnum):
    """What a dated statement about a country's membership says."""

    PARTICIPATION_FROZEN = "participation_frozen"
    NO_OFFICIAL_NOTICE = "no_official_notice"
    NOT_TAKING_PART = "not_taking_part"
    FUNDING_WITHHELD = "funding_withheld"
    REPRESENTATIVE_RECALLED = "representative_recalled"
    NO_WITHDRAWAL_DECISION = "no_withdrawal_decision"


class ErrorReportStatus(StrEnum):
    """A reader's error report: waiting for staff, or reviewed (app/feedback/)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
