"""A stage's read (`GET /api/v1/stages/{id}`) writes its reports from the pieces the year
list keeps (app/seizures/list_items.py) into the body the response model writes for the
rest: it must be, byte for byte and ETag for ETag, the model's writing of the whole stage,
which the pages and an edit's If-Match go by."""

import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.http.representation import etag_of, render, render_with_items
from app.models import Stage
from app.operations import service as operations
from app.operations.schemas import StageDetail
from app.seizures import derived_tables
from tests.seizures.test_totals_fast_path import RandomRegistry


@pytest.fixture
def registry(session: Session) -> RandomRegistry:
    """Stages of many reports of every shape (tests/operations/test_posted_stage.py reads
    stages with parties of every kind)."""
    registry = RandomRegistry(session, 11)
    registry.fill(90)
    registry.correct(30)
    derived_tables.settle(session)
    return registry


@pytest.mark.usefixtures("registry")
def test_every_stage_reads_as_the_model_writes_it(client: TestClient, session: Session) -> None:
    stages = session.scalars(select(Stage.id).order_by(Stage.id)).all()
    reports = 0
    for stage_id in stages:
        whole = operations.get_stage(session, stage_id)
        expected = render(StageDetail, whole)
        response = client.get(f"/api/v1/stages/{stage_id}")
        assert response.status_code == 200
        assert response.content == expected, stage_id
        assert response.headers["etag"] == etag_of(expected)
        reports += len(whole["seizures"])
    assert len(stages) >= 3
    assert reports > 60, "the registry's stages are read with their reports"


def test_a_stage_whose_report_is_another_sources_version_disagrees(
    session: Session, registry: RandomRegistry
) -> None:
    version = next(r for r in registry.reports if r.stage_id and r.alternative_to_id is None)
    other = next(r for r in registry.reports if r.id != version.id and r.stage_id is None)
    # Through the ORM, as the API writes: its flush tells the derived tables, whose items
    # the stage's read takes its reports from.
    other.stage_id, other.alternative_to_id = version.stage_id, version.id
    derived_tables.settle(session)
    assert version.stage_id is not None
    stage, items = operations.get_stage_with_items(session, version.stage_id)
    assert stage["sources_disagree"] is True
    assert other.id in [orjson.loads(orjson.dumps(item))["id"] for item in items]


def test_the_items_go_into_the_stages_own_key() -> None:
    items = [orjson.Fragment(b'{"id":1}'), {"id": 2}]
    stage = {"seizures": [], "name": '"seizures":[]'}
    body = render_with_items(dict[str, object], stage, "seizures", items)
    assert orjson.loads(body) == {"seizures": [{"id": 1}, {"id": 2}], "name": '"seizures":[]'}


class _Named(BaseModel):
    name: str


def test_a_model_that_does_not_write_the_key_writes_the_body_itself() -> None:
    """A key the model leaves out (or writes under another name) is not searched for in
    its body: the model writes the whole, items included."""
    body = render_with_items(_Named, {"name": "x"}, "seizures", [orjson.Fragment(b"{}")])
    assert body == render(_Named, {"name": "x"})


def test_a_stage_read_sees_what_its_session_has_not_flushed_yet(
    session: Session, registry: RandomRegistry
) -> None:
    """Its parts are read on the session's connection (`app.common.core_rows`), past the
    ORM's execution, after the same autoflush: an edit's answer is read in the session that
    made the edit, before the commit flushes it."""
    stage = session.scalars(select(Stage).order_by(Stage.id)).first()
    assert stage is not None
    stage.name_en = "Renamed, not yet flushed"
    stage.hq_city_en = "Astana"
    assert session.dirty
    read = operations.get_stage(session, stage.id)
    assert read["name_en"] == "Renamed, not yet flushed"
    assert read["headquarters"]["city_en"] == "Astana"
