"""Leaks and limits (issue 13, point 5): bodies capped before parsing, SQL parameters kept
out of errors and logs, a busy database a 503 (never a false 409), an unreachable one a
503 with Retry-After logged once per outage."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, func, select

import app.db as app_db
from app.children.models import Child
from app.config import get_settings
from app.db import create_db_engine, database_busy, get_db
from app.main import create_app
from tests.support.people import People, Signed


def children(db: Session) -> int:
    return int(db.exec(select(func.count()).select_from(Child)).one())


def test_a_json_body_over_1_mb_is_413_before_it_is_parsed(
    signed: Signed, people: People, db: Session
) -> None:
    lead = signed.api(people.lead)
    before = children(db)
    big = {"reference": "X-1", "first_name": "A" * (1_100_000)}
    response = lead.post("/api/v1/children", json=big)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "at most 1 MB" in response.json()["detail"]
    assert children(db) == before


def test_an_anonymous_oversized_body_is_refused_whatever_its_declared_length(
    client: TestClient,
) -> None:
    # Declared too long: refused at the first read. Streamed without a length: refused as
    # soon as it passes the cap, not after reading all of it.
    declared = client.post(
        "/api/v1/auth/token",
        content=b"username=a&password=" + b"x" * 2_000_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b"username=a&password="
        for _ in range(40):
            yield b"x" * 65_536

    streamed = client.post(
        "/api/v1/auth/token",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413


def test_a_page_form_over_the_cap_gets_an_error_page(signed: Signed, people: People) -> None:
    pages = signed.pages(people.lead)
    response = pages.post("/children/new", data={"first_name": "A" * 1_100_000})
    assert response.status_code == 413
    assert "text/html" in response.headers["content-type"]
    assert "too large" in response.text


def test_a_small_body_is_untouched(signed: Signed, people: People) -> None:
    assert signed.api(people.lead).post("/api/v1/children", json={}).status_code == 422


def test_sql_parameters_never_reach_an_error_message(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY, s TEXT)"))
        connection.execute(text("INSERT INTO t VALUES (1, 'first')"))
        secret = "a safeguarding concern about a child"
        with pytest.raises(IntegrityError) as raised:
            connection.execute(text("INSERT INTO t VALUES (1, :s)"), {"s": secret})
    assert secret not in str(raised.value)
    assert "hidden" in str(raised.value)
    engine.dispose()


def test_a_busy_database_is_a_503_not_a_409(app: FastAPI, signed: Signed, people: People) -> None:
    """SQLite's writer giving up after its busy timeout means "busy", not "someone else
    saved first"."""
    locked = OperationalError("UPDATE group_session ...", {}, Exception("database is locked"))
    assert database_busy(locked)

    @app.get("/api/v1/_test/busy")
    def busy() -> None:
        raise locked

    response = signed.api(people.lead).get("/api/v1/_test/busy")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert "nothing was saved" in response.json()["detail"]


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    """The app on a database nobody answers for (no test session underneath)."""
    monkeypatch.setenv("TANDEM_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    get_settings.cache_clear()
    monkeypatch.setattr(app_db, "_engine", None)
    monkeypatch.setattr(app_db.outage, "since", None)
    application = create_app()
    yield application
    if app_db._engine is not None:
        app_db._engine.dispose()
    get_settings.cache_clear()


def test_an_unreachable_database_is_503_with_retry_after_logged_once(
    unreachable: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    assert get_db not in unreachable.dependency_overrides
    caplog.set_level(logging.INFO)
    with TestClient(unreachable, raise_server_exceptions=False) as client:
        answers = [
            client.get("/api/v1/me", headers={"Authorization": "Bearer x"}),
            client.get("/api/v1/cohorts", headers={"Authorization": "Bearer y"}),
            client.post("/api/v1/auth/token", data={"username": "a@b.c", "password": "p"}),
        ]
    for response in answers:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "30"
        assert response.headers["content-type"] == "application/problem+json"
        assert "cannot reach its database" in response.json()["detail"]
    logged = [r for r in caplog.records if "database_unreachable" in r.getMessage()]
    assert len(logged) == 1, [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if "unhandled_error" in r.getMessage()]
