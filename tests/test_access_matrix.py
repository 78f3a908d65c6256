"""Who may do what: every route of the app, for every role and for another organisation.

Each row names a route and, for each kind of caller, the exact status expected. The caller
"other_org" is an *admin of another organisation*: it passes every role check, so any refusal
it meets is tenancy alone (a 404, never a 403 that would confirm the row exists), and any list
it can read must hold none of organisation A's rows.

A test walks `app.routes` and fails when a route is missing from this table: every new route
must be added here, with its expectations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.deps import CSRF_COOKIE
from app.auth.models import Role
from app.calendar import service as feeds
from app.children import service as children
from app.children.schemas import ChildCreate
from app.cohorts import enrolments
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, GroupSession
from app.cohorts.schemas import CohortCreate, EnrolmentCreate
from app.main import create_app
from app.mentoring.matching import service as matching
from app.mentoring.profiles import service as profiles
from app.mentoring.schemas import MatchCreate, MentorCreate, VisitCreate
from app.mentoring.visits import service as mentoring_visits
from app.sessions import recording
from app.sessions import service as sessions_service
from app.sessions.models import PracticeAssignment
from app.sessions.schemas import RecordIn
from tests.matrix_rows import (
    accounts,
    assessments,
    audit_trail,
    children_pages,
    cohort_changes,
    cohort_pages,
    concerns,
    erasure,
    evaluation,
    events,
    fidelity_api,
    fidelity_pages,
    flags,
    imports,
    lists,
    mail,
    measures,
    mentor_pages,
    mentoring_api,
    mentoring_pages,
    mfa,
    notifications,
    outcomes_report,
    privacy,
    programmes,
    retention,
    sessions,
    site,
    sso,
    subject_access,
    who_looked,
)
from tests.support.people import PASSWORD, People, Signed

# The rows carry fixed dates (visits in November 2026, a visit plan until 27 March 2027):
# the matrix runs at the day they were written for, whatever `--clock` says.
pytestmark = pytest.mark.clock("2027-03-10T10:00")

ROLES = ("anonymous", "admin", "lead", "facilitator", "mentor", "other_org")
SIGNED_IN = ROLES[1:]
ORG_A_MARKER = "org-a.example.org"  # in every organisation A email address


def everyone(status: int, *, anonymous: int) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def only(
    allowed: dict[str, int], *, refused: int, anonymous: int, other_org: int
) -> dict[str, int]:
    out = {"anonymous": anonymous, "other_org": other_org}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, refused)
    return out


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # with {user_id}, {curriculum_id}, {week} filled in per test
    expect: dict[str, int]
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    pages: bool = False  # signed in by session cookie (+ CSRF) rather than bearer token
    extra: dict[str, Any] = field(default_factory=dict)


NEW_USER = {"email": "new.person@example.org", "name": "New Person", "role": "mentor"}
NEW_CHILD = {
    "reference": "MATRIX-1",
    "first_name": "Sam",
    "date_of_birth": "2016-03-01",
    "placement_type": "foster",
    "consent_given_by": "Social worker",
    "consent_given_on": "2026-09-01",
}
STAFF_ONLY = {"admin": 200, "lead": 200}
COHORT_READERS = {"admin": 200, "lead": 200, "facilitator": 200}

MATRIX: list[Row] = [
    # Health and the API description: open to all.
    Row("GET", "/healthz", everyone(200, anonymous=200)),
    Row("GET", "/api/v1/openapi.json", everyone(200, anonymous=200)),
    # Auth.
    Row("POST", "/api/v1/auth/token", everyone(200, anonymous=401), form={"login": "1"}),
    Row("POST", "/api/v1/auth/logout", everyone(204, anonymous=401)),
    Row("GET", "/api/v1/me", everyone(200, anonymous=401)),
    Row("GET", "/api/v1/organisation", everyone(200, anonymous=401)),
    Row(
        "PATCH",
        "/api/v1/organisation",
        only({"admin": 200}, refused=403, anonymous=401, other_org=200),
        json={"holiday_region": "wales"},
    ),
    # Users: admins of the organisation.
    Row("GET", "/api/v1/users", only({"admin": 200}, refused=403, anonymous=401, other_org=200)),
    Row(
        "POST",
        "/api/v1/users",
        only({"admin": 201}, refused=403, anonymous=401, other_org=201),
        json={**NEW_USER, "password": "a long enough password"},
    ),
    Row(
        "GET",
        "/api/v1/users/{user_id}",
        only({"admin": 200}, refused=403, anonymous=401, other_org=404),
    ),
    Row(
        "PATCH",
        "/api/v1/users/{user_id}",
        only({"admin": 200}, refused=403, anonymous=401, other_org=404),
        json={"name": "Renamed"},
    ),
    # Audit: leads and admins.
    Row(
        "GET",
        "/api/v1/audit",
        only({"admin": 200, "lead": 200}, refused=403, anonymous=401, other_org=200),
    ),
    # Curriculum: shared reference content, for anyone signed in.
    Row("GET", "/api/v1/curricula", everyone(200, anonymous=401)),
    Row("GET", "/api/v1/curricula/{curriculum_id}/weeks", everyone(200, anonymous=401)),
    # Children: staff manage them; a facilitator sees those in their cohorts.
    Row("GET", "/api/v1/children", everyone(200, anonymous=401)),
    Row(
        "POST",
        "/api/v1/children",
        only({"admin": 201, "lead": 201}, refused=403, anonymous=401, other_org=201),
        json=NEW_CHILD,
    ),
    Row(
        "GET",
        "/api/v1/children/{child_id}",
        only({**COHORT_READERS, "mentor": 200}, refused=404, anonymous=401, other_org=404),
    ),
    Row(
        "PATCH",
        "/api/v1/children/{child_id}",
        only(STAFF_ONLY, refused=403, anonymous=401, other_org=404),
        json={"interests": ["chess"]},
    ),
    Row(
        "GET",
        "/api/v1/children/{child_id}/export",
        only(STAFF_ONLY, refused=403, anonymous=401, other_org=404),
    ),
    # Cohorts and sessions.
    Row("GET", "/api/v1/cohorts", everyone(200, anonymous=401)),
    Row(
        "POST",
        "/api/v1/cohorts",
        # Another organisation cannot name organisation A's facilitators: 422.
        only({"admin": 201, "lead": 201}, refused=403, anonymous=401, other_org=422),
        json={"new_cohort": True},
    ),
    Row(
        "GET",
        "/api/v1/cohorts/{cohort_id}",
        only(COHORT_READERS, refused=404, anonymous=401, other_org=404),
    ),
    Row(
        "GET",
        "/api/v1/cohorts/{cohort_id}/sessions",
        only(COHORT_READERS, refused=404, anonymous=401, other_org=404),
    ),
    Row(
        "PATCH",
        "/api/v1/sessions/{session_id}",
        only(STAFF_ONLY, refused=403, anonymous=401, other_org=404),
        json={"version": 1, "venue": "Room 2"},
    ),
    Row(
        "POST",
        "/api/v1/sessions/{session_id}/cancel",
        only(STAFF_ONLY, refused=403, anonymous=401, other_org=404),
        json={"version": 1, "reason": "Snow"},
    ),
    Row(
        "POST",
        "/api/v1/cohorts/{cohort_id}/enrolments",
        only({"admin": 201, "lead": 201}, refused=403, anonymous=401, other_org=404),
        json={"child_id": "{spare_child_id}"},
    ),
    Row(
        "POST",
        "/api/v1/enrolments/{enrolment_id}/withdraw",
        only(STAFF_ONLY, refused=403, anonymous=401, other_org=404),
        json={"date": "2026-10-01", "reason": "Moved placement"},
    ),
    # Session delivery: the cohort's facilitators and staff.
    Row(
        "GET",
        "/api/v1/sessions/{session_id}",
        only(COHORT_READERS, refused=404, anonymous=401, other_org=404),
    ),
    Row(
        "PUT",
        "/api/v1/sessions/{session_id}/record",
        # The body names the session's version; every caller who may record gets 200.
        only(COHORT_READERS, refused=404, anonymous=401, other_org=404),
        json={"record": True},
    ),
    Row(
        "POST",
        "/api/v1/sessions/{session_id}/observations",
        # Not yet delivered: a lead may observe only after it is recorded (409).
        only({"admin": 409, "lead": 409}, refused=403, anonymous=401, other_org=404),
        json={"adherence": 4, "quality": 4},
    ),
    Row("GET", "/api/v1/closures", only(STAFF_ONLY, refused=403, anonymous=401, other_org=200)),
    Row(
        "POST",
        "/api/v1/closures",
        only({"admin": 201, "lead": 201}, refused=403, anonymous=401, other_org=201),
        json={"date": "2026-10-26", "end_date": "2026-10-30", "reason": "Half term"},
    ),
    # Calendar feeds: the address is the credential (calendar apps cannot sign in).
    Row("GET", "/api/v1/me/calendar", everyone(200, anonymous=401)),
    Row("POST", "/api/v1/me/calendar/rotate", everyone(200, anonymous=401)),
    Row("GET", "/calendar/{token}.ics", everyone(200, anonymous=200)),
    # Pages. Not signed in: 303 to the sign-in page.
    Row("GET", "/", {**everyone(200, anonymous=303), "mentor": 303}, pages=True),  # to /mentor
    Row("GET", "/login", everyone(303, anonymous=200), pages=True),
    Row("POST", "/login", everyone(303, anonymous=401), form={"login": "1"}, pages=True),
    Row("POST", "/logout", everyone(303, anonymous=303), form={}, pages=True),
    Row("GET", "/account/password", everyone(200, anonymous=303), pages=True),
    Row(
        "POST",
        "/account/password",
        everyone(303, anonymous=303),  # changed: back to the page with its banner
        form={"current_password": PASSWORD, "new_password": "another long pass phrase"},
        pages=True,
    ),
    Row(
        "GET",
        "/admin/users",
        only({"admin": 200}, refused=403, anonymous=303, other_org=200),
        pages=True,
    ),
    Row(
        "GET",
        "/admin/users/new",
        only({"admin": 200}, refused=403, anonymous=303, other_org=200),
        pages=True,
    ),
    Row(
        "POST",
        "/admin/users",
        only({"admin": 303}, refused=403, anonymous=303, other_org=303),
        form={**NEW_USER, "password": "a long enough password"},
        pages=True,
    ),
    Row(
        "GET",
        "/admin/users/{user_id}",
        only({"admin": 200}, refused=403, anonymous=303, other_org=404),
        pages=True,
    ),
    Row(
        "POST",
        "/admin/users/{user_id}",
        only({"admin": 303}, refused=403, anonymous=303, other_org=404),
        form={"name": "Renamed", "role": "mentor", "active": "yes"},
        pages=True,
    ),
    Row(
        "GET",
        "/audit",
        only({"admin": 200, "lead": 200}, refused=403, anonymous=303, other_org=200),
        pages=True,
    ),
    Row("GET", "/curriculum", everyone(200, anonymous=303), pages=True),
    Row(
        "GET",
        "/curriculum/{curriculum_id}/weeks/{week}",
        everyone(200, anonymous=303),
        pages=True,
    ),
]


MATRIX += [
    Row(**row)
    for module in (
        children_pages,
        cohort_pages,
        mentoring_api,
        mentoring_pages,
        mentor_pages,
        fidelity_api,
        fidelity_pages,
        cohort_changes,
        imports,
        concerns,
        audit_trail,
        flags,
        lists,
        site,
        accounts,
        mfa,
        sso,
        notifications,
        mail,
        sessions,
        measures,
        assessments,
        events,
        outcomes_report,
        evaluation,
        retention,
        erasure,
        subject_access,
        who_looked,
        privacy,
        programmes,
    )
    for row in module.ROWS
]


def _template_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):  # included routers, flattened
        for method in (route.methods or set()) - {"HEAD"}:
            found.add((method, _shape(str(route.path))))
    return found


def _shape(path: str) -> str:
    """A path with its parameters unnamed and no query string: a row may fill {visit_id}
    with a particular world id, such as {concern_visit_id}, and a route may have several
    rows, such as one with ?cohort_id=."""
    return re.sub(r"\{[^}]+\}", "{}", path.split("?", 1)[0])


def _key(row: Row) -> tuple[str, str]:
    return (row.method, _shape(row.path))


def test_every_route_is_in_the_matrix() -> None:
    routes = _template_routes(create_app())
    table = {_key(row) for row in MATRIX}
    missing = sorted(routes - table)
    stale = sorted(table - routes)
    assert not missing, f"routes missing from the access matrix: {missing}"
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"
    exact = {(row.method, row.path) for row in MATRIX}
    assert len(exact) == len(MATRIX), "a row is listed twice"


def test_every_row_names_every_caller() -> None:
    for row in MATRIX:
        assert set(row.expect) == set(ROLES), row


def _caller(role: str, people: People) -> Any:
    if role == "anonymous":
        return None
    if role == "other_org":
        return people.other_admin
    return people.by_role(role)


def _client(row: Row, role: str, app: FastAPI, signed: Signed, people: People) -> TestClient:
    user = _caller(role, people)
    if user is None:
        return TestClient(app, follow_redirects=False)
    return signed.pages(user) if row.pages else signed.api(user)


def _form(
    row: Row, role: str, client: TestClient, people: People, world_ids: dict[str, Any]
) -> dict[str, str] | None:
    if row.form is None:
        return None
    form = {
        key: (str(world_ids[value[1:-1]]) if value.startswith("{") else value)
        for key, value in row.form.items()
    }
    if form.pop("record_form", None):
        form.update(world_ids["record_form"])
    if form.pop("login", None):
        user = _caller(role, people)
        email = user.email if user else "nobody@example.org"
        if row.path == "/login":
            form.update(email=email, password=PASSWORD)
        else:
            form.update(username=email, password=PASSWORD)
    if row.pages:
        token = getattr(client, "csrf_token", None)
        if token is None or row.path == "/login":  # the sign-in form's double-submit cookie
            token = "t" * 43
            client.cookies.set(CSRF_COOKIE, token)
        form["csrf_token"] = token
    return form


@dataclass(frozen=True)
class World:
    """Organisation A's programme: a cohort run by people.facilitator and another, with one
    child enrolled and one not yet, and the facilitator's calendar address."""

    ids: dict[str, Any]
    cohort_body: dict[str, Any]
    record_body: dict[str, Any]


