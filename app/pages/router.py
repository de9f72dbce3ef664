"""Every page route. The pages take the API's own filter parameters (the seizure filters
of /api/v1/seizures/totals, through the same dependency), so a page's URL and the API URL
of its figures differ only in their path, and an unknown parameter is a 422 page naming it."""

from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from anyio import to_thread
from babel import Locale
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from sqlalchemy.orm import Session

from app import wording
from app.coverage import service as coverage
from app.deps import SessionDep, session_done
from app.http.answers import VersionedCache
from app.http.as_of import as_of
from app.http.schemas import nest_source
from app.http.strict_query import refuse_unknown_query_parameters
from app.models.versions import data_version, read_data_version
from app.pages import (
    changelog,
    charts,
    drawing,
    facts,
    record_service,
    releases,
    service,
    stage_charts,
)
from app.pages import search as search_view
from app.pages.chart_images import ChartImages
from app.pages.i18n import LangDep, translations
from app.pages.record import record_helpers
from app.pages.routing import PageRoute
from app.pages.templating import format_day, format_period, page_response, render_page
from app.search import service as search_service
from app.search.index import MIN_QUERY
from app.seizures.filters import FiltersDep
from app.seizures.service import SeizureFilters

STATIC_DIR = FilePath(__file__).parent / "static"
router = APIRouter(route_class=PageRoute, include_in_schema=False)
Allocate = Annotated[
    Literal["pro_rata"] | None,
    Query(description="`pro_rata`: multi-year reports shared out over their years (estimates)"),
]
# What the filter form sends, besides `lang`: the API's names, so the query string of a page
# is the query string of its figures.
FORM_FIELDS = ("from", "to", "substance", "country", "operation", "stage", "allocate")
LayoutName = Annotated[
    Literal["wide", "narrow"],
    Query(description="`narrow`: drawn for a phone's width, `wide` (default) for a page's"),
]


def chart_id(kind: str, layout: str) -> str:
    """The id of a chart's <svg> on the page: `chart-mass`, `chart-mass-narrow`."""
    return f"chart-{kind}" if layout == "wide" else f"chart-{kind}-{layout}"


def install(app: FastAPI, dependencies: list[Any]) -> None:
    """The pages at `/`, their files at `/assets`."""
    for pages in (router, releases.router, changelog.router):
        app.include_router(
            pages, dependencies=[*dependencies, Depends(refuse_unknown_query_parameters)]
        )
    app.mount("/assets", StaticFiles(directory=STATIC_DIR), name="assets")


def api_query(request: Request, *, drop: tuple[str, ...] = ("lang",)) -> list[tuple[str, str]]:
    """The request's query as the API takes it: without the page's own `lang`."""
    return [(k, v) for k, v in request.query_params.multi_items() if k not in drop and v != ""]


def _url(path: str, query: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


def _current(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FORM_FIELDS}


@router.get("/")
async def front_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    filters: FiltersDep,
    allocate: Allocate = None,
) -> Response:
    """Seizures at a glance: the totals by year and substance, charted and tabled."""
    pro_rata = allocate == "pro_rata"
    kept = _kept_front_pages(request)
    key = front_page_key(request, lang)
    # The figures read in a worker thread, as any read; the charts drawn after the session
    # has ended (app/pages/chart_images.py); the page written in a worker thread again.
    version, page, figures = await to_thread.run_sync(
        _front_page_read, session, filters, pro_rata, lang, kept, key
    )
    session_done(request)
    if page is not None:
        return page_response(page, lang)
    assert figures is not None
    view, options, to_draw = figures
    # Each chart twice: wide for the page's column, narrow for a phone (pages.css shows one).
    drawn = [
        {"kind": kind, "title": layouts["wide"].title,
         "svg": {name: await _drawn_svg(request, version, chart, filters, allocate, lang)
                 for name, chart in layouts.items()}}
        for kind, layouts in to_draw.items()
    ]  # fmt: skip
    query = api_query(request)
    totals_query = [("group_by", "year,substance"), *query]
    list_query = [(k, v) for k, v in query if k != "allocate"]
    context = {
        "view": view,
        "charts": drawn,
        "options": options,
        "current": _current(request),
        "pro_rata": pro_rata,
        **_common(lang, view.examples),
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
    }
    response = await to_thread.run_sync(partial(render_page, request, "front.html", lang, context))
    if kept is not None:
        kept.keep(version, key, bytes(response.body))
    return response


