"""Minimum in every output ("Zebedee-Unique", issue 18): a child with an unmistakable first
name is given a whole record (enrolment, a register with notes, a match, visits with
summaries and a safeguarding concern, practice tasks, an assessment, a life event), then
every export, report, feed, email and log line that should carry only references is read
whole, and none may hold the name.

Where the name belongs (the register page, the child's page, the subject-access export,
the mentor's week) this test does not look. Free text typed by people (notes, summaries)
is written here without the name: what is tested is that Tandem never adds it."""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.auth.models import User
from app.children.models import Child
from app.mail import service as mail
from app.mail.kinds import Kind
from app.mail.models import OutboxMessage
from app.notify import reminders
from tests.outcomes.conftest import SCORES_MEASURE, add_measure
from tests.support.clock import Clock
from tests.support.fixtures import MakeChild
from tests.support.mentoring import MakeMentor, first_monday_for, make_match, mentor_user
from tests.support.people import People, Signed
from tests.support.sessions import full_record

pytestmark = pytest.mark.clock("2027-03-10T18:00")  # a Wednesday evening

NAME = "Zebedee-Unique"
REFERENCE = "ZU-REF-7731"


@dataclass
class World:
    child: dict[str, Any]
    cohort: dict[str, Any]
    match: dict[str, Any]
    mentor: User
    mentor_api: TestClient
    visit_ids: list[int]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else response
    )


@pytest.fixture
def world(
    db: Session,
    people: People,
    signed: Signed,
    lead_api: TestClient,
    cohort_body: dict[str, Any],
    make_child: MakeChild,
    make_mentor: MakeMentor,
    clock: Clock,
) -> World:
    add_measure(db, SCORES_MEASURE)
    db.commit()
    today = clock.today
    first = first_monday_for(today)
    cohort = _ok(
        lead_api.post("/api/v1/cohorts", json={**cohort_body, "start_date": first.isoformat()}),
        201,
    )
    child = make_child(
        first_name=NAME,
        reference=REFERENCE,
        date_of_birth="2015-07-23",
        interests=["chess"],
        preferences={"notes": "Likes quiet places"},
    )
    classmate = make_child(first_name="Classmate", reference="CM-0001")
    for someone in (child, classmate):
        _ok(
            lead_api.post(
                f"/api/v1/cohorts/{cohort['id']}/enrolments",
                json={"child_id": someone["id"], "start_date": first.isoformat()},
            ),
            201,
        )
    # The register, with a note about the child and the session's notes.
    session = _ok(lead_api.get(f"/api/v1/sessions/{cohort['sessions'][0]['id']}"))
    body = full_record(session, [people.facilitator.id])
    for row in body["attendance"]:
        if row["child_id"] == child["id"]:
            row["note"] = "Joined in with the role play"
    _ok(lead_api.put(f"/api/v1/sessions/{session['id']}/record", json=body))
    # A mentor, matched (the new-match email), with a visit done (a summary and a concern:
    # the safeguarding email) and one planned for tomorrow (the reminder).
    mentor_row = make_mentor(name="Jo Mentor")
    match = make_match(lead_api, child["id"], mentor_row["user_id"], first)
    mentor = mentor_user(db, mentor_row)
    mentor_api = signed.api(mentor)
    tasks = _ok(mentor_api.get("/api/v1/assignments", params={"child_id": child["id"]}))
    assert tasks, "the register gave the child practice tasks"
    task_ids = [tasks[0]["id"]]
    done = _ok(
        mentor_api.post(
            "/api/v1/visits",
            json={
                "match_id": match["id"],
                "date": (today - dt.timedelta(days=2)).isoformat(),
                "start_time": "10:00",
                "duration_minutes": 90,
                "status": "completed",
                "summary": "Went to the park and practised asking for help",
                "safeguarding_concern": True,
                "assignment_ids": task_ids,
            },
        ),
        201,
    )
    planned = _ok(
        mentor_api.post(
            "/api/v1/visits",
            json={
                "match_id": match["id"],
                "date": (today + dt.timedelta(days=1)).isoformat(),
                "start_time": "11:00",
                "duration_minutes": 60,
                "status": "planned",
            },
        ),
        201,
    )
    _ok(
        lead_api.post(
            f"/api/v1/children/{child['id']}/assessments",
            json={
                "measure": "kids_scores",
                "informant": "carer",
                "timepoint": "baseline",
                "completed_on": first.isoformat(),
                "scores": {"worry": 3, "mood": 4},
            },
        ),
        201,
    )
    _ok(
        lead_api.post(
            f"/api/v1/children/{child['id']}/events",
            json={"kind": "placement_move", "date": "2027-02-01", "note": "New carer"},
        ),
        201,
    )
    # The reminders due this evening: tomorrow's visit, the sessions not recorded.
    reminders.run_due(db, clock.now)
    db.commit()
    return World(child, cohort, match, mentor, mentor_api, [done["id"], planned["id"]])


