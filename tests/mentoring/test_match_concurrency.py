"""Two leads match at the same moment: for a mentor's last free place (two children), and
for the same child (two mentors). Exactly one wins (201), the other gets 409, and what is
stored respects the caseload and one active match per child. Real commits on a database
of its own (PostgreSQL in CI's second run), two clients in two threads."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth import service as auth
from app.auth.models import Role
from app.db import create_db_engine, get_engine
from app.main import create_app
from app.mentoring.models import Match
from tests.support.clock import Clock
from tests.support.databases import CURRICULUM, DatabaseFactory, alembic_config_for
from tests.support.mentoring import ready_checks
from tests.support.people import PASSWORD


@pytest.fixture
def committed_engine(databases: DatabaseFactory) -> Iterator[Engine]:
    url = databases.new(f"match_race_{uuid.uuid4().hex[:6]}")
    command.upgrade(alembic_config_for(url), "head")
    engine = create_db_engine(url)
    from app.curriculum.service import load_path

    with Session(engine) as db:
        load_path(db, CURRICULUM)
        db.commit()
    yield engine
    engine.dispose()


@dataclass
class Race:
    leads: tuple[TestClient, TestClient]
    mentors: list[int]
    children: list[int]
    today: dt.date


@pytest.fixture
def race(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[Race]:
    import app.db as db_module

    monkeypatch.setattr(db_module, "_engine", committed_engine)
    app = create_app()
    app.dependency_overrides[get_engine] = lambda: committed_engine
    with Session(committed_engine) as db:
        org, _ = auth.get_or_create_organisation(db, "Race Org")
        leads = [
            auth.create_user(
                db,
                actor=None,
                org_id=org.id or 0,
                email=f"lead{n}@race.example.org",
                name=f"Lead {n}",
                role=Role.lead,
                password=PASSWORD,
            )
            for n in (1, 2)
        ]
        mentors = [
            auth.create_user(
                db,
                actor=None,
                org_id=org.id or 0,
                email=f"mentor{n}@race.example.org",
                name=f"Mentor {n}",
                role=Role.mentor,
                password=PASSWORD,
            )
            for n in (1, 2)
        ]
        tokens = [auth.issue_token(db, user=u)[0] for u in leads]
        db.commit()
        mentor_ids = [m.id or 0 for m in mentors]
    clients = tuple(TestClient(app, headers={"Authorization": f"Bearer {t}"}) for t in tokens)
    first = clients[0]
    today = clock.today
    for mentor_id in mentor_ids:
        created = first.post(
            "/api/v1/mentors",
            json={"user_id": mentor_id, **ready_checks(today), "max_caseload": 2},
        )
        assert created.status_code == 201, created.text
    children = []
    for n in range(4):
        child = first.post(
            "/api/v1/children",
            json={
                "reference": f"R-{n}",
                "first_name": f"C{n}",
                "date_of_birth": "2016-03-01",
                "placement_type": "foster",
                "consent_given_by": "SW",
                "consent_given_on": "2026-09-01",
            },
        )
        assert child.status_code == 201, child.text
        children.append(child.json()["id"])
    yield Race((clients[0], clients[1]), mentor_ids, children, today)
    for client in clients:
        client.close()


def _at_once(race: Race, bodies: list[dict[str, Any]]) -> list[Any]:
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def post(i: int) -> None:
        barrier.wait()
        results[i] = race.leads[i].post("/api/v1/matches", json=bodies[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _active(engine: Engine, **where: int) -> list[Match]:
    with Session(engine) as db:
        stmt = select(Match).where(col(Match.end_date).is_(None))
        for key, value in where.items():
            stmt = stmt.where(getattr(Match, key) == value)
        return list(db.exec(stmt).all())


@pytest.mark.serial  # real threads racing: alone
def test_two_matches_for_the_last_free_place(race: Race, committed_engine: Engine) -> None:
    mentor = race.mentors[0]
    first = race.leads[0].post(
        "/api/v1/matches",
        json={"child_id": race.children[0], "mentor_id": mentor, "start_date": str(race.today)},
    )
    assert first.status_code == 201, first.text
    bodies = [
        {"child_id": child, "mentor_id": mentor, "start_date": str(race.today)}
        for child in race.children[1:3]
    ]
    results = _at_once(race, bodies)
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    winner = bodies[[r.status_code for r in results].index(201)]
    stored = _active(committed_engine, mentor_id=mentor)
    assert len(stored) == 2  # max_caseload
    assert {m.child_id for m in stored} == {race.children[0], winner["child_id"]}
    mentors = race.leads[0].get("/api/v1/mentors").json()
    assert {m["user_id"]: m["active_matches"] for m in mentors}[mentor] == 2


@pytest.mark.serial  # real threads racing: alone
def test_two_mentors_for_the_same_child(race: Race, committed_engine: Engine) -> None:
    child = race.children[3]
    bodies = [
        {"child_id": child, "mentor_id": mentor, "start_date": str(race.today)}
        for mentor in race.mentors
    ]
    results = _at_once(race, bodies)
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    winner = bodies[[r.status_code for r in results].index(201)]
    stored = _active(committed_engine, child_id=child)
    assert [m.mentor_id for m in stored] == [winner["mentor_id"]]