# The front pages written at the data version, by language and query, for reads of the
# record as it stands: a page of a million reports' figures took 345 ms to read and
# write, most of it the template's table of every year and substance, and its answer
# depends on nothing else (`render_page`: the URL, the language and `as_of`). 32 MB.
FRONT_PAGE_BYTES = 32 * 2**20


def new_front_pages() -> VersionedCache:
    return VersionedCache(max_weight=FRONT_PAGE_BYTES, weigh=len)


def front_page_key(request: Request, lang: str) -> Hashable:
    """What a front page kept at a data version is kept under: all its page depends on."""
    return lang, request.url.path, tuple(request.query_params.multi_items())


def _kept_front_pages(request: Request) -> VersionedCache | None:
    """The front pages kept, or None for a read of the record as it stood (`as_of`)."""
    if as_of(request) is not None:
        return None
    kept: VersionedCache = request.app.state.front_pages
    return kept


FrontFigures = tuple[service.SeizureView, Any, dict[str, dict[str, charts.Chart]]]


def _front_page_read(
    session: Session,
    filters: SeizureFilters,
    pro_rata: bool,
    lang: str,
    kept: VersionedCache | None,
    key: Hashable,
) -> tuple[int, bytes | None, FrontFigures | None]:
    """The data version, and the page kept at it, or else its figures."""
    with _released(session):
        version = read_data_version(session)
        page: bytes | None = None if kept is None else kept.get(version, key)
        if page is not None:
            return version, page, None
        return version, None, _front_page_figures(session, filters, pro_rata, lang)


def _front_page_figures(
    session: Session, filters: SeizureFilters, pro_rata: bool, lang: str
) -> FrontFigures:
    """The figures, the filter form's choices and the charts to draw."""
    view = service.seizure_view(session, filters, pro_rata=pro_rata)
    options = service.filter_options(session, lang)
    gettext = translations(lang).gettext
    to_draw = {
        kind: {
            name: charts.seizure_chart(view.figures, kind, lang, gettext, view.palette, layout)
            for name, layout in charts.LAYOUTS.items()
        }
        for kind in view.unit_kinds
    }
    return view, options, to_draw


@contextmanager
def _released(session: Session) -> Iterator[None]:
    """The request's session closed when its figures are read: its connection goes back to
    the pool before any chart is drawn (the request then ends with nothing to commit)."""
    try:
        yield
    finally:
        session.close()


@dataclass(frozen=True)
class ChartKey:
    """What a chart image shows, besides the data version: everything that changes it."""

    form: Literal["svg", "png"]
    kind: str
    lang: str
    filters: SeizureFilters
    allocate: str | None
    layout: str = "wide"

    @classmethod
    def of(
        cls,
        form: Literal["svg", "png"],
        kind: str,
        lang: str,
        filters: SeizureFilters,
        allocate: str | None,
        layout: str = "wide",
    ) -> "ChartKey":
        # A chart draws the figures of its one unit kind, the same with `unit_kind=` as
        # without: the front page's chart of litres is `/charts/seizures.svg?unit_kind=volume`.
        return cls(form, kind, lang, replace(filters, unit_kind=None), allocate, layout)


def _images(request: Request) -> ChartImages:
    images: ChartImages = request.app.state.chart_images
    return images


async def _drawn_svg(
    request: Request,
    version: int,
    chart: charts.Chart,
    filters: SeizureFilters,
    allocate: str | None,
    lang: str,
) -> str:
    layout = chart.layout
    key = ChartKey.of("svg", chart.kind, lang, filters, allocate, layout)
    ident = chart_id(chart.kind, layout)
    args = (chart.spec, chart.title, chart.description, ident)
    return await _images(request).image(version, key, drawing.svg, *args)


CHART_HEADERS = {"Cache-Control": "public, max-age=300"}


@router.get("/charts/seizures.svg")
async def chart_svg(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    filters: FiltersDep,
    allocate: Allocate = None,
    layout: LayoutName = "wide",
) -> Response:
    """The front page's chart alone, embeddable: one unit kind (`unit_kind=`, else mass)."""
    svg = await _chart_image(request, session, "svg", lang, filters, allocate, layout)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg)
    return Response(body, media_type="image/svg+xml", headers={"Content-Language": lang})


@router.get("/charts/seizures.png")
async def chart_png(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    filters: FiltersDep,
    allocate: Allocate = None,
    layout: LayoutName = "wide",
) -> Response:
    png = await _chart_image(request, session, "png", lang, filters, allocate, layout)
    return Response(png, media_type="image/png", headers={"Content-Language": lang})


