"""Errors on pages are pages: a route class that turns a bad query (422, naming the
parameter, as the API's problem would), an unknown entity (404) into HTML in the page's
language, instead of the API's problem+json."""

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from app.error_words import message_ru
from app.errors import DomainError, InvalidParameterError, describe_error
from app.pages.i18n import DEFAULT_LANGUAGE, LANGUAGES, from_accept_language
from app.pages.templating import render_page


def language_of(request: Request) -> str:
    """The page language without the dependency (which may be what failed)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    return from_accept_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


def error_page(request: Request, status: int, problems: list[tuple[str, str]]) -> Response:
    return render_page(
        request,
        "error.html",
        language_of(request),
        {"status": status, "problems": problems},
        status_code=status,
    )


class PageRoute(APIRoute):
    """An APIRoute whose errors are HTML pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            items = request.query_params.multi_items()
            if any(value == "" for _, value in items):
                # The filter form sends its empty choices too (`country=&stage=`): the page
                # is the one without them, at the short address that is worth sharing.
                kept = urlencode([(name, value) for name, value in items if value != ""])
                return RedirectResponse(
                    request.url.path + (f"?{kept}" if kept else ""), status_code=303
                )
            try:
                return await handler(request)
            except InvalidParameterError as error:
                lang = language_of(request)
                # The message as raised: a `Said` carries its Russian twin, which str() drops.
                names = [(e["name"], _in(lang, e["message"])) for e in error.errors or []]
                return error_page(request, 422, names)
            except RequestValidationError as error:
                lang = language_of(request)
                return error_page(
                    request, 422, [_validation_problem(e, lang) for e in error.errors()]
                )
            except DomainError as error:
                if error.status == 404:
                    return error_page(request, 404, [])
                if error.status == 503:  # busy drawing charts (app/pages/chart_images.py)
                    busy = error_page(request, 503, [])
                    busy.headers.update(error.response_headers())
                    return busy
                raise
            except HTTPException as error:
                if error.status_code == 404:
                    return error_page(request, 404, [])
                raise

        return page_handler


def _validation_problem(item: Any, lang: str) -> tuple[str, str]:
    described = describe_error(item, lang)
    return str(described["name"]), str(described["message"])


def _in(lang: str, message: str) -> str:
    """A message of the API in the page's language."""
    return message_ru(message) if lang == "ru" else message
