"""Recording a session: the register and coverage checklist, saved safely."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.audit.models import AuditEvent
from app.sessions.models import Attendance, PracticeAssignment
from tests.support.clock import Clock
from tests.support.fixtures import MakeChild
from tests.support.people import People, Signed
from tests.support.queries import CountQueries
from tests.support.sessions import full_record


def count(db: Session, model: type) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def facilitator_api(signed: Signed, people: People) -> TestClient:
    return signed.api(people.facilitator)


def test_record_creates_register_and_practice(
    facilitator_api: TestClient, first_session: dict[str, Any], people: People, db: Session
) -> None:
    body = full_record(first_session, [people.facilitator.id], absent=2)
    response = facilitator_api.put(f"/api/v1/sessions/{first_session['id']}/record", json=body)
    assert response.status_code == 200, response.text
    saved = response.json()
    assert (saved["status"], saved["version"]) == ("delivered", 2)
    assert len(saved["attendance"]) == 10
    tasks = len(first_session["lesson"]["practice_tasks"])
    rows = db.exec(select(PracticeAssignment)).all()
    assert len(rows) == 10 * tasks
    assert sum(r.kind == "catch_up" for r in rows) == 2 * tasks
    assert all(r.mentor_id is None for r in rows)  # no mentors matched yet: a flag for the lead


def test_sending_the_same_again_changes_nothing(
    facilitator_api: TestClient, first_session: dict[str, Any], people: People, db: Session
) -> None:
    url = f"/api/v1/sessions/{first_session['id']}/record"
    body = full_record(first_session, [people.facilitator.id])
    assert facilitator_api.put(url, json=body).status_code == 200
    events = count(db, AuditEvent)
    again = facilitator_api.put(url, json={**body, "version": 2})
    assert again.status_code == 200
    assert again.json()["version"] == 2
    assert count(db, AuditEvent) == events


def test_stale_version_is_409_with_what_is_stored(
    facilitator_api: TestClient, lead_api: TestClient, first_session: dict[str, Any], people: People
) -> None:
    url = f"/api/v1/sessions/{first_session['id']}/record"
    assert (
        facilitator_api.put(
            url, json=full_record(first_session, [people.facilitator.id])
        ).status_code
        == 200
    )
    theirs = full_record(first_session, [people.facilitator.id], absent=3)
    stale = lead_api.put(url, json=theirs)
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2
    assert all(a["status"] == "present" for a in body["current"]["attendance"])
    assert all(
        a["status"] == "present"
        for a in lead_api.get(f"/api/v1/sessions/{first_session['id']}").json()["attendance"]
    )


def test_correction_changes_kinds_and_never_duplicates(
    lead_api: TestClient, first_session: dict[str, Any], people: People, db: Session
) -> None:
    url = f"/api/v1/sessions/{first_session['id']}/record"
    assert (
        lead_api.put(url, json=full_record(first_session, [people.facilitator.id])).status_code
        == 200
    )
    before = count(db, PracticeAssignment)
    corrected = lead_api.put(
        url, json=full_record(first_session, [people.facilitator.id], absent=4, version=2)
    )
    assert corrected.status_code == 200
    assert corrected.json()["version"] == 3
    assert count(db, PracticeAssignment) == before
    tasks = len(first_session["lesson"]["practice_tasks"])
    catch_up = db.exec(
        select(func.count())
        .select_from(PracticeAssignment)
        .where(PracticeAssignment.kind == "catch_up")
    ).one()
    assert catch_up == 4 * tasks
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "correct")).one()
    assert "attendance" in event.changes


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b, s: b["attendance"].pop(),  # a child missing
        lambda b, s: b["attendance"].append(
            {"child_id": 999999, "status": "present"}
        ),  # unknown child
        lambda b, s: b["attendance"].append(dict(b["attendance"][0])),  # a child twice
        lambda b, s: b["coverage"].append(
            {"activity_id": 1, "status": "delivered"}
        ),  # week 1's, another week? (session is week 1; id 1 is in it)
        lambda b, s: b["coverage"].pop(),  # an activity missing
        lambda b, s: b["attendance"][0].update(status="asleep"),
        lambda b, s: b.update(facilitators_present=[999999]),
        lambda b, s: b.update(checklist={"Juggling": True}),
        lambda b, s: b.pop("version"),
    ],
)
def test_bad_register_is_422_and_stores_nothing(
    lead_api: TestClient,
    first_session: dict[str, Any],
    people: People,
    db: Session,
    mutate: Callable[[dict[str, Any], dict[str, Any]], object],
) -> None:
    body = full_record(first_session, [people.facilitator.id])
    mutate(body, first_session)
    response = lead_api.put(f"/api/v1/sessions/{first_session['id']}/record", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert count(db, Attendance) == 0
    assert count(db, PracticeAssignment) == 0


def test_activity_of_another_week_is_422(
    lead_api: TestClient, cohort: dict[str, Any], first_session: dict[str, Any], people: People
) -> None:
    week2 = lead_api.get(f"/api/v1/sessions/{cohort['sessions'][1]['id']}").json()
    body = full_record(first_session, [people.facilitator.id])
    body["coverage"][0]["activity_id"] = week2["lesson"]["activities"][0]["id"]
    response = lead_api.put(f"/api/v1/sessions/{first_session['id']}/record", json=body)
    assert response.status_code == 422
    assert any(e["loc"][:2] == ["body", "coverage"] for e in response.json()["errors"])


def test_a_future_session_cannot_be_recorded(
    lead_api: TestClient, cohort_body: dict[str, Any], people: People, clock: Clock, db: Session
) -> None:
    # A cohort that starts next week, whatever the clock says today.
    monday = clock.today + dt.timedelta(days=7 - clock.today.weekday())
    created = lead_api.post(
        "/api/v1/cohorts", json=cohort_body | {"start_date": monday.isoformat()}
    )
    assert created.status_code == 201, created.text
    first = min(created.json()["sessions"], key=lambda s: s["date"])
    future = lead_api.get(f"/api/v1/sessions/{first['id']}").json()
    response = lead_api.put(
        f"/api/v1/sessions/{future['id']}/record", json=full_record(future, [people.facilitator.id])
    )
    assert response.status_code == 422
    assert count(db, Attendance) == 0


def test_who_may_record(
    signed: Signed, people: People, first_session: dict[str, Any], db: Session
) -> None:
    url = f"/api/v1/sessions/{first_session['id']}/record"
    body = full_record(first_session, [people.facilitator.id])
    assert signed.api(people.mentor).put(url, json=body).status_code == 404
    outsider = people.add(people.facilitator.role, email="other.cohort@org-a.example.org")
    db.commit()
    assert signed.api(outsider).put(url, json=body).status_code == 404
    assert signed.api(people.other_lead).put(url, json=body).status_code == 404
    assert count(db, Attendance) == 0


def test_late_joiners_and_leavers_are_not_on_earlier_or_later_registers(
    lead_api: TestClient,
    cohort: dict[str, Any],
    enrolled: list[dict[str, Any]],
    make_child: MakeChild,
) -> None:
    leaver = enrolled[0]
    enrolment = next(
        e
        for e in lead_api.get(f"/api/v1/cohorts/{cohort['id']}").json()["enrolments"]
        if e["child_id"] == leaver["id"]
    )
    left = lead_api.post(
        f"/api/v1/enrolments/{enrolment['id']}/withdraw",
        json={"date": "2026-09-15", "reason": "Moved"},
    )
    assert left.status_code == 200
    late = make_child(first_name="Late")
    joined = lead_api.post(
        f"/api/v1/cohorts/{cohort['id']}/enrolments",
        json={"child_id": late["id"], "start_date": "2026-09-20"},
    )
    assert joined.status_code == 201, joined.text
    first = lead_api.get(f"/api/v1/sessions/{cohort['sessions'][0]['id']}").json()  # 7 September
    third = lead_api.get(f"/api/v1/sessions/{cohort['sessions'][2]['id']}").json()  # 21 September
    on_first = {c["child_id"] for c in first["roster"]}
    on_third = {c["child_id"] for c in third["roster"]}
    assert late["id"] not in on_first
    assert leaver["id"] in on_first
    assert late["id"] in on_third
    assert leaver["id"] not in on_third


def test_statements_do_not_grow_with_children(
    lead_api: TestClient,
    cohort: dict[str, Any],
    make_child: MakeChild,
    people: People,
    count_queries: CountQueries,
    db: Session,
) -> None:
    sessions = cohort["sessions"]

    def measure(session_id: int) -> int:
        session = lead_api.get(f"/api/v1/sessions/{session_id}").json()
        body = full_record(session, [people.facilitator.id], absent=1)
        db.expire_all()
        with count_queries() as counted:
            assert (
                lead_api.put(f"/api/v1/sessions/{session_id}/record", json=body).status_code == 200
            )
        return counted.count

    for _ in range(3):
        child = make_child()
        lead_api.post(
            f"/api/v1/cohorts/{cohort['id']}/enrolments",
            json={"child_id": child["id"], "start_date": "2026-09-07"},
        )
    few = measure(sessions[0]["id"])
    for _ in range(7):
        child = make_child()
        lead_api.post(
            f"/api/v1/cohorts/{cohort['id']}/enrolments",
            json={"child_id": child["id"], "start_date": "2026-09-07"},
        )
    many = measure(sessions[1]["id"])
    # The same number for 3 or 10 children (with the response's reads): bulk
    # inserts, not a statement a child.
    assert few == many, (few, many)
    assert many <= 40


def test_observations(
    signed: Signed, people: People, lead_api: TestClient, first_session: dict[str, Any]
) -> None:
    url = f"/api/v1/sessions/{first_session['id']}/observations"
    assert (
        lead_api.post(url, json={"adherence": 4, "quality": 5}).status_code == 409
    )  # not delivered yet
    lead_api.put(
        f"/api/v1/sessions/{first_session['id']}/record",
        json=full_record(first_session, [people.facilitator.id]),
    )
    assert lead_api.post(url, json={"adherence": 6, "quality": 5}).status_code == 422
    assert (
        signed.api(people.facilitator).post(url, json={"adherence": 4, "quality": 5}).status_code
        == 403
    )
    created = lead_api.post(
        url, json={"adherence": 4, "quality": 5, "comments": "Warm and on time"}
    )
    assert created.status_code == 201
    detail = lead_api.get(f"/api/v1/sessions/{first_session['id']}").json()
    assert detail["observations"][0]["quality"] == 5


def test_the_service_runs_a_fixed_number_of_statements(
    first_session: dict[str, Any],
    people: People,
    count_queries: CountQueries,
    db: Session,
) -> None:
    """Recording 10 children and the week's activities. The first save: 7 reads (session,
    register, lesson, facilitators, checklist, stored rows, record row), the version claim,
    4 inserts (attendance, coverage, facilitators, record), the practice read and insert,
    and the audit event. A correction of one child: 7 reads, the claim, one UPDATE of the
    register, the UPDATE of the record row (who saved last, and when), the practice read and
    UPDATE, the audit event."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from app.sessions import recording
    from app.sessions.schemas import RecordIn

    now = dt.datetime(2026, 11, 26, 20, 0, tzinfo=ZoneInfo("Europe/London"))
    body = full_record(first_session, [people.facilitator.id])
    assert len(body["attendance"]) == 10
    db.expire_all()
    assert people.lead.role == "lead"  # loaded before counting
    with count_queries() as first:
        recording.record_session(
            db,
            actor=people.lead,
            session_id=first_session["id"],
            payload=RecordIn.model_validate(body),
            now=now,
        )
    corrected = full_record(first_session, [people.facilitator.id], absent=1, version=2)
    with count_queries() as correction:
        recording.record_session(
            db,
            actor=people.lead,
            session_id=first_session["id"],
            payload=RecordIn.model_validate(corrected),
            now=now,
        )
    assert (first.count, correction.count) == (15, 13)