def assert_no_name(where: str, text: str) -> None:
    assert NAME not in text, f"{where} names the child"
    assert NAME.lower() not in text.lower(), f"{where} names the child"


# Exports and reports -----------------------------------------------------------------------


def _text(response: Any) -> str:
    if response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ):
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return str(response.text)


EXPORTS = [
    "/api/v1/evaluation.csv",
    "/api/v1/fidelity.csv",
    "/api/v1/fidelity.xlsx",
    "/api/v1/fidelity",
    "/api/v1/fidelity?cohort_id={cohort_id}",
    "/api/v1/fidelity.csv?cohort_id={cohort_id}",
    "/api/v1/outcomes",
    "/api/v1/outcomes?cohort_id={cohort_id}",
    "/api/v1/audit.csv",
    "/api/v1/audit.csv?entity=child&entity_id={child_id}",
]


@pytest.mark.parametrize("path", EXPORTS)
def test_exports_and_reports_carry_no_name(
    world: World, lead_api: TestClient, admin_api: TestClient, path: str
) -> None:
    url = path.format(cohort_id=world.cohort["id"], child_id=world.child["id"])
    client = admin_api if "audit" in url else lead_api
    response = client.get(url)
    assert response.status_code == 200, response.text
    text = _text(response)
    assert_no_name(url, text)
    if url.startswith(("/api/v1/fidelity", "/api/v1/audit")):
        assert REFERENCE in text  # the child is in it, by reference


def test_the_audit_csv_names_the_child_by_reference(world: World, admin_api: TestClient) -> None:
    text = admin_api.get(
        "/api/v1/audit.csv", params={"entity": "child", "entity_id": world.child["id"]}
    ).text
    assert REFERENCE in text  # the export is about this child: not empty
    everything = admin_api.get("/api/v1/audit.csv").text
    assert everything.count(REFERENCE) >= 5  # enrolment, match, visits, concern...


def test_the_evaluators_file_holds_the_child_pseudonymously(
    world: World, lead_api: TestClient
) -> None:
    text = lead_api.get("/api/v1/evaluation.csv").text
    assert len(text.splitlines()) >= 3  # a header and both children
    assert REFERENCE not in text  # not even the reference: pseudonyms


@pytest.mark.parametrize("path", ["/outcomes", "/outcomes/print", "/fidelity/report"])
def test_report_pages_carry_no_name(
    world: World, signed: Signed, people: People, path: str
) -> None:
    response = signed.pages(people.lead).get(path)
    assert response.status_code == 200, response.text[:300]
    assert_no_name(path, response.text)
    if path == "/fidelity/report":
        assert REFERENCE in response.text  # the child is in it, by reference


# The calendar feed -------------------------------------------------------------------------