@pytest.fixture
def world(db: Session, people: People, curriculum_id: int) -> World:
    second = people.add(Role.facilitator, email="facilitator2@org-a.example.org")
    body = {
        "curriculum_id": curriculum_id,
        "start_time": "16:00",
        "duration_minutes": 90,
        "venue": "Community hall",
        "facilitator_ids": [people.facilitator.id, second.id],
    }
    cohort = cohorts.create_cohort(
        db,
        actor=people.lead,
        data=CohortCreate(name="Monday group", start_date=date(2026, 9, 7), **body),
    )
    today = date(2026, 9, 1)
    child = children.create_child(
        db, actor=people.lead, data=ChildCreate(**{**NEW_CHILD, "reference": "A-1"}), today=today
    )
    spare = children.create_child(
        db, actor=people.lead, data=ChildCreate(**{**NEW_CHILD, "reference": "A-2"}), today=today
    )
    enrolment = enrolments.enrol(
        db,
        actor=people.lead,
        cohort_id=cohort.id or 0,
        data=EnrolmentCreate(child_id=child.id or 0, start_date=date(2026, 9, 7)),
        today=today,
    )
    session = cohorts.sessions_of(db, actor=people.lead, cohort_id=cohort.id or 0)[0]
    token = feeds.issue(db, user=people.facilitator)
    db.commit()
    ids: dict[str, Any] = {
        "user_id": people.mentor.id,
        "curriculum_id": curriculum_id,
        "week": 1,
        "cohort_id": cohort.id,
        "programme_id": cohort.programme_id,
        "child_id": child.id,
        "spare_child_id": spare.id,
        "session_id": session.id,
        "enrolment_id": enrolment.id,
        "token": token,
        "facilitator_id": people.facilitator.id,
        "facilitator2_id": second.id,
        "missing_id": 2**31 - 1,  # no record has it: 404 once access is granted
    }
    new_cohort = {**body, "name": "Thursday group", "start_date": "2026-09-10"}
    lesson = sessions_service.lesson_of(db, session, cohort)
    record = {
        "version": 1,
        "facilitators_present": [people.facilitator.id],
        "attendance": [{"child_id": child.id, "status": "present"}],
        "coverage": [{"activity_id": a.id, "status": "delivered"} for a in lesson.activities],
    }
    # Week 2's session is recorded for the mentoring rows; week 1's stays as it is.
    second_session = cohorts.sessions_of(db, actor=people.lead, cohort_id=cohort.id or 0)[1]
    ids.update(_mentoring(db, people, child_id=child.id or 0, session_id=second_session.id or 0))
    ids["record_form"] = {
        "version": "1",
        f"facilitator-{people.facilitator.id}": "yes",
        f"attendance-{child.id}": "present",
        **{f"coverage-{a.id}": "delivered" for a in lesson.activities},
    }
    return World(ids, new_cohort, record)


