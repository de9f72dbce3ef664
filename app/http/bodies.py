"""What every request body of the write API is made of: the base that refuses unknown fields
and NUL characters, bounded text, strict numbers, citations, quantities and parties. The
bodies themselves are in each domain's schemas.py."""

import math
from decimal import Decimal
from typing import Annotated, Any, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError, PydanticKnownError, core_schema

from app.error_words import in_russian, said
from app.http.schemas import IsoDate, has_a_letter, refuse_nul
from app.models.enums import (
    DatePrecision,
    Regularity,
)


def as_sent(max_length: int) -> Any:
    """For text whose ends are trimmed: the documented maxLength holds for the text as sent,
    not only once trimmed (300 characters and 10 spaces are 310, too many)."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > max_length:
            raise ValueError(
                said(
                    f"at most {max_length} characters, spaces included",
                    f"не длиннее {max_length} символов, пробелы тоже считаются",
                )
            )
        return value

    return BeforeValidator(check)


def trimmed(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Text = Annotated[str, trimmed(300), as_sent(300)]
LongText = Annotated[str, trimmed(5000), as_sent(5000)]
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
Locator = Annotated[str, trimmed(64), as_sent(64)]


class WholeNumber:
    """An integer of a request body, with its bounds: `Annotated[int, WholeNumber(ge=1)]`.

    JSON numbers only as themselves: lax pydantic also takes false for 0 and "5" for 5,
    which the documented schema does not allow. But JSON Schema's integer is any number
    with no fractional part, so 235.0 is the integer 235 (some JSON libraries write whole
    numbers so), and 2.5 is no integer. The bounds are given here, not by a `Field` after
    it: pydantic applies a bound given after a validator in a validator of its own, and
    documents it as `ge`, which JSON Schema does not know, instead of `minimum`."""

    def __init__(self, *, ge: int | None = None, le: int | None = None) -> None:
        self.ge = ge
        self.le = le

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        bounded = core_schema.int_schema(strict=True, ge=self.ge, le=self.le)
        return core_schema.no_info_before_validator_function(_whole_number, bounded)


def _whole_number(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        if not value.is_integer():
            raise PydanticKnownError("int_from_float")
        return int(value)
    return value


# Booleans only as themselves: lax pydantic also takes 1 or "yes" for true, which the
# documented schema does not allow.
Bool = Annotated[bool, Strict()]
Number = Annotated[int, WholeNumber(ge=1, le=2**31 - 1)]
Year = Annotated[int, WholeNumber(ge=1900, le=2100)]
Aliases = Annotated[list[Text], Field(max_length=50)]


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError(
            said(
                "may not be null; leave the field out to keep its value",
                "не может быть null; чтобы оставить значение, не передавайте поле",
            )
        )
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


class StringOrObject:
    """Marks a field that takes a string or an object, `Annotated[str | AmountIn,
    StringOrObject(forms)]`: the value's JSON type chooses the form it is checked as.

    A plain union tries every form and reports each one's failure under pydantic's names for
    them (`quantity.function-before[check(), constrained-str]` and `quantity.AmountIn.amount`
    for one negative amount). Here a string is checked as the string form, an object as the
    object form (its errors name its own fields: `quantity.amount`), and any other value is
    one error saying what the field takes, `forms`. The plain union is kept for what it does
    well: the JSON schema (both forms) and serializing."""

    def __init__(self, forms: str) -> None:
        self.forms = forms

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        choices = get_args(source)
        model = next(c for c in choices if isinstance(c, type) and issubclass(c, BaseModel))
        text = TypeAdapter(next(c for c in choices if c is not model))
        forms = self.forms

        def validate(value: Any, _union: ValidatorFunctionWrapHandler) -> Any:
            # A form's ValidationError becomes this field's errors, under its path.
            if isinstance(value, str):
                return text.validate_python(value)
            if isinstance(value, dict | model):
                return model.model_validate(value)
            raise PydanticCustomError("string_or_object_type", forms, {"ru": in_russian(forms)})

        return core_schema.no_info_wrap_validator_function(validate, handler(source))


QUANTITY_FORMS = said(
    'a quantity is a number with a unit, e.g. "2.5 t", "48 tons and 988 kg", '
    'or {"amount": 2.5, "unit": "t"}',
    'количество — это число с единицей, например "2,5 т", "48 т 988 кг", '
    'или {"amount": 2.5, "unit": "t"}',
)
QuantityText = Annotated[str, trimmed(100), as_sent(100)]
QuantityIn = Annotated[QuantityText | AmountIn, StringOrObject(QUANTITY_FORMS)]


# A party given as a string keeps the rules of PartyIn's `party`: the service makes a PartyIn
# of it, and an empty one would fail there, a 500, instead of here, a 422.
PartyKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]
PARTY_FORMS = said(
    'a party is a key, e.g. "KAZ" (a country), "unodc" (an organization) or "member-states", '
    'or an object, e.g. {"party": "TJK", "detail": "drug control agency"}',
    'сторона — это ключ, например "KAZ" (страна), "unodc" (организация) или "member-states", '
    'или объект, например {"party": "TJK", "detail": "наркоконтроль"}',
)


class PartyIn(WriteIn):
    party: PartyKey = Field(
        description="ISO 3166-1 alpha-3 code (`KAZ`), organization slug (`unodc`), or "
        "`member-states` for the CSTO member states as a group."
    )
    detail: Text | None = Field(None, description="Which of the party's bodies, e.g. 'customs'.")
    regularity: Regularity | None = None


PartyEntry = Annotated[PartyIn | PartyKey, StringOrObject(PARTY_FORMS)]


class FuzzyDateIn(WriteIn):
    date: IsoDate
    precision: DatePrecision
