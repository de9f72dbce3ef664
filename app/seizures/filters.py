"""The seizure filters, one parameter set for the list, its count, its exports, the totals
and the pages: read from the query, checked, and the names people use (`channel`,
`channel-31`, `KAZ`, `heroin`) turned into ids."""

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import Depends, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.common import STAGE_ID_PREFIX, operation_id_of, stage_id_of
from app.deps import SessionDep
from app.error_words import said
from app.errors import InvalidParameterError
from app.http.schemas import IsoDate
from app.models import Stage
from app.models.enums import Qualifier, UnitKind
from app.reference import service as reference
from app.seizures.service import ANY_ID, NO_ID, SeizureFilters


async def seizure_filters(
    session: SessionDep,
    year: Annotated[
        int | None,
        Query(ge=1900, le=2100, description="The window: this calendar year."),
    ] = None,
    date_from: Annotated[
        IsoDate | None,
        Query(alias="from", description="The window starts on this date."),
    ] = None,
    date_to: Annotated[
        IsoDate | None,
        Query(alias="to", description="The window ends on this date."),
    ] = None,
    within_window: Annotated[
        bool | None,
        Query(
            description="With a window: `true` keeps the reports whose period lies inside "
            "it, `false` those reaching beyond it. Without, a report matches when its "
            "period overlaps the window."
        ),
    ] = None,
    period: Annotated[
        str | None,
        Query(
            max_length=21,
            description="Reports of exactly this period, `START/END` (`2017-01-01/2019-12-31`).",
        ),
    ] = None,
    operation: Annotated[
        str | None, Query(max_length=100, description="Operation slug (`channel`) or id.")
    ] = None,
    stage: Annotated[
        str | None,
        Query(
            max_length=120,
            description="A stage as people name it: its operation and number (`channel-31`), "
            "or its number with `operation=`; a stage no source numbers by its key "
            "(`channel-2018-red-barkhan`), or by `id:` and its id; `none`: reports of no stage; "
            "`any`: reports of some stage (a summary over stages, which names none, is then "
            "not the answer, so the stages' own figures count).",
        ),
    ] = None,
    country: Annotated[
        str | None,
        Query(
            max_length=100,
            description="ISO 3166-1 alpha-3, e.g. `KAZ`; `none`: reports of no country. A "
            "country's name is refused with its code suggested.",
        ),
    ] = None,
    substance: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Substance slug (`cannabis`); includes its descendants (hashish, ...).",
        ),
    ] = None,
    descendants: Annotated[
        bool, Query(description="`false`: the substance itself, without its descendants.")
    ] = True,
    unit_kind: Annotated[UnitKind | None, Query(description="Mass, volume or count.")] = None,
    has_parts: Annotated[
        bool | None,
        Query(
            description="`true`: reports with breakdown rows (stated totals); `false`: "
            "reports without."
        ),
    ] = None,
    counted: Annotated[
        bool,
        Query(
            description="`true`: only the reports that add something to totals (a fully "
            "itemized exact parent adds nothing of its own)."
        ),
    ] = False,
    qualifier: Annotated[
        Qualifier | None, Query(description="Only reports stated this way.")
    ] = None,
) -> SeizureFilters:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidParameterError("from", f"`from` ({date_from}) is after `to` ({date_to})")
    filters = SeizureFilters(
        year=year,
        date_from=date_from,
        date_to=date_to,
        within_window=within_window,
        period=_period(period),
        descendants=descendants,
        unit_kind=unit_kind,
        has_parts=has_parts,
        counted=counted,
        qualifier=qualifier,
    )
    if within_window is not None and filters.window is None:
        raise InvalidParameterError(
            "within_window", "needs a window: give `year`, `from` or `to` as well"
        )
    if (operation, stage, country, substance) == (None, None, None, None):
        return filters  # nothing to look up: no worker thread
    return await run_in_threadpool(
        _resolved,
        session,
        filters,
        operation=operation,
        stage=stage,
        country=country,
        substance=substance,
    )


def _period(value: str | None) -> tuple[date, date] | None:
    if value is None:
        return None
    start, _, end = value.partition("/")
    try:
        period = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise InvalidParameterError(
            "period", f"{value!r} is not START/END with ISO dates, e.g. 2017-01-01/2019-12-31"
        ) from None
    if period[0] > period[1]:
        raise InvalidParameterError("period", f"{value!r} ends before it starts")
    return period


