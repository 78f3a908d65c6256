"""Erasing a record while its register is being recorded, or a visit logged, at the same
moment: real commits on a database of its own (PostgreSQL in CI's second run), two clients
in two threads. Whoever wins, no register or visit row points at nothing, and a child who
ends up on a recorded register or with a visit is never erased."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.auth import service as auth
from app.auth.models import Role
from app.children.models import Child
from app.curriculum.models import Curriculum
from app.db import create_db_engine, get_engine
from app.main import create_app
from app.mentoring.models import MentorVisit
from app.sessions.models import Attendance
from tests.support.clock import Clock
from tests.support.databases import DatabaseFactory
from tests.support.mentoring import ready_profile
from tests.support.people import PASSWORD

ROUNDS = 6
pytestmark = pytest.mark.clock("2026-12-01T20:00")


@dataclass
class Race:
    admin: TestClient
    lead: TestClient
    mentor_api: TestClient
    cohort: dict[str, Any]
    facilitator: int
    mentor: int
    engine: Engine


@pytest.fixture
def race(
    databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> Iterator[Race]:
    import app.db as db_module

    engine = create_db_engine(databases.migrated(f"erase_race_{uuid.uuid4().hex[:6]}"))
    monkeypatch.setattr(db_module, "_engine", engine)
    app = create_app()
    app.dependency_overrides[get_engine] = lambda: engine
    with Session(engine) as db:
        org, _ = auth.get_or_create_organisation(db, "Race Org")
        people = {
            name: auth.create_user(
                db,
                actor=None,
                org_id=org.id or 0,
                email=f"{name}@race.example.org",
                name=name.title(),
                role=role,
                password=PASSWORD,
            )
            for name, role in (
                ("admin", Role.admin),
                ("lead", Role.lead),
                ("facilitator", Role.facilitator),
                ("second", Role.facilitator),
                ("mentor", Role.mentor),
            )
        }
        tokens = {name: auth.issue_token(db, user=u)[0] for name, u in people.items()}
        ids = {name: u.id or 0 for name, u in people.items()}
        curriculum = db.exec(select(func.min(Curriculum.id))).one()
        db.commit()
    admin = TestClient(app, headers={"Authorization": f"Bearer {tokens['admin']}"})
    lead = TestClient(app, headers={"Authorization": f"Bearer {tokens['lead']}"})
    mentor = TestClient(app, headers={"Authorization": f"Bearer {tokens['mentor']}"})
    cohort = lead.post(
        "/api/v1/cohorts",
        json={
            "name": "Race group",
            "curriculum_id": curriculum,
            "start_date": "2026-09-07",
            "start_time": "16:00",
            "duration_minutes": 90,
            "venue": "Hall",
            "facilitator_ids": [ids["facilitator"], ids["second"]],
        },
    )
    assert cohort.status_code == 201, cohort.text
    profile = lead.post("/api/v1/mentors", json=ready_profile(ids["mentor"], clock.today))
    assert profile.status_code == 201, profile.text
    yield Race(admin, lead, mentor, cohort.json(), ids["facilitator"], ids["mentor"], engine)
    for client in (admin, lead, mentor):
        client.close()
    engine.dispose()


def _child(race: Race, n: int) -> int:
    response = race.lead.post(
        "/api/v1/children",
        json={
            "reference": f"RACE-{n}",
            "first_name": f"Racer{n}",
            "date_of_birth": "2016-03-01",
            "placement_type": "foster",
            "consent_given_by": "Social worker",
            "consent_given_on": "2026-09-01",
        },
    )
    assert response.status_code == 201, response.text
    child_id: int = response.json()["id"]
    return child_id


def _at_once(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls), timeout=60)
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in results), "a request did not finish"
    return results


def _rows(engine: Engine, child_id: int) -> tuple[int, int, int]:
    """(the child, their register rows, their visits) as committed."""
    with Session(engine) as db:
        child = db.exec(select(func.count()).where(Child.id == child_id)).one()
        registers = db.exec(select(func.count()).where(Attendance.child_id == child_id)).one()
        visits = db.exec(select(func.count()).where(MentorVisit.child_id == child_id)).one()
    return int(child), int(registers), int(visits)


def _no_orphans(engine: Engine) -> None:
    with Session(engine) as db:
        children = select(Child.id)
        assert (
            db.exec(select(func.count()).where(col(Attendance.child_id).not_in(children))).one()
            == 0
        )
        assert (
            db.exec(select(func.count()).where(col(MentorVisit.child_id).not_in(children))).one()
            == 0
        )


@pytest.mark.serial  # real threads racing: alone
def test_erasing_while_the_register_is_recorded(race: Race) -> None:
    sessions = race.lead.get(f"/api/v1/cohorts/{race.cohort['id']}/sessions").json()
    outcomes = []
    for n in range(ROUNDS):
        child_id = _child(race, n)
        enrolled = race.lead.post(
            f"/api/v1/cohorts/{race.cohort['id']}/enrolments",
            json={"child_id": child_id, "start_date": "2026-09-07"},
        )
        assert enrolled.status_code == 201, enrolled.text
        session = race.lead.get(f"/api/v1/sessions/{sessions[n]['id']}").json()
        body = {
            "version": session["version"],
            "facilitators_present": [race.facilitator],
            "attendance": [
                {"child_id": c["child_id"], "status": "present"} for c in session["roster"]
            ],
            "coverage": [
                {"activity_id": a["id"], "status": "delivered"}
                for a in session["lesson"]["activities"]
            ],
        }
        assert child_id in {c["child_id"] for c in session["roster"]}
        erase, record = _at_once(
            [
                partial(
                    race.admin.post,
                    f"/api/v1/children/{child_id}/erase",
                    json={"reason": "Made twice"},
                ),
                partial(race.lead.put, f"/api/v1/sessions/{session['id']}/record", json=body),
            ]
        )
        child, registers, _ = _rows(race.engine, child_id)
        outcomes.append((erase.status_code, record.status_code))
        if erase.status_code == 204:
            assert (child, registers) == (0, 0)
            assert record.status_code in (409, 422), record.text
        else:
            assert erase.status_code == 409, erase.text
            assert record.status_code == 200, record.text
            assert (child, registers) == (1, 1)
        _no_orphans(race.engine)
    assert all(500 not in pair for pair in outcomes), outcomes


@pytest.mark.serial  # real threads racing: alone
def test_erasing_while_a_visit_is_logged(race: Race) -> None:
    outcomes = []
    mentor_api = race.mentor_api
    for n in range(ROUNDS):
        child_id = _child(race, 100 + n)
        match = race.lead.post(
            "/api/v1/matches",
            json={"child_id": child_id, "mentor_id": race.mentor, "start_date": "2026-11-02"},
        )
        assert match.status_code == 201, match.text
        visit = {
            "match_id": match.json()["id"],
            "date": (dt.date(2026, 11, 3) + dt.timedelta(days=n)).isoformat(),
            "start_time": "10:00",
            "duration_minutes": 60,
            "status": "completed",
            "summary": "Walked to the park",
        }
        erase, logged = _at_once(
            [
                partial(
                    race.admin.post,
                    f"/api/v1/children/{child_id}/erase",
                    json={"reason": "Made twice"},
                ),
                partial(mentor_api.post, "/api/v1/visits", json=visit),
            ]
        )
        child, _, visits = _rows(race.engine, child_id)
        outcomes.append((erase.status_code, logged.status_code))
        if erase.status_code == 204:
            assert (child, visits) == (0, 0)
            assert logged.status_code in (404, 409, 422), logged.text
        else:
            assert erase.status_code == 409, erase.text
            assert logged.status_code == 201, logged.text
            assert (child, visits) == (1, 1)
        # End the match (if it is still there) so the mentor's caseload has room.
        if child:
            ended = race.lead.post(
                f"/api/v1/matches/{match.json()['id']}/end",
                json={"end_date": "2026-12-01", "reason": "planned"},
            )
            assert ended.status_code == 200, ended.text
        _no_orphans(race.engine)
    assert all(500 not in pair for pair in outcomes), outcomes
