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
    sql_echo: bool = False
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    require_key_for_reads: bool = False
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
        default=10_000, ge=1, description="Clients tracked at once; bounds the memory used"
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

    @field_validator("cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
