"""Request bodies of the write API. Unknown fields are refused, every size is bounded."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import WithJsonSchema

from app.models.enums import (
    DatePrecision,
    DocumentKind,
    DocumentStatus,
    OrganizationKind,
    Qualifier,
    Regularity,
    Role,
)
from app.reference.schemas import refuse_path
from app.rules import ends_after
from app.schemas.common import IsoDate, has_a_letter, refuse_nul


def _as_sent(max_length: int) -> Any:
    """For text whose ends are trimmed: the documented maxLength holds for the text as sent,
    not only once trimmed (300 characters and 10 spaces are 310, too many)."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > max_length:
            raise ValueError(f"at most {max_length} characters, spaces included")
        return value

    return BeforeValidator(check)


def _trimmed(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Text = Annotated[str, _trimmed(300), _as_sent(300)]
LongText = Annotated[str, _trimmed(5000), _as_sent(5000)]
SlugText = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=100),
    AfterValidator(has_a_letter),
    # Documented as one pattern, the letter included; checked in two steps, for the message.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(?:[0-9]+-)*[0-9]*[a-z][a-z0-9]*(?:-[a-z0-9]+)*$",
            "maxLength": 100,
        }
    ),
]
Iso3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Locator = Annotated[str, _trimmed(64), _as_sent(64)]
# JSON numbers and booleans only as themselves: lax pydantic also takes false for 0, "5"
# for 5, and 1 or "yes" for true, none of which the documented schema allows.
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
Number = Annotated[Int, Field(ge=1, le=2**31 - 1)]
Year = Annotated[Int, Field(ge=1900, le=2100)]
Aliases = Annotated[list[Text], Field(max_length=50)]


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may not be null; leave the field out to keep its value")
    return value


def not_null(*fields: str) -> Any:
    """For PATCH bodies: these fields may be left out, but not set to null."""
    return field_validator(*fields, mode="after")(_not_null)


