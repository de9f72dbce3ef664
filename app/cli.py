"""The `ksopn` command: migrations, seed loading and the server."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import backup, demo, migrate
from app.db import make_engine, make_sessionmaker
from app.errors import DomainError
from app.http.protocol import TimedHttpToolsProtocol
from app.models.enums import KeyRole
from app.releases.versions import Version
from app.releases.writes import make_release
from app.security import UnsafeConfigurationError, check_production_settings
from app.seeding.loader import SeedError, Tally, apply_seeds, read_seed_files
from app.seizures import derived_tables
from app.settings import Settings, get_settings
from app.staff.keys import Caller, create_key, list_keys, revoke_key

cli = typer.Typer(no_args_is_help=True, help="The KSOPN registry.")
db_cli = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
cli.add_typer(db_cli, name="db")
keys_cli = typer.Typer(no_args_is_help=True, help="API keys for secretariat staff.")
cli.add_typer(keys_cli, name="keys")
release_cli = typer.Typer(no_args_is_help=True, help="Releases: frozen, citable states.")
cli.add_typer(release_cli, name="release")
console = Console(stderr=True)


def main() -> None:
    cli()


@cli.callback()
def _start() -> None:
    """Before every command: whatever it writes of the seizure reports keeps their derived
    tables (sums, years, possible double counts) current in the same transaction."""
    derived_tables.keep_current()


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


@db_cli.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="Where to write the copy.", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace PATH if it exists.")] = False,
) -> None:
    """Copy the SQLite database to PATH; safe while the server is writing."""
    settings = get_settings()
    with _backup_errors():
        info = backup.backup_sqlite(
            settings.database_url,
            path,
            force=force,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )
    console.print(f"backup written: {info.describe()}", markup=False, soft_wrap=True)


@db_cli.command("restore")
def db_restore(
    path: Annotated[Path, typer.Argument(help="A file made by `ksopn db backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask; current data is lost.")] = False,
) -> None:
    """Replace the SQLite database's contents with the backup's. Stop the server first."""
    settings = get_settings()
    with _backup_errors():
        live = backup.sqlite_path(settings.database_url, path)
        if not yes:
            checked = backup.verify_backup(path)
            typer.confirm(f"Replace everything in {live} with {checked.describe()}?", abort=True)
        info = backup.restore_sqlite(
            settings.database_url, path, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
    console.print(f"restored: {info.describe()}", markup=False, soft_wrap=True)
    if info.revision != migrate.head_revision():
        console.print(f"the code expects {migrate.head_revision()}: run `ksopn db upgrade`")


@contextmanager
def _backup_errors() -> Iterator[None]:
    try:
        yield
    except backup.FAILURES as error:
        console.print(str(error), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(1) from error


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
    try:  # before anything starts: uvicorn would restart refusing workers forever
        check_production_settings(settings)
    except UnsafeConfigurationError as error:
        console.print(str(error), style="red", markup=False)
        raise typer.Exit(1) from error
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
        **server_options(settings),
    )


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options that the settings decide: whom to believe about the client's
    address, how long a client may take to send a request, how many it may hold open."""
    trusted = settings.forwarded_allow_ips
    return {
        # X-Forwarded-For only from the proxies named: uvicorn's own default believes it
        # from 127.0.0.1, where any local client (or a proxy that passes it on) may set it.
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "http": TimedHttpToolsProtocol,  # the request's head and body in limited time
        "limit_concurrency": settings.max_connections,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
    }


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


# Who the audit log names for a release made at the command line (no key makes it).
CLI_ACTOR = "ksopn release create (command line)"


@release_cli.command("create")
def release_create(
    version: Annotated[
        str, typer.Option(help="A semantic version greater than the last release's: 1.0.0.")
    ],
    note: Annotated[str, typer.Option(help="What the release is, what changed since the last.")],
) -> None:
    """Make a release: freeze the public record as it is now, build its files (CSV, data
    package, SQLite, checksums) under KSOPN_RELEASES_DIR, and record it. Never changes."""
    settings = get_settings()
    try:
        Version.parse(version)
    except ValueError as error:
        console.print(str(error), style="red", markup=False)
        raise typer.Exit(1) from error
    if not note.strip():
        console.print("give a --note: what the release is", style="red")
        raise typer.Exit(1)
    caller = Caller(key_id=0, name=CLI_ACTOR, role=KeyRole.ADMIN)
    engine = _engine()
    # The release's SQLite file is built by the migrations: their steps are not news here.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    public_url = settings.public_url
    homepage = f"{public_url}/releases/{version}" if public_url else None
    with make_sessionmaker(engine, writes=True)() as session, session.begin():
        try:
            release = make_release(
                session, caller, version, note.strip(), settings.releases_dir, homepage
            )
        except DomainError as error:
            console.print(error.detail, style="red", markup=False)
            raise typer.Exit(1) from error
        files = list(release.files)
        frozen = release.data_version
    console.print(
        f"release {version} made (data version {frozen}), "
        f"{len(files)} files in {settings.releases_dir / version}:",
        markup=False,
        soft_wrap=True,
    )
    for entry in files:
        typer.echo(f"{entry['sha256']}  {entry['size']:>12,}  {entry['name']}")


@cli.command("demo-data")
def demo_data(
    url: Annotated[
        str, typer.Option(help="An empty database to fill (SQLAlchemy URL), not the registry's.")
    ],
    reports: Annotated[int, typer.Option(min=1, max=20_000_000)] = 1_000_000,
    seed: Annotated[int, typer.Option(help="The same seed gives the same registry.")] = 1,
    into_configured: Annotated[
        bool,
        typer.Option(
            "--into-configured-database", help="Allow KSOPN_DATABASE_URL itself to be filled."
        ),
    ] = False,
) -> None:
    """Fill an empty database with a synthetic registry (seeds plus REPORTS seizure reports)."""
    if url == get_settings().database_url and not into_configured:
        console.print("[red]that is the registry's own database; name another --url[/red]")
        raise typer.Exit(1)
    engine = make_engine(url, durable=False)
    if migrate.has_schema(engine):
        console.print(
            "[red]the database already has tables; demo data goes into an empty one[/red]"
        )
        raise typer.Exit(1)
    started = time.perf_counter()
    migrate.upgrade(url)
    _load_seeds(engine, get_settings().seeds_dir)
    columns = (TextColumn("reports"), BarColumn(), MofNCompleteColumn())
    with (
        Progress(*columns, console=console, transient=True) as progress,
        Session(engine) as session,
    ):
        task = progress.add_task("reports", total=reports)
        with session.begin():
            counts = demo.fill(session, reports, seed, lambda n: progress.advance(task, n))
    engine.dispose()
    elapsed = time.perf_counter() - started
    console.print(", ".join(f"{n:,} {name}" for name, n in counts.items()) + f" in {elapsed:.1f} s")


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


if __name__ == "__main__":  # `python -m app.cli`, as the system tests run the server
    main()
