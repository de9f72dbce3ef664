"""One error hierarchy, rendered by one handler as RFC 9457 `application/problem+json`."""

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.error_words import (
    Said,
    in_russian,
    joined,
    message_ru,
    prefixed,
    said,
    title_ru,
    wants_russian,
)

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status = 400
    title = "Bad request"
    headers: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}

    def response_headers(self) -> dict[str, str]:
        return dict(self.headers)


class NotFoundError(DomainError):
    status = 404
    title = "Not found"


class InvalidParameterError(DomainError):
    """A query or path parameter the API cannot use; names the parameter, and with `also`,
    more parameters of the same request at fault, each with its message."""

    status = 422
    title = "Invalid parameter"

    def __init__(
        self,
        name: str,
        message: str,
        *,
        location: str = "query",
        also: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.name = name
        problems = [(name, message), *also]
        super().__init__(
            joined(prefixed(each, text) for each, text in problems),
            errors=[{"name": each, "in": location, "message": text} for each, text in problems],
        )


class ConflictError(DomainError):
    status = 409
    title = "Conflict"


class PreconditionRequiredError(DomainError):
    status = 428
    title = "Precondition required"


class PreconditionFailedError(DomainError):
    status = 412
    title = "Precondition failed"


class ContentTooLargeError(DomainError):
    status = 413
    title = "Content too large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            said(
                f"the request body is larger than the limit of {limit} bytes; nothing was changed",
                f"тело запроса больше предела в {limit} байт; ничего не изменено",
            ),
            extra={"max_body_bytes": limit},
        )


class TooManyRequestsError(DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after

    def response_headers(self) -> dict[str, str]:
        return {**self.headers, "Retry-After": str(self.retry_after)}


class ServiceUnavailableError(DomainError):
    """The server cannot take the request now (it is busy); nothing was changed."""

    status = 503
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after

    def response_headers(self) -> dict[str, str]:
        return {**self.headers, "Retry-After": str(self.retry_after)}


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    russian = wants_russian(request.headers.get("accept-language"))
    if russian:  # the same type, status and field names; the words in Russian
        title = title_ru(title)
        errors = [{**e, "message": in_russian(e["message"])} for e in errors]
        detail = (
            "; ".join(f"{e['name']}: {e['message']}" for e in errors)
            if errors and not isinstance(detail, Said)
            else in_russian(detail)
        )
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
    response.headers["Content-Language"] = "ru" if russian else "en"
    return response


def domain_problem(request: Request, error: DomainError) -> JSONResponse:
    response = problem(request, error.status, error.title, error.detail, error.errors, error.extra)
    response.headers.update(error.response_headers())
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, error: DomainError) -> JSONResponse:
        return domain_problem(request, error)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        russian = wants_russian(request.headers.get("accept-language"))
        errors = [describe_error(item, "ru" if russian else "en") for item in error.errors()]
        detail = "; ".join(f"{e['name']}: {e['message']}" for e in errors)
        return problem(request, 422, "Invalid request", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed"}.get(error.status_code, "Error")
        detail = str(error.detail)
        if isinstance(error.__cause__, RecursionError):  # FastAPI's 400 for any unreadable body
            detail = said(
                "the body's JSON nests arrays or objects too deeply to read; nothing was changed",
                "JSON тела вкладывает массивы или объекты слишком глубоко, его не прочесть; "
                "ничего не изменено",
            )
        response = problem(request, error.status_code, title, detail, [])
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        if error.status_code == 405 and (allowed := _allowed_methods(request)):
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.exception_handler(OperationalError)
    async def on_database_unavailable(request: Request, error: OperationalError) -> JSONResponse:
        logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
        detail = said(
            "The database is busy or unreachable; nothing was changed. Retry shortly.",
            "База данных занята или недоступна; ничего не изменено. Повторите чуть позже.",
        )
        response = problem(request, 503, "Service unavailable", detail, [])
        response.headers["Retry-After"] = "2"
        return response

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        detail = said(
            "The server failed to answer; the error is logged. Please report it.",
            "Сервер не смог ответить; ошибка записана в журнал. Пожалуйста, сообщите о ней.",
        )
        return problem(request, 500, "Internal server error", detail, [])


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _allowed_methods(request: Request) -> list[str]:
    """Every method the request's path answers to. One path's methods can come from routes in
    several routers (GET /events/{event} in one, PATCH and DELETE in another), and the
    router's own 405 names only the methods of the first route whose path matched."""
    path = request.scope["path"]
    allowed = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        for method in HTTP_METHODS & item.keys():
            if _path_pattern(template, _numeric(item[method])).fullmatch(path):
                allowed.add(method.upper())
    return sorted(allowed)


def _numeric(operation: dict[str, Any]) -> frozenset[str]:
    """The operation's integer path parameters, which its route writes `{name:int}`."""
    return frozenset(
        parameter["name"]
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer"
    )


@lru_cache(maxsize=512)
def _path_pattern(template: str, numeric: frozenset[str]) -> re.Pattern[str]:
    """The paths a route matches: `{name}` is one segment, `{name:int}` one of digits."""
    parts = re.split(r"\{([^{}/]+)\}", template)  # literal, name, literal, name, ...
    return re.compile(
        "".join(
            re.escape(part) if i % 2 == 0 else "[0-9]+" if part in numeric else "[^/]+"
            for i, part in enumerate(parts)
        )
    )


def describe_error(item: Any, lang: str = "en") -> dict[str, Any]:
    location = [str(part) for part in item.get("loc", ())]
    where = location[0] if location else "request"
    if item.get("type") == "json_invalid":  # the location is a character offset
        offset = location[1] if len(location) > 1 else "?"
        invalid = said(
            f"the body is not valid JSON (at character {offset}): {item.get('msg')}",
            f"тело запроса не является правильным JSON (символ {offset})",
        )
        return {"name": "body", "in": "body", "message": invalid if lang == "en" else invalid.ru}
    name = field_path(tuple(item.get("loc", ()))[1:]) or where
    message = _message(item)
    if lang == "ru":
        message = message_ru(message, item.get("type"), item.get("ctx"))
    return {"name": name, "in": where, "message": message}


def field_path(location: Sequence[str | int]) -> str:
    """A field as the write path names it too: `seizures[0].parts[1].quantity`."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _message(item: Any) -> str:
    """Pydantic's message, less the prefix it gives the refusals of our own validators."""
    message = str(item.get("msg", "invalid"))
    if item.get("type") == "value_error":
        return message.removeprefix("Value error, ")
    return message
