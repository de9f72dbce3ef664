from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
