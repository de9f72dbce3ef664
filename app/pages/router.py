"""Every page route. The pages take the API's own filter parameters (the seizure filters
of /api/v1/seizures/totals, through the same dependency), so a page's URL and the API URL
of its figures differ only in their path, and an unknown parameter is a 422 page naming it."""

from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from app.deps import SessionDep
from app.http.strict_query import refuse_unknown_query_parameters
from app.pages import charts, service
from app.pages.i18n import LangDep, translations
from app.pages.routing import PageRoute
from app.pages.templating import format_day, render_page
from app.seizures.filters import FiltersDep

STATIC_DIR = FilePath(__file__).parent / "static"
router = APIRouter(route_class=PageRoute, include_in_schema=False)
Allocate = Annotated[
    Literal["pro_rata"] | None,
    Query(description="`pro_rata`: multi-year reports shared out over their years (estimates)"),
]
# What the filter form sends, besides `lang`: the API's names, so the query string of a page
# is the query string of its figures.
FORM_FIELDS = ("from", "to", "substance", "country", "operation", "stage", "allocate")
CHART_IDS = {"mass": "chart-mass", "volume": "chart-volume", "count": "chart-count"}


def install(app: FastAPI, dependencies: list[Any]) -> None:
    """The pages at `/`, their files at `/assets`."""
    app.include_router(
        router, dependencies=[*dependencies, Depends(refuse_unknown_query_parameters)]
    )
    app.mount("/assets", StaticFiles(directory=STATIC_DIR), name="assets")


def api_query(request: Request, *, drop: tuple[str, ...] = ("lang",)) -> list[tuple[str, str]]:
    """The request's query as the API takes it: without the page's own `lang`."""
    return [(k, v) for k, v in request.query_params.multi_items() if k not in drop and v != ""]


def _url(path: str, query: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


def _charts(
    view: service.SeizureView, lang: str, *, ident_prefix: str = ""
) -> list[dict[str, Any]]:
    gettext = translations(lang).gettext
    drawn = []
    for kind in view.unit_kinds:
        unit = charts.unit_word(kind, gettext)
        title = {
            "mass": gettext("Seizures by year and substance, kg"),
            "volume": gettext("Seizures by year and substance, litres"),
            "count": gettext("Seizures by year and substance, items"),
        }[kind]
        spec = charts.chart_spec(view.figures, kind, lang, gettext, title=title, unit_label=unit)
        mine = [f for f in view.figures if f.unit_kind == kind]
        description = gettext(
            "%(bars)d per-year figures drawn as stacked bars, %(spans)d figures for periods "
            "of several years drawn as spans across their years. The table below lists "
            "every figure with its source."
        ) % {
            "bars": sum(f.section == "groups" for f in mine),
            "spans": sum(f.section == "beyond_window" for f in mine),
        }
        ident = ident_prefix + CHART_IDS[kind]
        svg = charts.accessible_svg(charts.to_svg(spec), title, description, ident)
        drawn.append({"kind": kind, "title": title, "svg": svg, "spec": spec, "id": ident})
    return drawn


def _current(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FORM_FIELDS}


@router.get("/")
def front_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    filters: FiltersDep,
    allocate: Allocate = None,
) -> Response:
    """Seizures at a glance: the totals by year and substance, charted and tabled."""
    pro_rata = allocate == "pro_rata"
    view = service.seizure_view(session, filters, pro_rata=pro_rata)
    query = api_query(request)
    totals_query = [("group_by", "year,substance"), *query]
    list_query = [(k, v) for k, v in query if k != "allocate"]
    return render_page(
        request,
        "front.html",
        lang,
        {
            "view": view,
            "charts": _charts(view, lang),
            "options": service.filter_options(session, lang),
            "current": _current(request),
            "pro_rata": pro_rata,
            **_common(lang),
            "downloads": {
                "totals_csv": _url("/api/v1/seizures/totals.csv", totals_query),
                "totals_json": _url("/api/v1/seizures/totals", totals_query),
                "reports_csv": _url("/api/v1/seizures.csv", list_query),
                "reports_ndjson": _url("/api/v1/seizures.ndjson", list_query),
                "chart_svg": _url("/charts/seizures.svg", [*query, ("lang", lang)]),
                "chart_png": _url("/charts/seizures.png", [*query, ("lang", lang)]),
            },
            "toggle_url": _url(
                "/",
                [(k, v) for k, v in request.query_params.multi_items() if k != "allocate"]
                + ([] if pro_rata else [("allocate", "pro_rata")]),
            ),
        },
    )


