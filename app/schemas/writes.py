"""What every request body of the write API is made of: the base that refuses unknown fields
and NUL characters, bounded text, strict numbers, citations, quantities and parties. The
bodies themselves are in each domain's schemas.py."""

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
)
from pydantic.json_schema import WithJsonSchema

from app.models.enums import (
    DatePrecision,
    Regularity,
)
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


class WriteIn(BaseModel):
    """A request body of the write API. ("Body" is the Council's bodies in this code; FastAPI's
    `Body` is imported as `RequestBody`.)"""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra=_document_not_null
    )

    _no_nul = field_validator("*", mode="before")(refuse_nul)


class Citation(WriteIn):
    source: SlugText = Field(description="Slug of the source (see /api/v1/sources).")
    locator: Locator = Field(description="Where in the source, e.g. `¶8`.")


class AmountIn(WriteIn):
    amount: Annotated[Decimal, Field(ge=0, le=10**12, max_digits=18, decimal_places=6)]
    unit: Annotated[str, StringConstraints(min_length=1, max_length=20)] = Field(
        description="t, kg, g, mg, l, ml, pcs, or the Russian т, кг, г, л, мл, шт."
    )


QuantityIn = Annotated[str, _trimmed(100), _as_sent(100)] | AmountIn


# A party given as a string keeps the rules of PartyIn's `party`: the service makes a PartyIn
# of it, and an empty one would fail there, a 500, instead of here, a 422.
PartyKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class PartyIn(WriteIn):
    party: PartyKey = Field(
        description="ISO 3166-1 alpha-3 code (`KAZ`), organization slug (`unodc`), or "
        "`member-states` for the CSTO member states as a group."
    )
    detail: Text | None = Field(None, description="Which of the party's bodies, e.g. 'customs'.")
    regularity: Regularity | None = None


class FuzzyDateIn(WriteIn):
    date: IsoDate
    precision: DatePrecision
