"""Settings, read from the environment (prefix TANDEM_) or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
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
    # TANDEM_PORT, or the PORT a platform gives (Heroku, Cloud Run, Render...).
    port: int = Field(
        default=8000, ge=1, le=65535, validation_alias=AliasChoices("TANDEM_PORT", "PORT")
    )
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes.")

    # Capacity, per worker process (README "Capacity"): at most `db_pool_size` requests use
    # the database at once, each on a connection of its own that no other request waits
    # for; the rest queue without holding a connection or a thread. The thread pool is
    # sized above it so that a request holding a connection always gets a thread.
    # Connections to the database: workers x (db_pool_size + db_pool_overflow).
    db_pool_size: int = Field(
        default=10, ge=1, le=200, description="Requests using the database at once."
    )
    db_pool_overflow: int = Field(
        default=5, ge=1, le=100, description="Extra connections for /healthz and background writes."
    )
    db_pool_timeout: float = Field(
        default=10, gt=0, le=300, description="Seconds to wait for a connection."
    )
    threads: int = Field(
        default=40, ge=2, le=1000, description="Worker threads for request handlers."
    )
    db_statement_timeout_ms: int = Field(
        default=30_000,
        ge=100,
        le=3_600_000,
        description="PostgreSQL: longest statement; also bounds a silent link.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=15_000,
        ge=100,
        le=600_000,
        description="SQLite: how long a writer waits for another.",
    )
    max_json_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON or form body (413 beyond)."
    )
    max_upload_bytes: int = Field(
        default=10_485_760, ge=1024, description="Largest multipart upload (413 beyond)."
    )
    service_name: str = "Tandem"

    # Sign-in and sessions.
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure and send HSTS (set true behind HTTPS)."
    )
    allow_sqlite: bool = Field(
        default=False, description="Production only: allow SQLite (one server, small service)."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of the proxies (load balancer, "
        "Caddy) whose X-Forwarded-For is believed; empty: none, the peer is the client.",
    )
    session_idle_minutes: int = Field(default=60, ge=5, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    token_hours: int = Field(default=12, ge=1, le=24 * 90, description="API token lifetime.")
    login_max_failures: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    address_max_failures: int = Field(
        default=30, ge=1, le=10_000, description="Failed sign-ins per client address per window."
    )
    password_hash_fast: bool = Field(
        default=False, description="Cheap Argon2 parameters: for the test suite only."
    )
    address_retry_seconds: int = Field(
        default=10,
        ge=1,
        le=3600,
        description="An address over address_max_failures may try to sign in once this often.",
    )

    # Email (README "Email"): without smtp_host, mail is written to mail_dir as .eml files.
    smtp_host: str | None = Field(default=None, description="SMTP server; none = var/mail/.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_timeout: float = Field(default=20, gt=0, le=300, description="Seconds per SMTP call.")
    mail_from: str = Field(default="Tandem <tandem@localhost>", description="The From header.")
    mail_dir: Path = Field(default=Path("var/mail"), description="Where mail goes without SMTP.")
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Where links in emails point (no slash)."
    )
    mail_max_attempts: int = Field(default=8, ge=1, le=50, description="Tries before giving up.")
    worker_poll_seconds: float = Field(default=5, gt=0, le=600)
    # Single sign-on: each organisation's OpenID Connect client secret, by organisation id
    # ({"1": "..."} as JSON), from the environment or a secrets file, never the database.
    sso_client_secrets: dict[str, SecretStr] = Field(default_factory=dict)


def production_problems(settings: Settings) -> list[str]:
    """Why these settings must not serve real children's records (TANDEM_ENVIRONMENT=
    production): empty when they may. Tandem signs nothing with a server secret (sessions,
    tokens and links are random values kept hashed), so there is no default key to refuse."""
    if settings.environment != "production":
        return []
    problems = []
    if settings.database_url.startswith("sqlite") and not settings.allow_sqlite:
        problems.append(
            "TANDEM_DATABASE_URL is SQLite: use PostgreSQL, or set TANDEM_ALLOW_SQLITE=true "
            "for a single small server"
        )
    if not settings.secure_cookies:
        problems.append(
            "TANDEM_SECURE_COOKIES is not true: behind HTTPS, set it so the session cookie is "
            "sent only over HTTPS"
        )
    return problems


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