def _mentoring(db: Session, people: People, *, child_id: int, session_id: int) -> dict[str, Any]:
    """people.mentor, ready, matched with the enrolled child, with a recorded session's
    practice task, a completed visit and one that raised a safeguarding concern; a second
    ready mentor with no mentees, and a mentor user with no profile yet."""
    ready = {
        "dbs_checked_on": date(2025, 6, 1),
        "barred_list_checked": True,
        "references_checked": True,
        "interviewed_on": date(2025, 6, 10),
        "training_completed_on": date(2025, 7, 1),
    }
    today = date(2026, 11, 26)
    profiles.create_profile(
        db,
        actor=people.lead,
        data=MentorCreate(user_id=people.mentor.id or 0, **ready),
        today=today,
    )
    free = people.add(Role.mentor, email="mentor2@org-a.example.org")
    profiles.create_profile(
        db, actor=people.lead, data=MentorCreate(user_id=free.id or 0, **ready), today=today
    )
    match = matching.create_match(
        db,
        actor=people.lead,
        data=MatchCreate(
            child_id=child_id, mentor_id=people.mentor.id or 0, start_date=date(2026, 9, 7)
        ),
        today=today,
    )
    session = db.get(GroupSession, session_id)
    assert session is not None
    lesson = sessions_service.lesson_of(db, session, db.get_one(Cohort, session.cohort_id))
    recording.record_session(
        db,
        actor=people.lead,
        session_id=session_id,
        now=datetime(2026, 11, 26, 21, 0, tzinfo=UTC),
        payload=RecordIn.model_validate(
            {
                "version": session.version,
                "facilitators_present": [people.facilitator.id],
                "attendance": [{"child_id": child_id, "status": "present"}],
                "coverage": [
                    {"activity_id": a.id, "status": "delivered"} for a in lesson.activities
                ],
            }
        ),
    )
    assignment = db.exec(
        select(PracticeAssignment).where(PracticeAssignment.child_id == child_id)
    ).first()
    assert assignment is not None
    assert assignment.mentor_id == people.mentor.id
    visit = mentoring_visits.create_visit(
        db,
        actor=people.mentor,
        data=VisitCreate(
            match_id=match.id or 0,
            date=date(2026, 11, 20),
            start_time=time(10),
            duration_minutes=120,
            status="completed",
            summary="Practised asking for help",
        ),
        now=datetime(2026, 11, 26, 21, 0, tzinfo=UTC),
    )
    concern = mentoring_visits.create_visit(
        db,
        actor=people.mentor,
        data=VisitCreate(
            match_id=match.id or 0,
            date=date(2026, 11, 13),
            start_time=time(10),
            duration_minutes=60,
            status="completed",
            safeguarding_concern=True,
        ),
        now=datetime(2026, 11, 26, 21, 0, tzinfo=UTC),
    )
    unprofiled = people.add(Role.mentor, email="mentor3@org-a.example.org")
    db.commit()
    return {
        "mentor_id": people.mentor.id,
        "new_mentor_id": unprofiled.id,
        "concern_visit_id": concern.id,
        "free_mentor_id": free.id,
        "match_id": match.id,
        "visit_id": visit.id,
        "assignment_id": assignment.id,
    }


def _json(row: Row, world: World) -> dict[str, Any] | None:
    if row.json is None:
        return None
    if row.json.get("new_cohort"):
        return world.cohort_body
    if row.json.get("record"):
        return world.record_body
    return {
        key: (
            int(world.ids[value[1:-1]])
            if isinstance(value, str) and value.startswith("{")
            else value
        )
        for key, value in row.json.items()
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.method} {row.path}")
def test_access(
    row: Row, role: str, app: FastAPI, signed: Signed, people: People, world: World
) -> None:
    path = row.path.format(**world.ids)
    client = _client(row, role, app, signed, people)
    response = client.request(
        row.method, path, json=_json(row, world), data=_form(row, role, client, people, world.ids)
    )
    expected = row.expect[role]
    assert response.status_code == expected, (
        f"{row.method} {path} as {role}: {response.status_code}, expected {expected}\n"
        f"{response.text[:500]}"
    )
    if role == "other_org" and expected < 400:
        assert ORG_A_MARKER not in response.text, f"{row.method} {path} leaks organisation A"
    if expected == 303 and role == "anonymous":
        assert response.headers["location"].startswith("/login")
