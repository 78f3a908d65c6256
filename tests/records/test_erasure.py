"""Erasing a child's record made in error (issue 18, point 2): only by an admin, only while
nobody has used it; everything about the child goes, one audit event stays."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.audit.models import AuditEvent, RecordView
from app.children.models import Child
from app.cohorts.models import Enrolment
from app.fidelity.models import FlagAcknowledgement
from app.mentoring.models import CheckIn, Match
from app.outcomes.models import Assessment, LifeEvent, Timepoint
from tests.support.fixtures import MakeChild
from tests.support.mentoring import MakeMentor, Mentees, make_match
from tests.support.pages import post
from tests.support.people import People, Signed

REASON = {"reason": "Registered twice: the right record is CH-0001"}


def _count(db: Session, model: Any, **where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return int(db.exec(stmt).one())


def _held_on(db: Session, child_id: int) -> dict[str, int]:
    """How many rows of each kind name the child."""
    return {
        "child": _count(db, Child, id=child_id),
        "enrolment": _count(db, Enrolment, child_id=child_id),
        "match": _count(db, Match, child_id=child_id),
        "assessment": _count(db, Assessment, child_id=child_id),
        "life_event": _count(db, LifeEvent, child_id=child_id),
        "record_view": _count(db, RecordView, child_id=child_id),
        "flag": _count(db, FlagAcknowledgement, subject=f"child={child_id},measure=sdq"),
        "child_audit": _count(db, AuditEvent, entity="child", entity_id=child_id),
    }


@pytest.fixture
def mistaken(
    db: Session,
    people: People,
    mentees: Mentees,
    make_child: MakeChild,
    make_mentor: MakeMentor,
) -> dict[str, Any]:
    """A child enrolled after the group's recorded first session (so on no register), with a
    match and its check-in, an assessment, a life event, a flag acknowledgement naming them
    and a look at their record: every kind of row erasure must take away."""
    api = mentees.lead_api
    child = make_child(first_name="Zed")
    later = mentees.first + dt.timedelta(days=7)
    enrolled = api.post(
        f"/api/v1/cohorts/{mentees.cohort['id']}/enrolments",
        json={"child_id": child["id"], "start_date": later.isoformat()},
    )
    assert enrolled.status_code == 201, enrolled.text
    mentor = make_mentor()
    match = make_match(api, child["id"], mentor["user_id"], later)
    checked = api.post(
        f"/api/v1/matches/{match['id']}/check-ins",
        json={"date": later.isoformat(), "with_mentor": True, "notes": "Going well"},
    )
    assert checked.status_code == 201, checked.text
    event = api.post(
        f"/api/v1/children/{child['id']}/events",
        json={"kind": "placement_move", "date": later.isoformat(), "note": "Moved"},
    )
    assert event.status_code == 201, event.text
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    db.add(
        Assessment(
            org_id=people.org.id or 0,
            child_id=child["id"],
            measure_key="sdq",
            measure_version=1,
            informant="carer",
            timepoint=Timepoint.baseline,
            completed_on=later,
            scores={"emotional": 3.0},
            created_at=now,
            updated_at=now,
        )
    )
    db.add(
        FlagAcknowledgement(
            org_id=people.org.id or 0,
            kind="assessment_missed",
            subject=f"child={child['id']},measure=sdq",
            note="Carer declined",
            on_date=later,
            acknowledged_by=people.lead.id or 0,
            acknowledged_at=now,
        )
    )
    db.add(
        RecordView(
            org_id=people.org.id or 0,
            child_id=child["id"],
            user_id=people.lead.id,
            at=now,
            what="record",
        )
    )
    db.commit()
    return {
        "child": child,
        "match": match,
        "audited": [
            ("enrolment", enrolled.json()["id"]),
            ("match", match["id"]),
            ("life_event", event.json()["id"]),
        ],
    }


def test_an_admin_erases_a_record_made_in_error_and_everything_about_it(
    admin_api: TestClient, db: Session, mistaken: dict[str, Any], people: People
) -> None:
    child_id = mistaken["child"]["id"]
    before = _held_on(db, child_id)
    assert all(before.values()), before
    for entity, row_id in mistaken["audited"]:
        assert _count(db, AuditEvent, entity=entity, entity_id=row_id) > 0, entity
    response = admin_api.post(f"/api/v1/children/{child_id}/erase", json=REASON)
    assert response.status_code == 204, response.text
    db.expire_all()
    assert set(_held_on(db, child_id).values()) == {0}
    assert _count(db, CheckIn, match_id=mistaken["match"]["id"]) == 0
    # The audit of the enrolment, the match and the life event went with them.
    for entity, row_id in mistaken["audited"]:
        assert _count(db, AuditEvent, entity=entity, entity_id=row_id) == 0, entity
    erased = db.exec(select(AuditEvent).where(AuditEvent.action == "erase")).all()
    assert len(erased) == 1
    assert erased[0].entity == "child"
    assert erased[0].entity_id is None
    assert erased[0].actor_id == people.admin.id
    assert erased[0].changes == {
        "reference": mistaken["child"]["reference"],
        "reason": REASON["reason"],
    }
    assert "Zed" not in str(erased[0].changes)
    assert admin_api.get(f"/api/v1/children/{child_id}").status_code == 404


def test_a_child_on_a_recorded_register_is_refused_and_nothing_changes(
    admin_api: TestClient, db: Session, mentees: Mentees
) -> None:
    # Ben was absent from the recorded first session: still on the register.
    child_id = mentees.ben["id"]
    before = _held_on(db, child_id)
    response = admin_api.post(f"/api/v1/children/{child_id}/erase", json=REASON)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert "recorded register" in detail
    assert "anonymised" in detail
    db.expire_all()
    assert _held_on(db, child_id) == before
    assert _count(db, AuditEvent, action="erase") == 0


def test_a_child_with_a_mentor_visit_is_refused(
    admin_api: TestClient,
    db: Session,
    people: People,
    mentees: Mentees,
    make_child: MakeChild,
    make_mentor: MakeMentor,
) -> None:
    child = make_child()
    mentor = make_mentor()
    match = make_match(mentees.lead_api, child["id"], mentor["user_id"], mentees.first)
    visited = mentees.lead_api.post(
        "/api/v1/visits",
        json={
            "match_id": match["id"],
            "date": (mentees.today - dt.timedelta(days=2)).isoformat(),
            "start_time": "10:00",
            "duration_minutes": 60,
            "status": "completed",
        },
    )
    assert visited.status_code == 201, visited.text
    response = admin_api.post(f"/api/v1/children/{child['id']}/erase", json=REASON)
    assert response.status_code == 409, response.text
    assert "mentor visit" in response.json()["detail"]
    db.expire_all()
    assert _count(db, Child, id=child["id"]) == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": 12}, {"why": "x"}],
)
def test_a_bad_reason_is_refused_and_nothing_changes(
    admin_api: TestClient, db: Session, make_child: MakeChild, body: dict[str, Any]
) -> None:
    child = make_child()
    response = admin_api.post(f"/api/v1/children/{child['id']}/erase", json=body)
    assert response.status_code == 422, response.text
    db.expire_all()
    assert _count(db, Child, id=child["id"]) == 1


def test_a_lead_is_refused_and_another_organisation_finds_nothing(
    lead_api: TestClient, signed: Signed, people: People, db: Session, make_child: MakeChild
) -> None:
    child = make_child()
    assert lead_api.post(f"/api/v1/children/{child['id']}/erase", json=REASON).status_code == 403
    other = signed.api(people.other_admin)
    assert other.post(f"/api/v1/children/{child['id']}/erase", json=REASON).status_code == 404
    db.expire_all()
    assert _count(db, Child, id=child["id"]) == 1


def test_the_pages_erase_with_a_reason_and_say_so(
    signed: Signed, people: People, db: Session, make_child: MakeChild
) -> None:
    child = make_child(first_name="Yusuf")
    admin = signed.pages(people.admin)
    record = admin.get(f"/children/{child['id']}")
    assert "Erase this record (made in error)" in record.text
    lead_page = signed.pages(people.lead).get(f"/children/{child['id']}")
    assert "Erase this record" not in lead_page.text
    form = admin.get(f"/children/{child['id']}/erase")
    assert form.status_code == 200
    assert 'name="reason"' in form.text
    blank = post(admin, f"/children/{child['id']}/erase", {"reason": "  "})
    assert blank.status_code == 422
    assert "There is a problem" in blank.text
    assert 'href="#reason"' in blank.text
    assert "Enter why the record was made in error" in blank.text
    db.expire_all()
    assert _count(db, Child, id=child["id"]) == 1
    done = post(admin, f"/children/{child['id']}/erase", REASON)
    assert done.status_code == 303
    assert done.headers["location"] == "/children"
    listing = admin.get("/children")
    assert f"The record {child['reference']} has been erased" in listing.text
    assert "Yusuf" not in listing.text
    trail = admin.get("/audit")
    assert "Record erased (made in error)" in trail.text
    assert child["reference"] in trail.text
    assert "Registered twice" in trail.text


def test_the_page_explains_a_refusal(signed: Signed, people: People, mentees: Mentees) -> None:
    admin = signed.pages(people.admin)
    page = admin.get(f"/children/{mentees.amira['id']}/erase")
    assert page.status_code == 200
    assert "cannot be erased" in page.text
    assert 'name="reason"' not in page.text
    assert 'href="#anonymisation"' in page.text
    assert 'id="anonymisation"' in page.text
    refused = post(admin, f"/children/{mentees.amira['id']}/erase", REASON)
    assert refused.status_code == 409
    assert "There is a problem" in refused.text
    assert "recorded register" in refused.text
