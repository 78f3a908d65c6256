"""Engine, request-scoped session and the metadata naming convention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, Engine, TypeDecorator, create_engine, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import Pool
from sqlmodel import Session, SQLModel

from app.config import get_settings

# Deterministic constraint names, so migrations are the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC timestamp column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum: type[StrEnum], name: str) -> SAEnum:
    """A StrEnum stored as its values in a VARCHAR with a CHECK constraint (no native
    PostgreSQL ENUM type: adding a value stays an ordinary migration)."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum) + 8,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class InvalidDatabaseURL(ValueError):
    """The configured database URL cannot be used."""


def parse_database_url(raw: str) -> URL:
    """Parse and normalise a URL: plain postgresql:// means psycopg 3."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise InvalidDatabaseURL(f"TANDEM_DATABASE_URL is not a database URL: {raw!r}") from exc
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        if url.drivername != "postgresql+psycopg":
            raise InvalidDatabaseURL(
                f"unsupported PostgreSQL driver {url.drivername!r}: use postgresql:// (psycopg 3)"
            )
        return url
    if backend == "sqlite":
        if url.drivername != "sqlite":
            raise InvalidDatabaseURL(f"unsupported SQLite driver {url.drivername!r}")
        return url
    raise InvalidDatabaseURL(
        f"unsupported database {backend!r} in TANDEM_DATABASE_URL: use sqlite:/// or postgresql://"
    )


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and defers BEGIN; take it over
    # (the documented SQLAlchemy recipe), and turn on WAL and foreign keys per connection.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock when it begins (BEGIN IMMEDIATE), so
        # writers queue behind each other under the busy timeout instead of failing when a
        # read snapshot is upgraded; and whatever it reads is what was last committed.
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_db_engine(
    raw_url: str, *, echo: bool = False, poolclass: type[Pool] | None = None
) -> Engine:
    url = parse_database_url(raw_url)
    kwargs: dict[str, Any] = {"echo": echo}
    if poolclass is not None:
        kwargs["poolclass"] = poolclass
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 5}
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def lost_write_race(exc: Exception) -> bool:
    """SQLite refuses a write from a transaction whose snapshot another writer has moved
    past ("database is locked"): for optimistic locking that is a lost race, not a fault."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


_engine: Engine | None = None


def get_engine() -> Engine:
    """The process-wide engine, created on first use from the settings."""
    global _engine
    if _engine is None:
        settings = get_settings()
        _engine = create_db_engine(settings.database_url, echo=settings.database_echo)
    return _engine


# Set on the connections of a request that may write (any method but GET, HEAD, OPTIONS).
WRITE_OPTION = "tandem_write"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: commit when the handler succeeds, roll back on any error."""
    options = {} if request.method in READ_METHODS else {WRITE_OPTION: True}
    with Session(get_engine(), expire_on_commit=False, execution_options=options) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a failed commit is an error
# response and never a success the database does not hold.
DbSession = Annotated[Session, Depends(get_db, scope="function")]
