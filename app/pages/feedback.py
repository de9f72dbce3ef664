"""`/report-error`: the form that tells the registry a page is wrong, for anyone, without a
key and without scripts. A plain HTML form POST; the report is kept through the same checks
as `POST /api/v1/error-reports` (app/feedback/), and the reader is sent (303) to a page
that thanks them, so that reloading it sends nothing again.

No CSRF token: the form needs no key and no cookie, so a page elsewhere that posted it
would only do what anyone may do here, create a pending report (rate-limited, reviewed by
staff, never changing a record). Nothing a signed-in user could do is reachable by it.
"""

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from app.deps import WriteSessionDep
from app.error_words import in_russian
from app.errors import InvalidParameterError, TooManyRequestsError, describe_error
from app.feedback import writes
from app.feedback.schemas import PAGE_CHARS, ErrorReportIn, site_path
from app.pages.i18n import LangDep, translations
from app.pages.routing import PageRoute
from app.pages.templating import render_page
from app.security import client_address

router = APIRouter(include_in_schema=False, route_class=PageRoute)

FIELDS = ("page", "what_is_wrong", "source_says", "source_url", "contact")
# Hidden from people (pages.css); a robot that fills in every field fills it in.
TRAP = "website"
FORM = "application/x-www-form-urlencoded"
FORM_BYTES = 64 * 1024  # the fields' limits, in Cyrillic's two bytes a letter and escaped
PagePath = Annotated[str, Query(max_length=PAGE_CHARS, description="The page the report is about")]


def _labels(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {
        "page": _("Page"),
        "what_is_wrong": _("What is wrong"),
        "source_says": _("What the source says"),
        "source_url": _("Where the source says it (a web address)"),
        "contact": _("Your e-mail, if we may ask you a question"),
        "form": _("The form"),
    }


def _form_page(
    request: Request,
    lang: str,
    values: dict[str, str],
    problems: list[tuple[str, str]],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return render_page(
        request,
        "report_error.html",
        lang,
        {"values": values, "problems": problems, "labels": _labels(lang)},
        status_code=status_code,
        headers=headers,
    )


def _page_or_home(page: str) -> str:
    try:
        return site_path(page)
    except ValueError:
        return "/"


@router.get("/report-error")
def report_error_form(request: Request, lang: LangDep, page: PagePath = "/") -> Response:
    """The form, about the page the reader came from (`page`, the link's)."""
    return _form_page(request, lang, {"page": _page_or_home(page)}, [])


class FormError(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems


async def form_fields(request: Request) -> list[tuple[str, str]]:
    """The form's fields as a browser sends them (urlencoded, UTF-8)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return [("form", "not-a-form")]
    body = await request.body()
    if len(body) > FORM_BYTES:
        return [("form", "too-large")]
    try:
        return parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError):
        return [("form", "not-a-form")]


FormFields = Annotated[list[tuple[str, str]], Depends(form_fields)]


@router.post("/report-error")
def send_error_report(
    request: Request, lang: LangDep, session: WriteSessionDep, fields: FormFields
) -> Response:
    _ = translations(lang).gettext
    values = {name: value for name, value in fields if name in FIELDS}
    try:
        body, trapped = _read_form(fields, lang)
        writes.submit(
            session,
            request.app.state.settings,
            request.app.routes,
            client_address(request),
            body,
            lang,
            trapped=trapped,
        )
    except FormError as problem:
        return _form_page(request, lang, values, problem.problems, status_code=422)
    except TooManyRequestsError as error:
        session.rollback()  # the count goes back to the client's share
        return _form_page(
            request,
            lang,
            values,
            [("form", _in(lang, error.detail))],
            status_code=429,
            headers=error.response_headers(),
        )
    except InvalidParameterError as error:  # a page this site does not serve
        problems = [
            (_labels(lang).get(str(e["name"]), str(e["name"])), _in(lang, str(e["message"])))
            for e in error.errors
        ]
        return _form_page(request, lang, values, problems, status_code=422)
    thanks = urlencode({"lang": lang, "page": values.get("page", "/")})
    return RedirectResponse(f"/report-error/thanks?{thanks}", status_code=303)


def _read_form(fields: list[tuple[str, str]], lang: str) -> tuple[ErrorReportIn, bool]:
    _ = translations(lang).gettext
    labels = _labels(lang)
    if ("form", "not-a-form") in fields:
        raise FormError([(labels["form"], _("Send the form from this page."))])
    if ("form", "too-large") in fields:
        raise FormError([(labels["form"], _("The form is too large to send."))])
    names = [name for name, _value in fields]
    unknown = sorted({name for name in names if name not in (*FIELDS, TRAP)})
    repeated = sorted({name for name in names if names.count(name) > 1})
    if unknown or repeated:
        problems = [(name, _("This form has no such field.")) for name in unknown]
        problems += [(labels.get(n, n), _("Sent more than once.")) for n in repeated]
        raise FormError(problems)
    sent = dict(fields)
    trapped = bool(sent.pop(TRAP, "").strip())
    # An empty optional field is one not filled in.
    data: dict[str, Any] = {name: value for name, value in sent.items() if value.strip()}
    data["language"] = lang
    try:
        return ErrorReportIn.model_validate(data), trapped
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            described = describe_error({**item, "loc": ("body", *item["loc"])}, lang)
            name = str(described["name"])
            problems.append((labels.get(name, name), str(described["message"])))
        raise FormError(problems) from error


def _in(lang: str, message: str) -> str:
    return in_russian(message) if lang == "ru" else message


@router.get("/report-error/thanks")
def error_report_thanks(request: Request, lang: LangDep, page: PagePath = "/") -> Response:
    return render_page(request, "report_error_thanks.html", lang, {"page": _page_or_home(page)})