def _feed(client: TestClient) -> str:
    address = _ok(client.get("/api/v1/me/calendar"))["url"]
    assert address
    response = client.get(urlsplit(address).path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    return str(response.text)


def test_the_calendar_feed_names_the_child_only_when_the_organisation_chose_it(
    world: World, admin_api: TestClient
) -> None:
    by_default = _feed(world.mentor_api)
    assert "BEGIN:VEVENT" in by_default
    assert REFERENCE in by_default  # the default label: the reference
    assert_no_name("the calendar feed (default label)", by_default)
    _ok(admin_api.patch("/api/v1/organisation", json={"calendar_child_label": "initials"}))
    initials = _ok(world.mentor_api.post("/api/v1/me/calendar/rotate"))["url"]
    feed = world.mentor_api.get(urlsplit(initials).path).text
    assert_no_name("the calendar feed (initials)", feed)
    assert REFERENCE not in feed
    # An organisation may choose first names (its admin is told a feed leaves Tandem):
    # then, and only then, the feed holds it.
    _ok(admin_api.patch("/api/v1/organisation", json={"calendar_child_label": "first_name"}))
    named = _ok(world.mentor_api.post("/api/v1/me/calendar/rotate"))["url"]
    assert NAME in world.mentor_api.get(urlsplit(named).path).text


# Emails ------------------------------------------------------------------------------------


def test_no_email_caused_by_the_childs_record_names_them(world: World, db: Session) -> None:
    messages = list(db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())
    kinds = {m.kind for m in messages}
    assert {"new_match", "safeguarding_concern", "visit_reminder", "session_not_recorded"} <= kinds
    for message in messages:
        assert_no_name(f"the {message.kind} email", f"{message.subject}\n{message.body_text}")
    about = [m for m in messages if m.kind in ("new_match", "visit_reminder")]
    assert all(REFERENCE in m.body_text for m in about)  # the child, by reference


def test_every_kind_of_email_rendered_for_the_child_names_them_not(
    world: World, db: Session, people: People
) -> None:
    """Each kind's template, given everything about the child a caller could pass: the row
    itself, its name, as well as the reference the callers do pass."""
    child = db.get(Child, world.child["id"])
    assert child is not None
    context: dict[str, Any] = {
        "recipient": people.lead,
        "child": child,
        "first_name": child.first_name,
        "child_name": child.first_name,
        "reference": child.reference,
        "visit_id": world.visit_ids[0],
        "visit_date": dt.date(2027, 3, 8),
        "start_time": dt.time(11),
        "start_date": dt.date(2026, 12, 14),
        "session_id": world.cohort["sessions"][0]["id"],
        "session_date": dt.date(2026, 12, 14),
        "week": 1,
        "cohort_name": "Monday group",
        "mentor_id": world.mentor.id,
        "mentor_name": world.mentor.name,
        "org_name": "Org A",
        "organisation": "Org A",
        "expires_on": dt.date(2027, 5, 1),
        "expires_at": dt.datetime(2027, 3, 11, 18, tzinfo=dt.UTC),
        "days_left": 14,
        "own": True,
        "counts": [("Children below the dosage threshold", 1)],
        "total": 1,
        "as_of": dt.date(2027, 3, 8),
        "locked_until": dt.datetime(2027, 3, 10, 19, tzinfo=dt.UTC),
        "changed_at": dt.datetime(2027, 3, 10, 18, tzinfo=dt.UTC),
        "by_admin_command": False,
        "change": "turned on",
        "inviter": "Admin of Org A",
        "sender": "Admin of Org A",
        "path": "/account/reset/token",
    }
    for kind in Kind:
        subject, body = mail.render(kind, context)
        assert subject, kind
        assert_no_name(f"the {kind.value} email", f"{subject}\n{body}")


# Logs --------------------------------------------------------------------------------------


def test_request_logs_never_name_the_child(
    world: World,
    signed: Signed,
    people: People,
    lead_api: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cid = world.child["id"]
    pages = signed.pages(people.lead)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        lead_api.get("/api/v1/children", params={"q": NAME})
        pages.get("/children", params={"q": NAME})
        lead_api.get(f"/api/v1/children/{cid}")
        pages.get(f"/children/{cid}")
        lead_api.get(f"/api/v1/children/{cid}/export")
        lead_api.patch(f"/api/v1/children/{cid}", json={"first_name": NAME + "-Again"})
        lead_api.patch(f"/api/v1/children/{cid}", json={"first_name": ""})  # refused
        lead_api.post("/api/v1/children", json={"reference": REFERENCE, "first_name": NAME})
        world.mentor_api.get("/api/v1/mentors/me/week")
    app_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name == "tandem.access" for r in app_records)  # the request log was read
    for record in app_records:
        assert_no_name(f"the {record.name} log", record.getMessage() + str(record.__dict__))
