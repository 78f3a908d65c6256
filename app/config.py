"""Settings, read from the environment (prefix TANDEM_) or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/tandem.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TANDEM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL. sqlite:///path or postgresql://user@host/db (psycopg 3).",
    )
    database_echo: bool = Field(default=False, description="Log every SQL statement.")
    environment: Literal["development", "test", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = Field(default=False, description="One JSON object a log line.")
    curriculum_path: Path = Field(
        default=Path("curriculum"), description="Where `tandem curriculum load` looks."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes.")
    service_name: str = "Tandem"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