def _document_not_null(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The JSON schema of a field under `not_null` offers no null: null is refused."""
    never_null = {
        name
        for validator in model.__pydantic_decorators__.field_validators.values()
        if validator.func is _not_null
        for name in validator.info.fields
    }
    for name in never_null & set(schema.get("properties", {})):
        field = schema["properties"][name]
        kinds = [kind for kind in field.get("anyOf", []) if kind != {"type": "null"}]
        if len(kinds) != len(field.get("anyOf", [])):
            del field["anyOf"]
            if len(kinds) == 1:
                field.update(kinds[0])
            else:
                field["anyOf"] = kinds
        if field.get("default", 0) is None:
            del field["default"]


class Body(BaseModel):
    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra=_document_not_null
    )

    _no_nul = field_validator("*", mode="before")(refuse_nul)


class Citation(Body):
    source: SlugText = Field(description="Slug of the source (see /api/v1/sources).")
    locator: Locator = Field(description="Where in the source, e.g. `¶8`.")


class AmountIn(Body):
    amount: Annotated[Decimal, Field(ge=0, le=10**12, max_digits=18, decimal_places=6)]
    unit: Annotated[str, StringConstraints(min_length=1, max_length=20)] = Field(
        description="t, kg, g, mg, l, ml, pcs, or the Russian т, кг, г, л, мл, шт."
    )


QuantityIn = Annotated[str, _trimmed(100), _as_sent(100)] | AmountIn


# A party given as a string keeps the rules of PartyIn's `party`: the service makes a PartyIn
# of it, and an empty one would fail there, a 500, instead of here, a 422.
PartyKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class PartyIn(Body):
    party: PartyKey = Field(
        description="ISO 3166-1 alpha-3 code (`KAZ`), organization slug (`unodc`), or "
        "`member-states` for the CSTO member states as a group."
    )
    detail: Text | None = Field(None, description="Which of the party's bodies, e.g. 'customs'.")
    regularity: Regularity | None = None


class SeizureIn(Body):
    substance: SlugText = Field(description="Substance slug (see /api/v1/substances).")
    quantity: QuantityIn = Field(
        description='A phrase ("1 t 500 kg", "3 т 737 кг") or {"amount": 1.5, "unit": "t"}; '
        "the phrase is kept as reported."
    )
    qualifier: Qualifier | None = Field(
        None, description="exact, at_least or about; if left out, read from the phrase."
    )
    country: Iso3 | None = None
    period_start: IsoDate | None = Field(None, description="Defaults to the stage's start.")
    period_end: IsoDate | None = Field(None, description="Defaults to the stage's end.")
    outside_stage: Bool = Field(
        False, description="Set to state that the period reaches outside the stage's dates."
    )
    cases: Annotated[Int, Field(ge=0, le=10**9)] | None = None
    locator: Locator | None = Field(None, description="Overrides the stage's locator.")
    parts: Annotated[list["SeizureIn"], Field(max_length=100)] = Field(
        default_factory=list, description='The breakdown ("including ..."), not added on top.'
    )

    _period_end = field_validator("period_end")(ends_after("period_start"))


# Posts as it is on the seeded registry (the docs' "Try it out" and a test do so).
STAGE_EXAMPLE: dict[str, Any] = {
    "number": 31,
    "name": "Channel - Almaty 2021",
    "start_on": "2021-05-10",
    "end_on": "2021-05-21",
    "lead_country": "KAZ",
    "source": "mvd-ksopn-15-years-2020",
    "locator": "¶8",
    "participants": [
        "KAZ",
        "KGZ",
        "RUS",
        {"party": "TJK", "detail": "drug control agency"},
    ],
    "observers": [{"party": "unodc", "detail": "representatives"}, "IRN"],
    "seizures": [
        {
            "substance": "controlled-substances",
            "quantity": "more than 2 t 500 kg",
            "country": "KAZ",
            "cases": 120,
            "parts": [
                {"substance": "hashish", "quantity": "1 t 200 kg"},
                {"substance": "heroin", "quantity": {"amount": 85.5, "unit": "kg"}},
            ],
        }
    ],
}


class StageCreate(Citation):
    number: Number
    name: Text | None = None
    start_on: IsoDate | None = None
    end_on: IsoDate | None = None
    lead_country: Iso3 | None = None
    description: LongText | None = None
    participants: Annotated[list[PartyIn | PartyKey], Field(max_length=200)] = []
    observers: Annotated[list[PartyIn | PartyKey], Field(max_length=200)] = []
    seizures: Annotated[list[SeizureIn], Field(max_length=1000)] = Field(default_factory=list)

    model_config = ConfigDict(json_schema_extra={"examples": [STAGE_EXAMPLE]})

    _end_on = field_validator("end_on")(ends_after("start_on"))


class StagePatch(Body):
    _required = not_null("number", "source", "locator")

    number: Number | None = None
    name: Text | None = None
    start_on: IsoDate | None = None
    end_on: IsoDate | None = None
    lead_country: Iso3 | None = None
    description: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class SeizureCreate(SeizureIn):
    source: SlugText
    locator: Locator
    parent_id: Number | None = Field(
        None, description="Make this report part of an existing report on the same stage."
    )


class SeizurePatch(Body):
    _required = not_null(
        "substance", "quantity", "qualifier", "period_start", "period_end", "outside_stage",
        "source", "locator",
    )  # fmt: skip

    substance: SlugText | None = None
    quantity: QuantityIn | None = None
    qualifier: Qualifier | None = None
    country: Iso3 | None = None
    period_start: IsoDate | None = None
    period_end: IsoDate | None = None
    outside_stage: Bool | None = None
    cases: Annotated[Int, Field(ge=0, le=10**9)] | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class ParticipationCreate(PartyIn, Citation):
    role: Role


class ParticipationPatch(Body):
    _required = not_null("role", "source", "locator")

    detail: Text | None = None
    regularity: Regularity | None = None
    role: Role | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class FuzzyDateIn(Body):
    date: IsoDate
    precision: DatePrecision


class MeetingCreate(Citation):
    body: SlugText = Field(description="Body slug, e.g. `ksopn`.")
    number: Number | None = None
    held: FuzzyDateIn | None = None
    place: Text | None = None
    country: Iso3 | None = None
    summary: LongText | None = None


class MeetingPatch(Body):
    _required = not_null("source", "locator")

    number: Number | None = None
    held: FuzzyDateIn | None = None
    place: Text | None = None
    country: Iso3 | None = None
    summary: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class EventCreate(Citation):
    slug: SlugText
    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    name_en: Text
    name_ru: Text | None = None
    start_on: IsoDate
    end_on: IsoDate | None = None
    date_precision: DatePrecision = DatePrecision.DAY
    place: Text | None = None
    country: Iso3 | None = None
    occasion: Text | None = None
    occasion_organization: SlugText | None = None
    description: LongText | None = None
    organizers: Annotated[list[PartyIn | PartyKey], Field(max_length=100)] = Field(
        default_factory=list
    )
    participants: Annotated[list[PartyIn | PartyKey], Field(max_length=100)] = Field(
        default_factory=list
    )

    _end_on = field_validator("end_on")(ends_after("start_on"))


class EventPatch(Body):
    _required = not_null("kind", "name_en", "start_on", "date_precision", "source", "locator")

    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    name_en: Text | None = None
    name_ru: Text | None = None
    start_on: IsoDate | None = None
    end_on: IsoDate | None = None
    date_precision: DatePrecision | None = None
    place: Text | None = None
    country: Iso3 | None = None
    occasion: Text | None = None
    description: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class DocumentCreate(Citation):
    slug: SlugText
    kind: DocumentKind
    title_en: Text
    title_ru: Text | None = None
    issuer: SlugText | None = None
    adopted: FuzzyDateIn | None = None
    period_start_year: Year | None = None
    period_end_year: Year | None = None
    status: DocumentStatus
    summary: LongText | None = None


class DocumentPatch(Body):
    _required = not_null("title_en", "status", "source", "locator")

    title_en: Text | None = None
    title_ru: Text | None = None
    adopted: FuzzyDateIn | None = None
    period_start_year: Year | None = None
    period_end_year: Year | None = None
    status: DocumentStatus | None = None
    summary: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class FigureCreate(Citation):
    slug: SlugText
    metric: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,60}$")]
    body: SlugText | None = None
    operation: SlugText | None = None
    value: Annotated[Int, Field(ge=0, le=10**15)]
    unit: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    qualifier: Qualifier = Qualifier.EXACT
    per: Annotated[str, StringConstraints(pattern=r"^year$")] | None = None
    as_reported: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    as_of: FuzzyDateIn
    description: LongText | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> "FigureCreate":
        if (self.body is None) == (self.operation is None):
            raise ValueError("name exactly one subject: body or operation")
        return self


class FigurePatch(Body):
    _required = not_null("value", "unit", "qualifier", "as_reported", "as_of", "source", "locator")

    value: Annotated[Int, Field(ge=0, le=10**15)] | None = None
    unit: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    qualifier: Qualifier | None = None
    as_reported: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    as_of: FuzzyDateIn | None = None
    description: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class OrganizationCreate(Body):
    slug: SlugText
    kind: OrganizationKind
    name_en: Text
    name_ru: Text
    acronym_en: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    acronym_ru: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    aliases_en: Aliases = Field(default_factory=list)
    aliases_ru: Aliases = Field(default_factory=list)
    country: Iso3 | None = None
    parent: SlugText | None = None
    description: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class OrganizationPatch(Body):
    _required = not_null("kind", "name_en", "name_ru", "aliases_en", "aliases_ru")

    kind: OrganizationKind | None = None
    name_en: Text | None = None
    name_ru: Text | None = None
    acronym_en: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    acronym_ru: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    aliases_en: Aliases | None = None
    aliases_ru: Aliases | None = None
    country: Iso3 | None = None
    parent: SlugText | None = None
    description: LongText | None = None


class SourceCreate(Body):
    slug: SlugText
    title: Annotated[str, _trimmed(500), _as_sent(500)]
    publisher: Text
    published: FuzzyDateIn | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
    url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=1000)] | None = None
    reference: Annotated[Text | None, AfterValidator(refuse_path)] = None
    locator_scheme: LongText
