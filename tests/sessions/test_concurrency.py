"""Two facilitators save the same register at the same moment: exactly one wins (200), the
other gets 409, and the stored rows are exactly one of the two submissions. Real commits on
a database of its own (PostgreSQL in CI's second run), two clients in two threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth import service as auth
from app.auth.models import Role
from app.db import create_db_engine, get_engine
from app.main import create_app
from app.sessions.models import Attendance, PracticeAssignment
from tests.support.databases import CURRICULUM, DatabaseFactory, alembic_config_for
from tests.support.people import PASSWORD
from tests.support.sessions import full_record


@pytest.fixture
def committed_engine(databases: DatabaseFactory) -> Iterator[Engine]:
    url = databases.new("concurrency")
    command.upgrade(alembic_config_for(url), "head")
    engine = create_db_engine(url)
    from app.curriculum.service import load_path

    with Session(engine) as db:
        load_path(db, CURRICULUM)
        db.commit()
    yield engine
    engine.dispose()


@pytest.mark.serial  # real threads racing: alone
def test_two_saves_at_the_same_moment(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.db as db_module

    monkeypatch.setattr(db_module, "_engine", committed_engine)
    app = create_app()
    app.dependency_overrides[get_engine] = lambda: committed_engine
    with Session(committed_engine) as db:
        org, _ = auth.get_or_create_organisation(db, "Race Org")
        lead = auth.create_user(
            db,
            actor=None,
            org_id=org.id or 0,
            email="lead@race.example.org",
            name="Lead",
            role=Role.lead,
            password=PASSWORD,
        )
        f1 = auth.create_user(
            db,
            actor=None,
            org_id=org.id or 0,
            email="f1@race.example.org",
            name="F1",
            role=Role.facilitator,
            password=PASSWORD,
        )
        f2 = auth.create_user(
            db,
            actor=None,
            org_id=org.id or 0,
            email="f2@race.example.org",
            name="F2",
            role=Role.facilitator,
            password=PASSWORD,
        )
        tokens = [auth.issue_token(db, user=u)[0] for u in (lead, f1, f2)]
        db.commit()
        ids = {"f1": f1.id, "f2": f2.id}
    lead_client, c1, c2 = (
        TestClient(app, headers={"Authorization": f"Bearer {t}"}) for t in tokens
    )
    curriculum_id = lead_client.get("/api/v1/curricula").json()[0]["id"]
    cohort = lead_client.post(
        "/api/v1/cohorts",
        json={
            "name": "Race group",
            "curriculum_id": curriculum_id,
            "start_date": "2026-09-07",
            "start_time": "16:00",
            "venue": "Hall",
            "facilitator_ids": [ids["f1"], ids["f2"]],
        },
    ).json()
    for n in range(8):
        child = lead_client.post(
            "/api/v1/children",
            json={
                "reference": f"R-{n}",
                "first_name": f"C{n}",
                "date_of_birth": "2016-03-01",
                "placement_type": "foster",
                "consent_given_by": "SW",
                "consent_given_on": "2026-09-01",
            },
        ).json()
        lead_client.post(
            f"/api/v1/cohorts/{cohort['id']}/enrolments",
            json={"child_id": child["id"], "start_date": "2026-09-07"},
        )
    session = lead_client.get(f"/api/v1/sessions/{cohort['sessions'][0]['id']}").json()
    submissions = [
        full_record(session, [ids["f1"]], absent=0, notes="Saved by the first"),
        full_record(session, [ids["f2"]], absent=3, notes="Saved by the second"),
    ]
    url = f"/api/v1/sessions/{session['id']}/record"
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def save(i: int, client: TestClient) -> None:
        barrier.wait()
        results[i] = client.put(url, json=submissions[i])

    threads = [threading.Thread(target=save, args=(i, c)) for i, c in enumerate((c1, c2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [r.text for r in results]
    winner = submissions[[r.status_code for r in results].index(200)]
    with Session(committed_engine) as db:
        stored = {
            a.child_id: a.status.value
            for a in db.exec(select(Attendance).where(Attendance.session_id == session["id"])).all()
        }
        assert stored == {a["child_id"]: a["status"] for a in winner["attendance"]}
        tasks = len(session["lesson"]["practice_tasks"])
        assert (
            len(
                db.exec(
                    select(PracticeAssignment).where(PracticeAssignment.session_id == session["id"])
                ).all()
            )
            == 8 * tasks
        )
    detail = lead_client.get(f"/api/v1/sessions/{session['id']}").json()
    assert detail["notes"] == winner["notes"]
    assert detail["version"] == 2
    # The loser's 409 carries the winner's save (not the state from before it), with its
    # version and who saved it.
    loser = results[[r.status_code for r in results].index(409)].json()
    assert loser["current_version"] == 2
    assert loser["current"]["notes"] == winner["notes"]
    assert {a["child_id"]: a["status"] for a in loser["current"]["attendance"]} == {
        a["child_id"]: a["status"] for a in winner["attendance"]
    }
    assert loser["current"]["facilitators_present"] == winner["facilitators_present"]
    assert loser["saved_by"] == ("F1" if winner is submissions[0] else "F2")
    for client in (lead_client, c1, c2):
        client.close()
