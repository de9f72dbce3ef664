import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app import PROJECT_DIR


class Settings(BaseSettings):
    """Every setting reads from an environment variable prefixed `KSOPN_` (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="KSOPN_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_DIR / 'var' / 'ksopn.sqlite3'}",
        description="Any SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    seeds_dir: Path = PROJECT_DIR / "seeds"
    releases_dir: Path = Field(
        default=PROJECT_DIR / "var" / "releases",
        description="Where each release's files are kept, a folder a release "
        "(app/releases/package.py); back it up with the database",
    )
    snapshots_dir: Path = Field(
        default=PROJECT_DIR / "var" / "snapshots",
        description="Where the record as it stood (reads with `as_of`) is built, a folder "
        "per server process, removed when it stops (app/releases/snapshots.py)",
    )
    snapshots_kept: int = Field(
        default=8, ge=1, le=256, description="Past records a server process keeps built at once"
    )
    sql_echo: bool = False
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    require_key_for_reads: bool = False
    fast_paths: bool = Field(
        default=True,
        description="The shorter ways, each giving the same bytes and headers: the year list, "
        "a report, and the totals and front page once kept, past FastAPI's routing "
        "(app/http/fast_path.py), and a repeated read given the answer "
        "kept for it at the same data version (app/http/kept_answers.py); false sends every "
        "request through FastAPI and keeps no answer",
    )
    idempotency_ttl_hours: int = Field(default=48, ge=24)
    env: Literal["development", "production"] = Field(
        default="development",
        description="production refuses to start with an unsafe setting (app/security.py)",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins whose pages may call the API, comma-separated; none by default",
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=0)
    auth_failure_limit: int = Field(
        default=10, ge=1, description="Failed key checks a client may make in the window"
    )
    auth_failure_window_seconds: int = Field(default=300, ge=1)
    auth_failure_max_clients: int = Field(
        default=10_000, ge=1, description="Clients tracked at once; bounds the table's rows"
    )
    error_report_limit: int = Field(
        default=5, ge=1, description="Error reports a client may send in the window"
    )
    error_report_window_seconds: int = Field(default=3600, ge=1)
    error_reports_max_pending: int = Field(
        default=5000,
        ge=1,
        description="Reports waiting for review at most; beyond, new ones are refused (429) "
        "until staff review some: bounds what a flood from many addresses can store",
    )
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed, comma-separated; none by default, "
        "so that no client can choose the address its failed key checks are counted by",
    )
    header_timeout_seconds: float = Field(
        default=10, gt=0, description="A request's head (line and headers) must arrive within"
    )
    body_timeout_seconds: float = Field(
        default=30, gt=0, description="A request's body must arrive within, after its head"
    )
    max_connections: int = Field(
        default=500,
        ge=1,
        description="Connections and requests one server process takes at once; beyond, a "
        "request is answered 503",
    )
    shutdown_timeout_seconds: int = Field(
        default=10,
        ge=0,
        description="On a shutdown signal, how long requests in flight may take to finish "
        "before they are cancelled",
    )
    cache_max_age: int = Field(
        default=60, ge=0, description="Seconds a cache may keep a public read before it asks again"
    )
    public_url: str | None = Field(
        default=None,
        description="The registry's address as clients reach it (https://host/prefix): the "
        "base of every absolute link of the API and the pages; without it they are relative",
    )
    worker_threads: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Threads that run the requests' database work; by default 1 on SQLite, "
        "8 on PostgreSQL. On SQLite, threads beyond one compete for Python's GIL: each row "
        "SQLite steps releases it, and taking it back waits for the thread holding it; on "
        "PostgreSQL, threads overlap their waits for the server (docs/benchmarks.md)",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the server answers for, comma-separated; any when empty",
    )

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @field_validator("cors_origins", "allowed_hosts", "forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, value: list[str]) -> list[str]:
        # uvicorn takes an entry it cannot read as an address for a Unix socket's name, which
        # no client has: a typo would leave the proxy untrusted without a word.
        if "*" in value and value != ["*"]:
            raise ValueError("* trusts every peer already; give it alone")
        for entry in value:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry)  # strict, as uvicorn reads it: 10.0.0.0/8
            except ValueError as error:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (such as 10.0.0.0/8) or *"
                ) from error
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