async def _chart_image(
    request: Request,
    session: Session,
    form: Literal["svg", "png"],
    lang: str,
    filters: SeizureFilters,
    allocate: str | None,
    layout: str,
) -> bytes | str:
    """The chart of the filters' unit kind (mass unless they name one, or the first kind
    they find), kept or drawn."""
    preferred = filters.unit_kind.value if filters.unit_kind else "mass"
    key = ChartKey.of(form, preferred, lang, filters, allocate, layout)
    version, kept, chart = await to_thread.run_sync(
        _chart_to_draw, session, _images(request), key, filters
    )
    session_done(request)
    if kept is not None:
        return kept
    assert chart is not None
    key = ChartKey.of(form, chart.kind, lang, filters, allocate, layout)
    if form == "png":
        return await _images(request).image(version, key, drawing.png, chart.spec)
    return await _drawn_svg(request, version, chart, filters, allocate, lang)


def _chart_to_draw(
    session: Session, images: ChartImages, key: ChartKey, filters: SeizureFilters
) -> tuple[int, bytes | str | None, charts.Chart | None]:
    """The data version, and the chart's image kept at it, or else the chart to draw: as
    planned by an earlier request, or read now."""
    with _released(session):
        version = data_version(session)
        if (kept := images.kept_image(version, key)) is not None:
            return version, kept, None
        if (planned := images.plans.get(version, key)) is not None:
            return version, None, planned
        view = service.seizure_view(session, filters, pro_rata=key.allocate == "pro_rata")
    if not view.unit_kinds:  # nothing matches: the empty chart of the kind asked for
        view.unit_kinds = [key.kind]
    kind = key.kind if key.kind in view.unit_kinds else view.unit_kinds[0]
    gettext = translations(key.lang).gettext
    layout = charts.LAYOUTS[key.layout]
    chart = charts.seizure_chart(view.figures, kind, key.lang, gettext, view.palette, layout)
    images.plans.keep(version, key, chart)
    return version, None, chart


