from __future__ import annotations

from pathlib import Path

from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.db import create_db_engine, get_engine
from tests.support.databases import alembic_config_for


def test_healthz_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_down(app: FastAPI) -> None:
    unreachable = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    app.dependency_overrides[get_engine] = lambda: unreachable
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["database"] == "unreachable"
    assert body["status"] == 503


def test_healthz_is_503_until_the_schema_is_at_head(app: FastAPI, tmp_path: Path) -> None:
    """A replica started before `tandem db upgrade` ran must not take traffic."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    app.dependency_overrides[get_engine] = lambda: engine
    with TestClient(app) as client:
        never = client.get("/healthz")
        assert never.status_code == 503
        assert never.json()["database"] == "not_migrated"
        command.upgrade(alembic_config_for(url), "5c1e0a7d2b91")  # one before the head
        behind = client.get("/healthz")
        assert behind.status_code == 503
        assert behind.json()["database"] == "behind"
        assert "tandem db upgrade" in behind.json()["detail"]
        command.upgrade(alembic_config_for(url), "head")
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    engine.dispose()
