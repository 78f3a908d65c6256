"""Two admins at the same moment: creating programmes with the same name, and saving the
same version of one. Exactly one wins; the other gets 409 and nothing is half-written. Real
commits on a database of its own (PostgreSQL in CI's second run), two clients in two
threads."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.auth import service as auth
from app.auth.models import Role
from app.db import create_db_engine, get_engine
from app.main import create_app
from app.programmes.models import Programme
from tests.support.databases import DatabaseFactory, alembic_config_for
from tests.support.people import PASSWORD

BODY = {
    "name": "Independent Visitors",
    "kind": "independent_visitor",
    "caseload_max": 2,
    "visit_band": {"per": "month", "min_hours": 1, "max_hours": 8},
    "age_min": 5,
    "age_max": 17,
}


@pytest.fixture
def admins(
    databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Engine, tuple[TestClient, TestClient]]]:
    import app.db as db_module

    url = databases.new(f"programme_race_{uuid.uuid4().hex[:6]}")
    command.upgrade(alembic_config_for(url), "head")
    engine = create_db_engine(url)
    monkeypatch.setattr(db_module, "_engine", engine)
    app = create_app()
    app.dependency_overrides[get_engine] = lambda: engine
    with Session(engine) as db:
        org, _ = auth.get_or_create_organisation(db, "Race Org")
        tokens = [
            auth.issue_token(
                db,
                user=auth.create_user(
                    db,
                    actor=None,
                    org_id=org.id or 0,
                    email=f"admin{n}@race.example.org",
                    name=f"Admin {n}",
                    role=Role.admin,
                    password=PASSWORD,
                ),
            )[0]
            for n in (1, 2)
        ]
        db.commit()
    first, second = (TestClient(app, headers={"Authorization": f"Bearer {t}"}) for t in tokens)
    yield engine, (first, second)
    first.close()
    second.close()
    engine.dispose()


def _at_once(calls: list[Callable[[], Response]]) -> list[Response]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _count(engine: Engine, model: Any, *where: Any) -> int:
    with Session(engine) as db:
        return int(db.exec(select(func.count()).select_from(model).where(*where)).one())


@pytest.mark.serial  # real threads racing: alone
def test_two_admins_create_the_same_programme(
    admins: tuple[Engine, tuple[TestClient, TestClient]],
) -> None:
    engine, (first, second) = admins
    results = _at_once(
        [
            lambda: first.post("/api/v1/programmes", json=BODY),
            lambda: second.post("/api/v1/programmes", json=BODY),
        ]
    )
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    assert _count(engine, Programme, col(Programme.name) == BODY["name"]) == 1
    assert (
        _count(engine, AuditEvent, AuditEvent.entity == "programme", AuditEvent.action == "create")
        == 1
    )


@pytest.mark.serial
def test_two_admins_save_the_same_version(
    admins: tuple[Engine, tuple[TestClient, TestClient]],
) -> None:
    engine, (first, second) = admins
    (programme,) = first.get("/api/v1/programmes").json()
    path = f"/api/v1/programmes/{programme['id']}"
    results = _at_once(
        [
            lambda: first.patch(path, json={"version": 1, "age_max": 12}),
            lambda: second.patch(path, json={"version": 1, "caseload_max": 3}),
        ]
    )
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    (winner,) = [r for r in results if r.status_code == 200]
    stored = first.get(path).json()
    assert stored["version"] == 2
    assert stored == winner.json()  # no lost update: the loser changed nothing
    assert (
        _count(engine, AuditEvent, AuditEvent.entity == "programme", AuditEvent.action == "update")
        == 1
    )
