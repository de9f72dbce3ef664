"""The migrations build exactly the models' schema, and go down and up again cleanly."""

from collections.abc import Callable

from alembic import command
from sqlalchemy import inspect

from app import migrate
from app.db import make_engine
from app.models import Base


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    # Raises if autogenerate finds any difference between the models and the database.
    command.check(migrate.alembic_config(database_url))


def test_upgrade_downgrade_upgrade(new_database: Callable[[], str]) -> None:
    url = new_database()
    migrate.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables) | {"alembic_version"}

    migrate.downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}

    migrate.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables) | {"alembic_version"}
    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
