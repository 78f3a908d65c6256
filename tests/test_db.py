"""The database layer: URLs, SQLite pragmas, UTC timestamps, and commit/rollback per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select, text

from app import db as db_module
from app.db import InvalidDatabaseURL, UTCDateTime, create_db_engine, parse_database_url
from app.exceptions import Conflict


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///var/x.db", "sqlite"),
        ("sqlite://", "sqlite"),
    ],
)
def test_parse_database_url(raw: str, driver: str) -> None:
    assert parse_database_url(raw).drivername == driver


@pytest.mark.parametrize(
    "raw", ["", "nonsense", "mysql://x/y", "postgresql+asyncpg://h/d", "sqlite+aiosqlite:///x"]
)
def test_parse_database_url_refuses(raw: str) -> None:
    with pytest.raises(InvalidDatabaseURL):
        parse_database_url(raw)


def test_sqlite_has_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'nested' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_sqlite_savepoints_roll_back(tmp_path: Path) -> None:
    """The pysqlite recipe in create_db_engine makes SAVEPOINT work as documented."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'sp.db'}")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("v", String))
    with engine.begin() as conn:
        table.create(conn)
    with engine.connect() as conn, conn.begin():
        conn.execute(table.insert().values(v="kept"))
        nested = conn.begin_nested()
        conn.execute(table.insert().values(v="undone"))
        nested.rollback()
    with engine.connect() as conn:
        assert conn.execute(select(table.c.v)).scalars().all() == ["kept"]
    engine.dispose()


def test_utc_datetime_round_trip(engine: Engine) -> None:
    column_type = UTCDateTime()
    dialect = engine.dialect
    local = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=1)))
    stored = column_type.process_bind_param(local, dialect)
    loaded = column_type.process_result_value(stored, dialect)
    assert loaded == local
    assert loaded is not None
    assert loaded.tzinfo == UTC
    with pytest.raises(ValueError, match="naive"):
        column_type.process_bind_param(datetime(2026, 1, 1), dialect)
    assert column_type.process_bind_param(None, dialect) is None
    assert column_type.process_result_value(None, dialect) is None


def test_request_session_commits_on_success_and_rolls_back_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real get_db: a refused request leaves nothing behind."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'req.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    monkeypatch.setattr(db_module, "_engine", engine)

    app = FastAPI()

    @app.post("/ok")
    def ok(session: db_module.DbSession) -> dict[str, str]:
        session.execute(text("INSERT INTO note (body) VALUES ('saved')"))
        return {"status": "ok"}

    @app.post("/refused")
    def refused(session: db_module.DbSession) -> None:
        session.execute(text("INSERT INTO note (body) VALUES ('lost')"))
        raise Conflict("no")

    @app.exception_handler(Conflict)
    def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=409)

    with TestClient(app) as client:
        assert client.post("/ok").status_code == 200
        assert client.post("/refused").status_code == 409
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM note")).scalars().all() == ["saved"]
    engine.dispose()
