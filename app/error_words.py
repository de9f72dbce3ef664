"""The API's error messages in Russian (issue 22, point 22): a problem's `title`, and each
message of its `errors`, for a client that asks for Russian (`Accept-Language: ru`) and for
the pages in Russian. The `type`, the status and the field names stay as they are.

Messages are matched by what made them: pydantic's error `type` for a request the schema
refuses, and the wording of the registry's own messages (their numbers, names and quoted
words carried over). A message with no Russian form here stays in English."""

import re
from collections.abc import Mapping
from typing import Any

TITLES_RU = {
    "Bad request": "Неверный запрос",
    "Not found": "Не найдено",
    "Invalid parameter": "Неверный параметр",
    "Invalid request": "Неверный запрос",
    "Conflict": "Конфликт",
    "Precondition required": "Нужно условие If-Match",
    "Precondition failed": "Условие не выполнено",
    "Content too large": "Слишком большое тело запроса",
    "Too many requests": "Слишком много запросов",
    "Service unavailable": "Сервис недоступен",
    "Method not allowed": "Метод не разрешён",
    "Internal server error": "Внутренняя ошибка сервера",
    "Error": "Ошибка",
}

# pydantic's error types, with the names of their context values.
BY_TYPE_RU = {
    "missing": "обязательное поле",
    "int_parsing": "нужно целое число",
    "int_type": "нужно целое число",
    "int_from_float": "нужно целое число",
    "float_parsing": "нужно число",
    "float_type": "нужно число",
    "decimal_parsing": "нужно число",
    "bool_parsing": "нужно true или false",
    "bool_type": "нужно true или false",
    "string_type": "нужна строка",
    "string_too_short": "не короче {min_length} символов",
    "string_too_long": "не длиннее {max_length} символов",
    "string_pattern_mismatch": "не соответствует образцу {pattern}",
    "literal_error": "допустимые значения: {expected}",
    "enum": "допустимые значения: {expected}",
    "date_parsing": "нужна дата в виде ГГГГ-ММ-ДД",
    "date_from_datetime_parsing": "нужна дата в виде ГГГГ-ММ-ДД",
    "date_type": "нужна дата в виде ГГГГ-ММ-ДД",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than": "должно быть меньше {lt}",
    "less_than_equal": "должно быть не больше {le}",
    "too_long": "не больше {max_length} элементов",
    "too_short": "не меньше {min_length} элементов",
    "extra_forbidden": "неизвестное поле",
    "list_type": "нужен список",
    "dict_type": "нужен объект",
    "model_type": "нужен объект",
}

# The registry's own messages: (pattern, Russian), the groups carried over.
PATTERNS_RU: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"the parts of (?P<label>.+?) add up to (?P<covered>.+?), more than its "
            r"(?P<amount>.+?) \((?P<reported>.+)\)$"
        ),
        "части {label} в сумме дают {covered}, больше, чем её {amount} ({reported})",
    ),
    (
        re.compile(r"unknown query parameter; did you mean `(?P<name>[^`]+)`\?$"),
        "неизвестный параметр запроса; может быть, `{name}`?",
    ),
    (
        re.compile(r"unknown query parameter; this endpoint takes none$"),
        "неизвестный параметр запроса; этот адрес параметров не принимает",
    ),
    (
        re.compile(r"unknown query parameter; this endpoint takes (?P<names>.+)$"),
        "неизвестный параметр запроса; этот адрес принимает {names}",
    ),
]


def preferred_language(header: str | None, languages: tuple[str, ...] = ("en", "ru")) -> str | None:
    """The first of `languages` an `Accept-Language` header asks for, by its quality values
    (the earlier of two equal ones); None when it asks for none of them."""
    choices: list[tuple[float, int, str]] = []
    for index, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in languages and quality > 0:
            choices.append((-quality, index, primary))
    return min(choices)[2] if choices else None


def wants_russian(accept_language: str | None) -> bool:
    """Whether the client's first choice among English and Russian is Russian."""
    return preferred_language(accept_language) == "ru"


def title_ru(title: str) -> str:
    return TITLES_RU.get(title, title)


def message_ru(
    message: str, error_type: str | None = None, context: Mapping[str, Any] | None = None
) -> str:
    """A message in Russian: by pydantic's error type where there is one, else by its
    wording; unchanged when neither is known."""
    if error_type in BY_TYPE_RU:
        values = {k: _listed(v) for k, v in (context or {}).items()}
        try:
            return BY_TYPE_RU[error_type].format(**values)
        except (KeyError, IndexError):
            pass
    for pattern, russian in PATTERNS_RU:
        if match := pattern.match(message):
            return russian.format(**match.groupdict())
    return message


def _listed(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
