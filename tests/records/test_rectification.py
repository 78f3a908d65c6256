"""Rectification (UK GDPR article 16): every correction of a child's record is audited with
the old and the new value of each field it changes, through the API and the pages alike; a
refused correction changes nothing and audits nothing. Free text (a life event's or a
visit's note) is audited as "changed", never copied into the trail: the trail would
otherwise keep what the child's record no longer holds (correction, or anonymisation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditEvent
from tests.audit.support import text_of
from tests.support.auth import audit_events
from tests.support.fixtures import MakeChild
from tests.support.mentoring import Mentees, Programme
from tests.support.people import PageClient, People
from tests.support.sessions import full_record

pytestmark = pytest.mark.clock("2027-03-10T18:00")

BEFORE = {
    "reference": "RC-0001",
    "first_name": "Robin",
    "date_of_birth": "2016-03-01",
    "placement_type": "foster",
    "gender": "boy_or_man",
    "ethnicity": "white_british",
    "languages": ["english"],
    "interests": ["chess"],
    "preferences": {"mentor_gender": "boy_or_man", "same_ethnicity": True, "notes": "Quiet"},
    "consent_given_by": "Social worker",
    "consent_given_on": "2026-09-01",
}
AFTER = {
    "reference": "RC-0002",
    "first_name": "Robyn",
    "date_of_birth": "2016-04-02",
    "placement_type": "kinship",
    "gender": "girl_or_woman",
    "ethnicity": "other",
    "ethnicity_other": "Kurdish",
    "languages": ["english", "welsh"],
    "interests": ["chess", "football"],
    "preferences": {"mentor_gender": "girl_or_woman", "notes": "Likes music"},
    "consent_given_by": "Kinship carer",
    "consent_given_on": "2026-10-01",
}


def child_updates(db: Session, child_id: int) -> list[AuditEvent]:
    return audit_events(db, entity="child", entity_id=child_id, action="update")


def test_an_api_correction_keeps_every_fields_old_and_new_value(
    db: Session, lead_api: TestClient, make_child: MakeChild
) -> None:
    child = make_child(**BEFORE)
    response = lead_api.patch(f"/api/v1/children/{child['id']}", json=AFTER)
    assert response.status_code == 200, response.text
    (event,) = child_updates(db, child["id"])
    changes = event.changes
    for field in (
        "reference",
        "first_name",
        "date_of_birth",
        "placement_type",
        "gender",
        "ethnicity",
        "languages",
        "interests",
        "consent_given_by",
        "consent_given_on",
    ):
        assert changes[field] == [BEFORE[field], AFTER[field]], field
    assert changes["ethnicity_other"] == [None, "Kurdish"]
    assert changes["preferences"] == [child["preferences"], response.json()["preferences"]]
    assert changes["preferences"][0]["notes"] == "Quiet"
    assert "updated_at" not in changes


def test_a_page_correction_keeps_the_old_and_new_value(
    db: Session, lead_pages: PageClient, make_child: MakeChild
) -> None:
    child = make_child(reference="RC-0010", first_name="Sam", placement_type="foster")
    form = {
        "reference": "RC-0011",
        "first_name": "Samir",
        "date_of_birth-day": "1",
        "date_of_birth-month": "3",
        "date_of_birth-year": "2016",
        "placement_type": "residential",
        "gender": "boy_or_man",
        "ethnicity": "",
        "interests": "",
        "mentor_gender": "",
        "same_ethnicity": "any",
        "notes": "",
        "consent_given_by": "Social worker",
        "consent_given_on-day": "1",
        "consent_given_on-month": "9",
        "consent_given_on-year": "2026",
        "csrf_token": lead_pages.csrf_token,
    }
    response = lead_pages.post(f"/children/{child['id']}", data=form)
    assert response.status_code == 303, response.text[:500]
    (event,) = child_updates(db, child["id"])
    assert event.changes["reference"] == ["RC-0010", "RC-0011"]
    assert event.changes["first_name"] == ["Sam", "Samir"]
    assert event.changes["placement_type"] == ["foster", "residential"]
    assert "date_of_birth" not in event.changes  # unchanged: not in the trail
    # The trail page reads it as people do: old, then new.
    trail = text_of(lead_pages.get(f"/audit?entity=child&entity_id={child['id']}").text)
    assert "First name: Sam → changed to Samir" in trail
    assert "Reference: RC-0010 → changed to RC-0011" in trail


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"first_name": None}, 422),
        ({"date_of_birth": "2026-01-01"}, 422),  # too young
        ({"reference": "RC-TAKEN"}, 409),
        ({"consent_given_on": "2027-03-11"}, 422),  # tomorrow
    ],
)
def test_a_refused_correction_changes_and_audits_nothing(
    db: Session, lead_api: TestClient, make_child: MakeChild, body: dict[str, Any], status: int
) -> None:
    make_child(reference="RC-TAKEN")
    child = make_child(**BEFORE)
    response = lead_api.patch(f"/api/v1/children/{child['id']}", json=body)
    assert response.status_code == status, response.text
    assert child_updates(db, child["id"]) == []
    assert lead_api.get(f"/api/v1/children/{child['id']}").json() == child


def test_a_life_event_correction_keeps_old_and_new_but_not_the_note(
    db: Session, lead_api: TestClient, make_child: MakeChild
) -> None:
    child = make_child()
    url = f"/api/v1/children/{child['id']}/events"
    made = lead_api.post(url, json={"kind": "placement_move", "date": "2027-01-05", "note": "A"})
    assert made.status_code == 201, made.text
    response = lead_api.patch(
        f"{url}/{made.json()['id']}",
        json={"kind": "school_exclusion", "date": "2027-01-06", "note": "B"},
    )
    assert response.status_code == 200, response.text
    (event,) = audit_events(db, entity="life_event", action="update")
    assert event.changes["kind"] == ["placement_move", "school_exclusion"]
    assert event.changes["date"] == ["2027-01-05", "2027-01-06"]
    assert event.changes["note"] == "changed"


def test_a_register_correction_keeps_the_childs_old_and_new_entry(
    db: Session, lead_api: TestClient, people: People, programme: Programme
) -> None:
    session = lead_api.get(f"/api/v1/cohorts/{programme.cohort['id']}/sessions").json()[0]
    url = f"/api/v1/sessions/{session['id']}/record"
    session = lead_api.get(f"/api/v1/sessions/{session['id']}").json()
    first = lead_api.put(url, json=full_record(session, [people.facilitator.id]))
    assert first.status_code == 200, first.text
    corrected = lead_api.put(
        url, json=full_record(session, [people.facilitator.id], absent=1, version=2)
    )
    assert corrected.status_code == 200, corrected.text
    (event,) = audit_events(db, entity="session", action="correct")
    old, new = event.changes["attendance"]
    child_id = session["roster"][0]["child_id"]
    (was,) = [row for row in old if row["child_id"] == child_id]
    (now,) = [row for row in new if row["child_id"] == child_id]
    assert (was["status"], now["status"]) == ("present", "absent")


def test_a_visit_correction_keeps_old_and_new(db: Session, mentees: Mentees) -> None:
    day = mentees.today - dt.timedelta(days=2)
    visit = mentees.visit(mentees.amira_match, day, "10:00", "completed", summary="Park")
    response = mentees.mentor_api.patch(
        f"/api/v1/visits/{visit['id']}",
        json={"version": visit["version"], "duration_minutes": 90, "summary": "Park and cafe"},
    )
    assert response.status_code == 200, response.text
    (event,) = audit_events(db, entity="visit", action="update")
    assert event.changes["minutes"] == [60, 90]
    assert event.changes["summary"] == "changed"
