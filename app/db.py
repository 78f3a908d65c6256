"""Engine, request-scoped session and the metadata naming convention."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, Engine, TypeDecorator, create_engine, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.pool import Pool
from sqlmodel import Session, SQLModel
from starlette.concurrency import run_in_threadpool

from app.config import get_settings

log = structlog.get_logger(__name__)

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
        cursor.execute(f"PRAGMA busy_timeout={int(get_settings().sqlite_busy_timeout_ms)}")
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
    settings = get_settings()
    # SQL parameters (children's names, visit summaries) never reach an error or a log.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if poolclass is not None:
        kwargs["poolclass"] = poolclass
    elif not memory:
        # Sized with the request gate (request_slot): every request admitted has a
        # connection free; the overflow serves /healthz and writes after a response.
        kwargs["pool_size"] = settings.db_pool_size
        kwargs["max_overflow"] = settings.db_pool_overflow
        kwargs["pool_timeout"] = settings.db_pool_timeout
    if url.get_backend_name() == "sqlite":
        if not memory:
            Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        timeout_ms = settings.db_statement_timeout_ms
        kwargs["connect_args"] = {
            "connect_timeout": 5,
            # No statement runs longer, and a link that goes silent is given up on after
            # the same time (TCP keepalives, then the kernel's user timeout), never waited
            # on for ever.
            "options": f"-c statement_timeout={timeout_ms} "
            f"-c idle_in_transaction_session_timeout={timeout_ms * 2}",
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": timeout_ms,
        }
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def database_busy(exc: BaseException) -> bool:
    """SQLite's writer waited its busy timeout for another and gave up ("database is
    locked"), or no pooled connection came free in time: the service is busy, not wrong
    (503 with Retry-After, never a 409: nobody else's save came first)."""
    if isinstance(exc, SATimeoutError):
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def database_unreachable(exc: BaseException) -> bool:
    """The database cannot be reached: no connection could be made, or the link dropped."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError) and any(
        words in str(exc.orig).lower()
        for words in (
            "connection refused",
            "connection failed",
            "could not connect",
            "server closed the connection",
            "connection timeout",
            "timeout expired",
            "unable to open database file",
            "the database system is",  # starting up, shutting down, in recovery
        )
    )


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


class _Outage:
    """Whether the database is unreachable, so that an outage is logged when it starts
    and when it ends, not once per request in between."""

    since: float | None = None

    @classmethod
    def started(cls) -> bool:
        """Note the outage; True only for the first request to meet it."""
        first = cls.since is None
        if first:
            cls.since = time.monotonic()
        return first

    @classmethod
    def ended(cls) -> float | None:
        """The outage's length in seconds, once, when a request next succeeds."""
        if cls.since is None:
            return None
        lasted, cls.since = time.monotonic() - cls.since, None
        return lasted


outage = _Outage


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


@lru_cache(maxsize=1)
def schema_heads() -> frozenset[str]:
    """The latest revision(s) of the migrations shipped with this code."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def schema_revision(connection: Any) -> frozenset[str]:
    """The revision(s) the database's schema is at (empty if it was never migrated)."""
    try:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except DBAPIError:
        connection.rollback()
        return frozenset()
    return frozenset(str(row[0]) for row in rows)


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def request_slot() -> AsyncIterator[None]:
    """One of the worker's `db_pool_size` places for database work. A request waits here,
    on the event loop, holding neither a connection nor a thread; once in, a connection is
    free for it. Without this gate, requests that had a connection waited for a thread
    while the threads waited for connections: everything stalled until the pool timed
    out (issue 13)."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(get_settings().db_pool_size)
    async with gate:
        yield


AFTER_COMMIT = "tandem_after_commit"


def after_commit(session: Session, write: Callable[[Session], object]) -> None:
    """Queue a small write (a session's last-seen time, say) for a transaction of its own
    after the request's has committed: a page that only reads never writes inside its
    read transaction (on SQLite that write could not wait its turn), and a failed request
    leaves no trace. Best effort: a write that fails is logged and dropped."""
    session.info.setdefault(AFTER_COMMIT, []).append(write)


def finish_request(session: Session) -> None:
    """Commit the request's transaction, then run what `after_commit` queued."""
    session.commit()
    writes = session.info.pop(AFTER_COMMIT, [])
    if not writes:
        return
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        for write in writes:
            write(session)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("after_commit_write_failed", error=type(exc).__name__)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request, inside a request slot: commit when the handler succeeds,
    roll back on any error. A request that may write (any method but GET, HEAD, OPTIONS)
    begins its transaction as a writer (SQLite: BEGIN IMMEDIATE)."""
    options = {} if request.method in READ_METHODS else {WRITE_OPTION: True}
    async with request_slot():
        session = Session(get_engine(), expire_on_commit=False, execution_options=options)
        try:
            yield session
            await run_in_threadpool(finish_request, session)
            if (lasted := outage.ended()) is not None:
                log.warning("database_reachable_again", outage_seconds=round(lasted, 1))
        except BaseException:
            await run_in_threadpool(session.rollback)
            raise
        finally:
            await run_in_threadpool(session.close)


# scope="function": commit before the response is sent, so a failed commit is an error
# response and never a success the database does not hold.
DbSession = Annotated[Session, Depends(get_db, scope="function")]
