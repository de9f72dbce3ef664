"""Alembic environment: SQLite runs in batch mode, the URL comes from the app's settings.

A caller (the CLI, the tests) may hand over an open connection in
`config.attributes["connection"]`; otherwise the engine is made from the URL.
"""

from typing import Any

from alembic import context
from sqlalchemy import Connection

from app.db import make_engine
from app.models import Base
from app.settings import get_settings

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds a table by copy, drop and rename; with foreign keys
                # on, dropping a table that rows point to fails. The pragma only takes
                # effect outside a transaction, so it goes to the driver directly.
                _driver(connection).execute("PRAGMA foreign_keys = OFF")
            run_with(connection)
            if sqlite:  # checked before the commit, so a migration that breaks them is undone
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left broken references: {broken[:5]}")
            connection.commit()
            if sqlite:
                _driver(connection).execute("PRAGMA foreign_keys = ON")
    finally:
        engine.dispose()


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