def _resolved(
    session: Session,
    filters: SeizureFilters,
    *,
    operation: str | None,
    stage: str | None,
    country: str | None,
    substance: str | None,
) -> SeizureFilters:
    """`filters` with the slugs, codes and stage names given turned into ids."""
    operation_id = _resolve("operation", operation, operation_id_of, session)
    return replace(
        filters,
        operation_id=operation_id,
        stage_id=_stage_id(session, stage, operation_id),
        country_id=NO_ID if country == "none" else _country_id(session, country),
        substance_id=_resolve(
            "substance",
            substance,
            reference.substance_id,
            session,
            suggest=reference.substance_suggestion,
        ),
    )


ISO3 = re.compile(r"[A-Za-z]{3}")


def _country_id(session: Session, country: str | None) -> int | None:
    """A country by its ISO alpha-3 code; a name (`Kazakhstan`) is told what to send."""
    if country is None or ISO3.fullmatch(country):
        return _resolve(
            "country", country, reference.country_id, session, suggest=reference.country_suggestion
        )
    expected = f"{country!r} is not a country code: an ISO 3166-1 alpha-3 code is expected"
    suggestion = reference.country_suggestion(session, country)
    if suggestion:
        raise InvalidParameterError("country", f"{expected}; did you mean `{suggestion}`?")
    raise InvalidParameterError("country", f"{expected}, such as `KAZ` for Kazakhstan")


STAGE_NAME = re.compile(r"(?P<operation>.+)-(?P<number>[0-9]{1,9})")


def _stage_id(session: Session, stage: str | None, operation_id: int | None) -> int | None:
    """A stage named `channel-31`, or `31` with `operation=`, or by its key or `id:42`
    (`common.stage_reference`); `none` is no stage, `any` some stage."""
    if stage is None:
        return None
    if stage == "none":
        return NO_ID
    if stage == "any":
        return ANY_ID
    found = _stage_by_key(session, stage, operation_id)
    if found is not None or stage.startswith(STAGE_ID_PREFIX):
        pass  # found by its key or id, or `id:` names none (below)
    elif stage.isascii() and stage.isdigit() and len(stage) <= 9:
        if operation_id is None:
            raise InvalidParameterError(
                "stage",
                said(
                    f"name the stage with its operation, e.g. `channel-{stage}`, or give "
                    "`operation=` with its number",
                    f"назовите этап вместе с операцией, например `channel-{stage}`, или "
                    "укажите `operation=` вместе с его номером",
                ),
            )
        found = stage_id_of(session, operation_id, int(stage))
    elif (match := STAGE_NAME.fullmatch(stage)) is not None:
        of = operation_id_of(session, match["operation"])
        if of is None or (operation_id is not None and of != operation_id):
            raise InvalidParameterError(
                "stage",
                said(
                    f"no stage {stage!r}: no such operation",
                    f"нет этапа {stage!r}: нет такой операции",
                ),
            )
        found = stage_id_of(session, of, int(match["number"]))
    else:
        raise InvalidParameterError(
            "stage",
            said(
                f"{stage!r} is not a stage name such as `channel-31`, a stage's key such as "
                "`channel-2018-red-barkhan`, a number, `id:42`, `none` or `any`",
                f"{stage!r} не название этапа вида `channel-31`, не ключ этапа вида "
                "`channel-2018-red-barkhan`, не номер, не `id:42`, не `none` и не `any`",
            ),
        )
    if found is None:
        raise InvalidParameterError("stage", f"no stage {stage!r}")
    return found


def _stage_by_key(session: Session, stage: str, operation_id: int | None) -> int | None:
    """The stage with this key, or with this id after `id:`; None when no stage has it."""
    if stage.startswith(STAGE_ID_PREFIX):
        number = stage.removeprefix(STAGE_ID_PREFIX)
        if not (number.isascii() and number.isdigit() and len(number) <= 9):
            raise InvalidParameterError(
                "stage", f"{stage!r}: `id:` takes a stage's id, e.g. `id:42`"
            )
        where = Stage.id == int(number)
    else:
        where = Stage.slug == stage
    if operation_id is not None:
        where = and_(where, Stage.operation_id == operation_id)
    return session.scalar(select(Stage.id).where(where))


def _resolve(
    name: str,
    value: str | None,
    lookup: Callable[[Session, str], int | None],
    session: Session,
    *,
    suggest: Callable[[Session, str], str | None] | None = None,
) -> int | None:
    """The id `lookup` finds for `value`; else a 422 with the closest value, if any, as
    misspelt parameter names have it (app/http/strict_query.py)."""
    if value is None:
        return None
    found = lookup(session, value)
    if found is None:
        close = suggest(session, value) if suggest else None
        hint = f"; did you mean `{close}`?" if close else ""
        raise InvalidParameterError(name, f"no {name} {value!r}{hint}")
    return found


FiltersDep = Annotated[SeizureFilters, Depends(seizure_filters)]
