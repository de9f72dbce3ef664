"""The `ksopn` command: migrations, seed loading and the server."""

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import migrate
from app.db import make_engine
from app.errors import DomainError
from app.models.enums import KeyRole
from app.seeding.loader import SeedError, Tally, apply_seeds, read_seed_files
from app.services.keys import create_key, list_keys, revoke_key
from app.settings import get_settings

cli = typer.Typer(no_args_is_help=True, help="The KSOPN registry.")
db_cli = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
cli.add_typer(db_cli, name="db")
keys_cli = typer.Typer(no_args_is_help=True, help="API keys for secretariat staff.")
cli.add_typer(keys_cli, name="keys")
console = Console(stderr=True)


def main() -> None:
    cli()


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    migrate.upgrade(get_settings().database_url, revision)
    console.print(f"[green]database at {revision}[/green]")


@db_cli.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base' for empty.")],
) -> None:
    """Migrate the database down to REVISION."""
    migrate.downgrade(get_settings().database_url, revision)
    console.print(f"[green]database at {revision}[/green]")


@db_cli.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one."""
    engine = _engine()
    current = migrate.current_revision(engine) if migrate.has_schema(engine) else None
    typer.echo(f"current: {current or '(no schema)'}\nhead:    {migrate.head_revision()}")


@cli.command()
def seed(
    path: Annotated[
        Path | None, typer.Option(help="Folder of seed files (default: the project's seeds/).")
    ] = None,
) -> None:
    """Load the seed files: all of them in one transaction, or nothing."""
    engine = _engine()
    if not migrate.has_schema(engine):
        console.print("[red]the database has no schema: run `ksopn db upgrade` first[/red]")
        raise typer.Exit(1)
    try:
        tally = _load_seeds(engine, path or get_settings().seeds_dir)
    except SeedError as error:
        console.print(f"[red]seed not loaded, nothing changed:[/red] {error}")
        raise typer.Exit(1) from error
    _report(tally)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API. A database with no schema is migrated and seeded first."""
    settings = get_settings()
    engine = _engine()
    if not migrate.has_schema(engine):
        console.print("empty database: creating the schema and loading the seeds")
        migrate.upgrade(settings.database_url)
        _report(_load_seeds(engine, settings.seeds_dir))
    elif (current := migrate.current_revision(engine)) != migrate.head_revision():
        console.print(
            f"[red]the database is at revision {current}, the code expects "
            f"{migrate.head_revision()}: run `ksopn db upgrade`[/red]"
        )
        raise typer.Exit(1)
    engine.dispose()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
    )


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what holds the key; shown in the audit log.")],
    role: Annotated[KeyRole, typer.Option(help="editor writes; admin also reads the audit log.")],
) -> None:
    """Create a key and print it. It is shown this once; only its hash is stored."""
    with Session(_engine()) as session, session.begin():
        try:
            key = create_key(session, name, role)
        except DomainError as error:
            console.print(f"[red]{error.detail}[/red]")
            raise typer.Exit(1) from error
    console.print(f"key {name!r} ({role.value}) created; store it now, it is not shown again:")
    typer.echo(key)


@keys_cli.command("list")
def keys_list() -> None:
    """List the keys (never the keys themselves)."""
    with Session(_engine()) as session:
        keys = list_keys(session)
    table = Table("name", "role", "created", "revoked")
    for key in keys:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else ""
        table.add_row(key.name, key.role, key.created_at.isoformat(timespec="seconds"), revoked)
    Console().print(table)


@keys_cli.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    with Session(_engine()) as session, session.begin():
        try:
            revoke_key(session, name)
        except DomainError as error:
            console.print(f"[red]{error.detail}[/red]")
            raise typer.Exit(1) from error
    console.print(f"key {name!r} revoked")


def _engine() -> Engine:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    return make_engine(
        settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )


def _load_seeds(engine: Engine, directory: Path) -> Tally:
    documents = read_seed_files(directory)
    columns = (TextColumn("seeding"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("seed", total=sum(d.entries() for d in documents))
        with Session(engine) as session, session.begin():
            return apply_seeds(session, documents, on_entry=lambda: progress.advance(task))


def _report(tally: Tally) -> None:
    table = Table("table", "inserted", "updated", "unchanged", title="seed")
    for name, counts in tally.counts.items():
        table.add_row(name, *(str(counts[k]) for k in ("inserted", "updated", "unchanged")))
    console.print(table)
    if tally.changed == 0:
        console.print("nothing to change: the database already holds these seeds")
