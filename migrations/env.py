"""Alembic environment: Tandem's metadata, the URL from the settings, batch mode for SQLite."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, Engine, pool
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.config import get_settings
from app.db import WRITE_OPTION, UTCDateTime, create_db_engine

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
# The advisory lock's key: "tandem" in ASCII, one number no other program here uses.
MIGRATION_LOCK = int.from_bytes(b"tandem", "big")


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Migrations spell our column types in plain SQLAlchemy, so they never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=False,
    )


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations copy and drop tables; with foreign keys enforced that would
        # cascade or fail. Switched off on this connection only (it is not pooled) and
        # checked after the migration.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    # Several replicas may start at once, each running `tandem db upgrade`: one migrates, the
    # others wait, then find the schema at head and do nothing. SQLite: the transaction begins
    # with BEGIN IMMEDIATE, the database file's own write lock (waited for under the busy
    # timeout). PostgreSQL: a transaction-level advisory lock, taken before Alembic reads the
    # current revision, released when the migration commits.
    connection.execution_options(**{WRITE_OPTION: True})
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # The wait and a long migration are not cut short by the app's statement timeout.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.commit()
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
        if broken:
            raise RuntimeError(f"foreign key check failed after migration: {broken[:5]}")


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        # A caller that owns the connection and its transaction.
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    if isinstance(given, Engine):  # pytest-alembic hands over its engine
        with given.connect() as connection:
            _run(connection)
        return
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = create_db_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; use `tandem db upgrade`.")
run_migrations_online()
