from enum import StrEnum


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class Qualifier(StrEnum):
    EXACT = "exact"
    AT_LEAST = "at_least"
    ABOUT = "about"


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
