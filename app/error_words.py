"""The API's error messages in Russian (issue 22, point 22): a problem's `title`, and each
message of its `errors`, for a client that asks for Russian (`Accept-Language: ru`) and for
the pages in Russian. The `type`, the status and the field names stay as they are.

A message finds its Russian form by what made it: a message the registry writes carries its
Russian twin (`Said`, written where the English is, so that neither is written without the
other); pydantic's refusals go by their error `type` (the registry's own custom types
included, with their context values); the few English messages left from before go by
their wording (their numbers, names and quoted words carried over)."""

import re
from collections.abc import Iterable, Mapping
from typing import Any


class Said(str):
    """A message in English that carries its Russian twin (`.ru`). It is a `str`, so every
    caller that reads English (the seed loader, logs, the English answer) goes on as before;
    the problem details in Russian read `.ru`."""

    ru: str

    def __new__(cls, english: str, russian: str) -> "Said":
        said = super().__new__(cls, english)
        said.ru = russian
        return said

    def __reduce__(self) -> tuple[Any, ...]:  # kept whole through copies and pickling
        return (Said, (str(self), self.ru))


def said(english: str, russian: str) -> Said:
    return Said(english, russian)


def in_russian(message: str) -> str:
    """The Russian twin of a message, or the message as it is (a name, a code)."""
    return message.ru if isinstance(message, Said) else message_ru(message)


def joined(messages: Iterable[str], separator: str = "; ") -> str:
    """Messages joined in both languages, each part keeping its twin."""
    parts = list(messages)
    return Said(separator.join(parts), separator.join(in_russian(part) for part in parts))


def prefixed(prefix: str, message: str, separator: str = ": ") -> str:
    """`prefix: message` in both languages, the prefix (a field, a URL) unchanged."""
    return Said(f"{prefix}{separator}{message}", f"{prefix}{separator}{in_russian(message)}")


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
    "Invalid record": "Неверная запись",
    "Unknown host": "Неизвестный хост",
    "Not acceptable": "Нет такого представления",
    "Unsupported media type": "Неподдерживаемый тип содержимого",
    "Database unavailable": "База данных недоступна",
    "Unauthorized": "Нужен ключ API",
    "Forbidden": "Запрещено",
    "Idempotency key reused": "Ключ идемпотентности уже использован",
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
    "string_too_short": "не короче {min_length} симв.",
    "string_too_long": "не длиннее {max_length} симв.",
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

# Starlette's own details, for a path or method the API has no route for.
EXACT_RU = {
    "Not Found": "Не найдено",
    "Method Not Allowed": "Метод не разрешён",
}

# "no stage 12", "no seizure report 5": a 404's detail, and an unknown name in a body.
NOTHING_NAMED = re.compile(r"no (?P<what>[a-z ]+?) (?P<key>\S+)$")
ENTITIES_RU = {  # genitive: "нет этапа 12"
    "stage": "этапа",
    "seizure report": "сводки об изъятии",
    "participation": "участия",
    "operation": "операции",
    "meeting": "заседания",
    "event": "события",
    "document": "документа",
    "activity": "мероприятия",
    "reported figure": "показателя",
    "organization": "организации",
    "source": "источника",
    "country": "страны",
    "substance": "вещества",
    "body": "органа",
    "stage result": "результата этапа",
    "key named": "ключа с именем",
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
    """A message in Russian: its twin where it carries one (also inside the exception of a
    validator's refusal), by pydantic's error type where there is one, else by its wording;
    unchanged when none is known."""
    if isinstance(message, Said):
        return message.ru
    raised = (context or {}).get("error")
    if isinstance(raised, Exception) and raised.args and isinstance(raised.args[0], Said):
        return raised.args[0].ru
    if isinstance(russian := (context or {}).get("ru"), str):  # a custom error's twin
        return russian
    if error_type in BY_TYPE_RU:
        # pydantic lists choices as "'a', 'b' or 'c'"
        values = {k: _listed(v).replace("' or '", "' или '") for k, v in (context or {}).items()}
        try:
            return BY_TYPE_RU[error_type].format(**values)
        except (KeyError, IndexError):
            pass
    if message in EXACT_RU:
        return EXACT_RU[message]
    if match := NOTHING_NAMED.match(message):
        what = ENTITIES_RU.get(match["what"], "записи")
        return f"нет {what} {match['key']}"
    for pattern, russian in PATTERNS_RU:
        if match := pattern.match(message):
            return russian.format(**match.groupdict())
    return message


def _listed(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