@router.get("/methods")
def methods_page(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """How the figures are counted, with the seed's own multi-year report as the example.
    The example is kept by data version (four totals a request, the page's whole cost)."""
    kept: VersionedCache = request.app.state.page_answers
    example = kept.get_or_make(
        data_version(session), "methods-example", partial(service.multi_year_example, session)
    )
    return render_page(
        request,
        "methods.html",
        lang,
        {
            "example": example,
            "titles": service.source_titles(session),
            "today": format_day(date.today(), lang),
            **_common(lang, service.example_sources(session)),
        },
    )


@router.get("/search")
def search_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The API's search (`/api/v1/search`, app/search/), grouped by kind and named in the
    page's language; a query too short to search says so."""
    found = search_service.search(session, request.app.state.search, q) if q is not None else None
    gettext = translations(lang).gettext
    return render_page(
        request,
        "search.html",
        lang,
        {
            "q": found.query if found else "",
            "found": found,
            "groups": search_view.groups(found, lang, gettext) if found else [],
            "min_query": MIN_QUERY,
            **_common(lang),
        },
    )


def _common(lang: str, examples: frozenset[str] = frozenset()) -> dict[str, Any]:
    """What every page's template uses to name things and state quantities; `examples`,
    the sources made up for examples, which every citation of them labels so."""
    other = "ru" if lang == "en" else "en"

    def figure_words(
        value: Any, unit: str, qualifier: str | None, as_reported: str | None = None
    ) -> str:
        counted = facts.counted_units(value, unit, lang)
        if counted is None:
            return wording.figure_words(value, unit, qualifier, lang, as_reported)
        return wording.qualified(counted, qualifier, lang, word=wording.bound_word(as_reported))

    def quantity_of(item: Any) -> str:
        """A report's, a totals line's or a page figure's quantity in words."""
        return wording.words_of(item if isinstance(item, Mapping) else asdict(item), lang)

    gettext = translations(lang).gettext

    return {
        "examples": examples,
        "name": lambda item: service.name(item, lang),
        "other_name": lambda item: service.name(item, other),
        "other_lang": other,
        "figure_words": figure_words,
        "quantity_of": quantity_of,
        "period_label": lambda period: format_period(period[0], period[1], lang),
        "period_of": lambda r: format_period(r["period_start"], r["period_end"], lang),
        "twin": lambda item, field: twin(item, field, lang),
        # A publisher is a name: in the page's language where the seeds give it, a brand in
        # Latin letters («Forbes Kazakhstan», «Sputnik Казахстан») marked as such.
        "publisher": lambda source: search_view.in_field_language(
            source.get("publisher"), source.get("publisher_ru"), lang
        ),
        "of_substance": lambda item: of_substance(item, lang),
        # A source's title and words inside a sentence, marked as what they are: quotations.
        "cite_title": lambda title: Markup("<cite>{}</cite>").format(title),
        "quotation": lambda words: Markup('<span class="quoted">{}</span>').format(words),
        "aliases": lambda item: list(item.get(f"aliases_{lang}") or []),
        "language_name": lambda code: Locale.parse(lang).languages.get(code, code),
        # The registry's codes in words (app/pages/facts.py): no code reaches a page.
        "metric": lambda code: facts.metric_label(code, gettext),
        "role": lambda code: facts.role_label(code, gettext),
        "verdict": lambda code: facts.verdict_label(code, gettext),
        "channel_words": lambda text: facts.channel_label(text, gettext),
        "assessor": lambda kind, organization: facts.assessor_label(kind, organization, gettext),
        "stage_name": lambda operation, number: facts.stage_label(operation, number, gettext),
        "claim_field": lambda field: facts.claim_label(field, gettext),
        "result": lambda metric: facts.result_label(metric, gettext),
        "result_words": lambda r: result_words(r, lang),
        "meeting_title": lambda meeting: meeting_title(meeting, lang),
        "meeting_place": lambda meeting: meeting_place(meeting, lang),
        "exercise_dates": lambda stage: exercise_dates(stage, lang),
        "stage_title": lambda stage: stage_title(stage, lang),
    }


def stage_title(stage: Mapping[str, Any], lang: str) -> Markup | str:
    """An exercise's or a stage's own name in the page's language; else its name in the
    other one, marked with its language (Kobalt-2010 has only its Russian name)."""
    other = "en" if lang == "ru" else "ru"
    if own := stage.get(f"name_{lang}"):
        return str(own)
    return Markup('<span lang="{}">{}</span>').format(other, stage.get(f"name_{other}") or "")


# Units that the result's label already names ("officers involved: more than 500").
COUNTED_BY_LABEL = {"items", "persons", "personnel", "officers"}


def result_words(result: Mapping[str, Any], lang: str) -> str:
    """A stage's result as a number with its qualifier in the source's word; its unit where
    the label does not say it (a sum of money)."""
    number = wording.format_number(result["value"], lang)
    text = number if result["unit"] in COUNTED_BY_LABEL else f"{number} {result['unit']}"
    word = wording.bound_word(result["as_reported"])
    return wording.qualified(text, result["qualifier"], lang, word=word)


def meeting_title(meeting: Mapping[str, Any], lang: str) -> str:
    """`KSOPN meeting No. 17`, `Заседание КСОПН № 17`; a meeting no source numbers goes by
    its body, date and place, as the index lists it."""
    gettext = translations(lang).gettext
    body = meeting.get("body_detail") or {}
    short = service.name_in_lang(body.get("acronym_en"), body.get("acronym_ru"), lang)
    if not short:  # a body known by its full name only (the working group)
        return gettext("Meeting of a Council body: %(body)s") % {"body": service.name(body, lang)}
    if meeting["number"]:
        return gettext("%(body)s meeting No. %(number)s") % {
            "body": short,
            "number": meeting["number"],
        }
    return gettext("%(body)s meeting") % {"body": short}


def meeting_place(meeting: Mapping[str, Any], lang: str) -> Markup:
    """The city as the source names it, with its country in the page's language; or what
    is missing, said."""
    country = service.name(meeting.get("country_detail"), lang)
    if meeting["place"]:
        place = Markup('<span class="quoted">{}</span>').format(meeting["place"])
        return Markup("{} ({})").format(place, country) if country else place
    gettext = translations(lang).gettext
    missing = gettext("no source gives the city")
    if country:
        return Markup('{} <span class="note">({})</span>').format(country, missing)
    return Markup('<span class="note">{}</span>').format(missing)


def exercise_dates(stage: Mapping[str, Any], lang: str) -> Markup:
    """The exercise's days as the record holds them, or what is missing, said."""
    gettext = translations(lang).gettext
    start, end = stage["start_on"], stage["end_on"]
    if start and end:
        return Markup("{}").format(format_period(start, end, lang))
    if start:
        return Markup("{} {}").format(gettext("from"), format_day(start, lang)) + Markup(
            ' <span class="note">({})</span>'
        ).format(gettext("no source gives a full end date"))
    if end:
        return Markup("{} {}").format(gettext("until"), format_day(end, lang))
    return Markup('<span class="note">{}</span>').format(gettext("no source gives full dates"))


# "67 600 кг контролируемых веществ": the seed's substances in the genitive, as a quantity
# of them is written in Russian. Another substance is named in apposition:
# "кг вещества «Кокаин»".
GENITIVE_RU = {
    "controlled-substances": "контролируемых веществ",
    "opioids": "опиоидов",
    "opium": "опия",
    "heroin": "героина",
    "cannabis": "каннабиса",
    "hashish": "гашиша",
    "marijuana": "марихуаны",
    "synthetic-drugs": "синтетических наркотиков",
    "cocaine": "кокаина",
    "psychotropic-substances": "психотропных веществ",
    "potent-substances": "сильнодействующих веществ",
    "precursors": "прекурсоров",
}


def of_substance(item: dict[str, Any], lang: str) -> str:
    """A substance as the object of a quantity: `Opium` in English (`48,988 kg of Opium`),
    `опия` in Russian (`48 988 кг опия`)."""
    if lang != "ru":
        return service.name(item, lang)
    return GENITIVE_RU.get(item.get("slug") or "") or f"вещества «{service.name(item, lang)}»"


def twin(item: dict[str, Any] | None, field: str, lang: str) -> Markup | str:
    """A text field in the page's language: `description` in English, `description_ru` in
    Russian. Where only the other language has it, that one, never silently: marked with its
    language and as untranslated (a test fails on any such mark on the seed's pages)."""
    if not item:
        return ""
    english, russian = item.get(field) or item.get(f"{field}_en"), item.get(f"{field}_ru")
    wanted, other = (russian, english) if lang == "ru" else (english, russian)
    if wanted:
        return str(wanted)
    if other:
        other_lang = "en" if lang == "ru" else "ru"
        return Markup('<span class="untranslated" lang="{}">{}</span>').format(other_lang, other)
    return ""


def _entity_context(session: Session, lang: str, **extra: Any) -> dict[str, Any]:
    return {**_common(lang, service.example_sources(session)), **extra}


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The icon browsers ask for on every first visit (a 404 in every log before): the
    pages' own SVG, which the pages also name with <link rel="icon">."""
    icon = (STATIC_DIR / "favicon.svg").read_bytes()
    return Response(icon, media_type="image/svg+xml", headers=CHART_HEADERS)


@router.get("/operations")
def operations_index(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """Every operation, with its kind and its stages' count."""
    context = {"operations": service.operations_index(session), **_common(lang)}
    return render_page(request, "operations.html", lang, context)


@router.get("/coverage")
def coverage_page(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """What the registry holds of the public record, year by year, and its gaps: the API's
    `/api/v1/coverage`."""
    found = coverage.coverage(session)
    years = sorted({year["year"] for group in found["groups"] for year in group["years"]})
    context = {
        "coverage": _sources_nested_counts(found),
        "years": years,
        **_common(lang),
        **record_helpers(lang),
    }
    return render_page(request, "coverage.html", lang, context)


def _sources_nested_counts(found: dict[str, Any]) -> dict[str, Any]:
    for group in found["groups"]:
        group["stated_counts"] = [nest_source(count) for count in group["stated_counts"]]
    return found


@router.get("/sources")
def sources_index(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """Every source, with its publisher and date: where every figure comes from."""
    context = {"sources": service.sources_index(session), **_common(lang)}
    return render_page(request, "sources.html", lang, context)


@router.get("/operations/{slug}")
async def operation_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    slug: Annotated[str, Path(max_length=100)],
) -> Response:
    """An operation; Channel's with the timeline of its stages and their seizures, drawn
    after the session has ended, as the front page's charts."""
    version, context, to_draw = await to_thread.run_sync(_operation_read, session, slug, lang)
    session_done(request)
    images = _images(request)
    context["stage_charts"] = [
        {
            "kind": kind,
            "title": layouts["wide"].title,
            "svg": {
                name: await images.image(
                    version,
                    ("operation", slug, kind, lang, name),
                    drawing.svg,
                    chart.spec,
                    chart.title,
                    chart.description,
                    chart_id(kind, name),
                )
                for name, chart in layouts.items()
            },
        }
        for kind, layouts in to_draw.items()
    ]
    return await to_thread.run_sync(partial(render_page, request, "operation.html", lang, context))


def _operation_read(
    session: Session, slug: str, lang: str
) -> tuple[int, dict[str, Any], dict[str, dict[str, charts.Chart]]]:
    """The data version, the page's context and, for Channel, its two charts to draw."""
    with _released(session):
        version = data_version(session)
        operation = service.operation_page(session, slug, lang)
        context = _entity_context(
            session,
            lang,
            operation=operation,
            titles=service.source_titles(session),
            **record_helpers(lang),
        )
        to_draw: dict[str, dict[str, charts.Chart]] = {}
        if operation["slug"] == CHARTED_OPERATION:
            figures = stage_charts.stage_figures(service.stage_totals(session, operation["id"]))
            palette = service.substance_palette(session)
            to_draw = _stage_charts(operation["stages"], figures, palette, lang)
    return version, context, to_draw


CHARTED_OPERATION = "channel"  # the operation of stages the record holds, and charts


def _stage_charts(
    stages: list[dict[str, Any]],
    figures: list[stage_charts.StageFigure],
    palette: dict[str, str],
    lang: str,
) -> dict[str, dict[str, charts.Chart]]:
    gettext = translations(lang).gettext

    def substance_name(item: Mapping[str, Any]) -> str:
        return service.name(dict(item), lang)

    dated = {stage["id"] for stage in stage_charts.dated(stages)}
    to_draw: dict[str, dict[str, charts.Chart]] = {}
    if dated:  # no chart of nothing: a stage no source dates has no place on a time axis
        to_draw["timeline"] = {
            name: stage_charts.timeline_chart(stages, lang, gettext, layout)
            for name, layout in charts.LAYOUTS.items()
        }
    if any(f.stage_id in dated for f in figures):
        to_draw["stages"] = {
            name: stage_charts.seizures_by_stage_chart(
                stages, figures, lang, gettext, palette, layout, substance_name
            )
            for name, layout in charts.LAYOUTS.items()
        }
    return to_draw


@router.get("/stages/{stage_id:int}")
def stage_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    stage_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    stage = service.stage_page(session, stage_id, lang)
    return render_page(
        request,
        "stage.html",
        lang,
        _entity_context(
            session,
            lang,
            stage=stage,
            titles=service.source_titles(session),
            **record_helpers(lang),
        ),
    )


@router.get("/countries/{iso3}")
def country_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    iso3: Annotated[str, Path(min_length=3, max_length=3)],
) -> Response:
    country = service.country_page(session, iso3)
    country["meetings"] = record_service.meetings_in(session, country["iso3"])
    country["exercises"] = record_service.exercises_of(session, country["iso3"])
    return render_page(
        request,
        "country.html",
        lang,
        _entity_context(session, lang, country=country, titles=service.source_titles(session)),
    )


@router.get("/sources/{slug}")
def source_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    slug: Annotated[str, Path(max_length=100)],
) -> Response:
    source = service.source_page(session, slug)
    gettext = translations(lang).gettext
    source["facts"] = facts.source_facts(session, source["id"], lang, gettext)
    return render_page(request, "source.html", lang, _entity_context(session, lang, source=source))


@router.get("/meetings")
def meetings_index(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """Every Council meeting a source describes, by date."""
    context = _entity_context(session, lang, meetings=record_service.meetings_index(session))
    return render_page(request, "meetings.html", lang, context)


@router.get("/meetings/{meeting_id:int}")
def meeting_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    meeting_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    meeting = record_service.meeting_page(session, meeting_id)
    context = _entity_context(session, lang, meeting=meeting)
    return render_page(request, "meeting.html", lang, context)


@router.get("/exercises")
def exercises_index(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """Every Grom and Kobalt exercise a source describes, by operation and date."""
    context = _entity_context(session, lang, operations=record_service.exercises_index(session))
    return render_page(request, "exercises.html", lang, context)


@router.get("/exercises/{stage_id:int}")
def exercise_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    stage_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    exercise = record_service.exercise_page(session, stage_id)
    context = _entity_context(session, lang, exercise=exercise)
    return render_page(request, "exercise.html", lang, context)


@router.get("/substances")
def substances_index(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """The substance tree, each linked to its page."""
    context = {"substances": record_service.substances_index(session), **_common(lang)}
    return render_page(request, "substances.html", lang, context)


@router.get("/substances/{slug}")
def substance_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    slug: Annotated[str, Path(max_length=100)],
) -> Response:
    substance = record_service.substance_page(session, slug)
    context = _entity_context(session, lang, substance=substance)
    return render_page(request, "substance.html", lang, context)