def _chart_for(
    session: Any, lang: str, filters: Any, allocate: str | None
) -> tuple[dict[str, Any], str, str]:
    view = service.seizure_view(session, filters, pro_rata=allocate == "pro_rata")
    if not view.unit_kinds:
        view.unit_kinds = [filters.unit_kind.value if filters.unit_kind else "mass"]
    drawn = _charts(view, lang)
    preferred = filters.unit_kind.value if filters.unit_kind else "mass"
    chart = next((c for c in drawn if c["kind"] == preferred), drawn[0])
    return chart["spec"], chart["svg"], chart["title"]


CHART_HEADERS = {"Cache-Control": "public, max-age=300"}


@router.get("/charts/seizures.svg")
def chart_svg(
    session: SessionDep, lang: LangDep, filters: FiltersDep, allocate: Allocate = None
) -> Response:
    """The front page's chart alone, embeddable: one unit kind (`unit_kind=`, else mass)."""
    _, svg, _ = _chart_for(session, lang, filters, allocate)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
    return Response(body, media_type="image/svg+xml", headers={"Content-Language": lang})


@router.get("/charts/seizures.png")
def chart_png(
    session: SessionDep, lang: LangDep, filters: FiltersDep, allocate: Allocate = None
) -> Response:
    spec, _, _ = _chart_for(session, lang, filters, allocate)
    return Response(charts.to_png(spec), media_type="image/png", headers={"Content-Language": lang})


@router.get("/methods")
def methods_page(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """How the figures are counted, with the seed's own multi-year report as the example."""
    example = service.multi_year_example(session)
    return render_page(
        request,
        "methods.html",
        lang,
        {
            "example": example,
            "titles": service.source_titles(session),
            "today": format_day(date.today(), lang),
            **_common(lang),
        },
    )


@router.get("/search")
def search_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The API's `q=` search over operations, countries, organizations and substances."""
    results = service.search(session, q) if q else None
    return render_page(
        request,
        "search.html",
        lang,
        {"q": q or "", "results": results, **_common(lang)},
    )


def _common(lang: str) -> dict[str, Any]:
    """What every page's template uses to name things and state quantities."""
    gettext = translations(lang).gettext
    other = "ru" if lang == "en" else "en"

    def words(amount: int, qualifier: str, unit_kind: str = "mass", estimated: bool = False) -> str:
        return charts.quantity_words(amount, qualifier, unit_kind, lang, gettext, estimated)

    return {
        "name": lambda item: service.name(item, lang),
        "other_name": lambda item: service.name(item, other),
        "other_lang": other,
        "words": words,
        "period_label": charts.period_label,
        "period_of": lambda r: charts.period_label((str(r["period_start"]), str(r["period_end"]))),
    }


def _entity_context(lang: str, **extra: Any) -> dict[str, Any]:
    return {**_common(lang), **extra}


@router.get("/operations/{slug}")
def operation_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    slug: Annotated[str, Path(max_length=100)],
) -> Response:
    operation = service.operation_page(session, slug)
    return render_page(
        request,
        "operation.html",
        lang,
        _entity_context(lang, operation=operation, titles=service.source_titles(session)),
    )


@router.get("/stages/{stage_id:int}")
def stage_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    stage_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    stage = service.stage_page(session, stage_id)
    return render_page(
        request,
        "stage.html",
        lang,
        _entity_context(lang, stage=stage, titles=service.source_titles(session)),
    )


@router.get("/countries/{iso3}")
def country_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    iso3: Annotated[str, Path(min_length=3, max_length=3)],
) -> Response:
    country = service.country_page(session, iso3)
    return render_page(
        request,
        "country.html",
        lang,
        _entity_context(lang, country=country, titles=service.source_titles(session)),
    )


@router.get("/sources/{slug}")
def source_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    slug: Annotated[str, Path(max_length=100)],
) -> Response:
    source = service.source_page(session, slug)
    return render_page(request, "source.html", lang, _entity_context(lang, source=source))
