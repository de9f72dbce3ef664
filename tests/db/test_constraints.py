"""The database itself refuses impossible facts, whoever writes them."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import models as m


def _ids(session: Session) -> dict[str, int]:
    def one(stmt: Any) -> int:
        value = session.scalar(stmt)
        assert value is not None
        return int(value)

    return {
        "source": one(select(m.Source.id).where(m.Source.slug == "mvd-ksopn-15-years-2020")),
        "operation": one(select(m.Operation.id).where(m.Operation.slug == "channel")),
        "substance": one(select(m.Substance.id).where(m.Substance.slug == "heroin")),
        "country": one(select(m.Country.id).where(m.Country.iso3 == "KAZ")),
        "organization": one(select(m.Organization.id).where(m.Organization.slug == "unodc")),
    }


def _report(ids: dict[str, int], **changes: Any) -> m.SeizureReport:
    values: dict[str, Any] = {
        "operation_id": ids["operation"],
        "substance_id": ids["substance"],
        "period_start": date(2018, 1, 1),
        "period_end": date(2018, 12, 31),
        "unit_kind": "mass",
        "amount": 1000,
        "qualifier": "exact",
        "as_reported": "1 kg",
        "source_id": ids["source"],
        "locator": "¶8",
    }
    return m.SeizureReport(**(values | changes))


def _participation(ids: dict[str, int], **changes: Any) -> m.Participation:
    values: dict[str, Any] = {
        "operation_id": ids["operation"],
        "party_kind": "country",
        "country_id": ids["country"],
        "role": "observer",
        "source_id": ids["source"],
        "locator": "¶6",
    }
    return m.Participation(**(values | changes))


BAD_ROWS: dict[str, Callable[[dict[str, int]], m.Base]] = {
    "negative amount": lambda ids: _report(ids, amount=-1),
    "period ends before it starts": lambda ids: _report(
        ids, period_start=date(2019, 1, 1), period_end=date(2018, 1, 1)
    ),
    "unknown qualifier": lambda ids: _report(ids, qualifier="roughly"),
    "unknown unit kind": lambda ids: _report(ids, unit_kind="furlongs"),
    "negative cases": lambda ids: _report(ids, cases=-3),
    "empty locator": lambda ids: _report(ids, locator=""),
    "missing source": lambda ids: _report(ids, source_id=None),
    "dangling substance": lambda ids: _report(ids, substance_id=987654),
    "two targets": lambda ids: _participation(ids, activity_id=1),
    "party does not match its kind": lambda ids: _participation(
        ids, party_kind="organization", organization_id=ids["organization"]
    ),
    "unknown role": lambda ids: _participation(ids, role="sponsor"),
    "membership ending before it starts": lambda ids: m.Membership(
        country_id=ids["country"],
        organization_id=ids["organization"],
        status="member",
        valid_from=date(2020, 1, 1),
        valid_to=date(2019, 1, 1),
        source_id=ids["source"],
        locator="x",
    ),
    "lowercase ISO code": lambda ids: m.Country(iso3="kaz", name_en="K", name_ru="К"),
    "duplicate stage number": lambda ids: m.Stage(
        operation_id=ids["operation"], number=1, source_id=ids["source"], locator="¶8"
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_the_database_refuses(session: Session, case: str) -> None:
    ids = _ids(session)
    if case == "duplicate stage number":
        session.add(BAD_ROWS[case](ids))
        session.flush()
    session.add(BAD_ROWS[case](ids))
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_valid_report_is_accepted(session: Session) -> None:
    session.add(_report(_ids(session)))
    session.flush()
