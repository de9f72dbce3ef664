"""An app that a test built is freed when the test ends (tests.helpers.forget_built_apps):
the suite builds many, and FastAPI's caches of callables kept them alive, which made every
full garbage collection late in a run take seconds (and a timed test fail)."""

import gc
import weakref

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.helpers import forget_built_apps


def test_an_app_that_served_is_freed_once_forgotten(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, fast_paths=False))
    with TestClient(app) as client:
        assert client.get("/api/v1/countries").status_code == 200
        assert client.get("/?lang=en").status_code == 200
    freed = weakref.ref(app)
    del app, client

    forget_built_apps()
    gc.collect()

    assert freed() is None, [type(r).__name__ for r in gc.get_referrers(freed())]
