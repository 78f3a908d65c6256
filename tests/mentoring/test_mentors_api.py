"""Mentor profiles and safer recruitment: readiness, each missing check named, DBS expiry
at the renewal boundary, and refused input that changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role
from app.mentoring.models import MentorProfile
from app.mentoring.shared import add_years
from tests.support.fixtures import MakeChild
from tests.support.mentoring import DAY, MakeMentor, mentor_user, ready_checks
from tests.support.people import People, Signed
from tests.support.rows import audit_count, count_rows

# Readiness and DBS expiry are counted from today: also run on the awkward days
# (tests/support/clock.py), 29 February among them.
pytestmark = pytest.mark.awkward_days


def test_a_ready_mentor_is_listed_and_reads_their_own_profile(
    lead_api: TestClient,
    signed: Signed,
    people: People,
    db: Session,
    make_mentor: MakeMentor,
    today: dt.date,
) -> None:
    events = audit_count(db, "create", "mentor_profile")
    mentor = make_mentor(
        name="Alex Mentor",
        gender="girl_or_woman",
        languages=["english", "polish"],
        interests=["football"],
        care_experience=True,
        availability="Saturdays",
        about="I love football",
        max_caseload=3,
    )
    assert mentor["ready"] is True
    assert mentor["missing"] == []
    checked = dt.date.fromisoformat(ready_checks(today)["dbs_checked_on"])
    assert mentor["dbs_expires_on"] == add_years(checked, 3).isoformat()
    assert mentor["max_caseload"] == 3
    assert mentor["active_matches"] == 0
    assert mentor["languages"] == ["english", "polish"]
    assert audit_count(db, "create", "mentor_profile") == events + 1

    listed = lead_api.get("/api/v1/mentors").json()
    assert [m["user_id"] for m in listed] == [mentor["user_id"]]
    assert lead_api.get(f"/api/v1/mentors/{mentor['user_id']}").json() == mentor

    own = signed.api(mentor_user(db, mentor))
    assert own.get(f"/api/v1/mentors/{mentor['user_id']}").json()["name"] == "Alex Mentor"
    other = make_mentor()
    assert own.get(f"/api/v1/mentors/{other['user_id']}").status_code == 404
    assert own.get("/api/v1/mentors").status_code == 403


def test_each_missing_check_is_named_until_the_mentor_is_ready(
    lead_api: TestClient, make_mentor: MakeMentor, today: dt.date
) -> None:
    mentor = make_mentor(
        barred_list_checked=False,
        references_checked=False,
        interviewed_on=None,
        training_completed_on=None,
    )
    assert mentor["ready"] is False
    assert mentor["missing"] == [
        "the barred-list check",
        "two references",
        "an interview",
        "the mentor training",
    ]
    url = f"/api/v1/mentors/{mentor['user_id']}"
    steps = [
        ({"barred_list_checked": True}, ["two references", "an interview", "the mentor training"]),
        ({"references_checked": True}, ["an interview", "the mentor training"]),
        ({"interviewed_on": (today - DAY).isoformat()}, ["the mentor training"]),
        ({"training_completed_on": today.isoformat()}, []),
    ]
    for change, missing in steps:
        response = lead_api.patch(url, json=change)
        assert response.status_code == 200, response.text
        assert response.json()["missing"] == missing
    assert lead_api.get(url).json()["ready"] is True
    # Taking the DBS date away names that check.
    cleared = lead_api.patch(url, json={"dbs_checked_on": None}).json()
    assert cleared["missing"] == ["an enhanced DBS check"]
    assert cleared["ready"] is False


def test_the_dbs_check_runs_out_at_the_end_of_the_renewal_period(
    lead_api: TestClient, signed: Signed, people: People, make_mentor: MakeMentor, today: dt.date
) -> None:
    expired_today = add_years(today, -3)
    old = make_mentor(dbs_checked_on=expired_today.isoformat())
    assert old["ready"] is False
    # Three years on from the check: today, or 28 February when today is the 29th (no day
    # three years back runs out on a 29 February: that check ran out yesterday).
    leap_day = (today.month, today.day) == (2, 29)
    assert old["dbs_expires_on"] == (today - DAY if leap_day else today).isoformat()
    assert len(old["missing"]) == 1
    assert old["missing"][0].startswith("a new DBS check (the last one ran out on")

    current = make_mentor(dbs_checked_on=(expired_today + DAY).isoformat())
    assert current["ready"] is True
    assert current["dbs_expires_on"] == (today + DAY).isoformat()

    # The organisation's renewal period is a setting: four years makes the old check current.
    admin = signed.api(people.admin)
    assert admin.patch("/api/v1/organisation", json={"dbs_renewal_years": 4}).status_code == 200
    renewed = lead_api.get(f"/api/v1/mentors/{old['user_id']}").json()
    assert renewed["ready"] is True
    assert renewed["dbs_expires_on"] == add_years(expired_today, 4).isoformat()


def test_check_dates_in_the_future_are_refused_and_change_nothing(
    lead_api: TestClient, people: People, db: Session, make_mentor: MakeMentor, today: dt.date
) -> None:
    user = people.add(Role.mentor, email="future@org-a.example.org")
    db.commit()
    profiles, events = count_rows(db, MentorProfile), audit_count(db)
    tomorrow = (today + DAY).isoformat()
    response = lead_api.post(
        "/api/v1/mentors",
        json={"user_id": user.id, **ready_checks(today), "dbs_checked_on": tomorrow},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "dbs_checked_on"]
    assert (count_rows(db, MentorProfile), audit_count(db)) == (profiles, events)

    mentor = make_mentor()
    url = f"/api/v1/mentors/{mentor['user_id']}"
    before = lead_api.get(url).json()
    events = audit_count(db)
    for field in ("dbs_checked_on", "interviewed_on", "training_completed_on"):
        refused = lead_api.patch(url, json={field: tomorrow})
        assert refused.status_code == 422, field
        assert refused.json()["errors"][0]["loc"] == ["body", field]
    assert lead_api.get(url).json() == before
    assert audit_count(db) == events


def test_a_profile_only_for_a_mentor_of_this_organisation_once(
    lead_api: TestClient, people: People, db: Session, make_mentor: MakeMentor, today: dt.date
) -> None:
    mentor = make_mentor()
    profiles, events = count_rows(db, MentorProfile), audit_count(db)
    for user_id, status in (
        (people.facilitator.id, 422),  # not a mentor
        (people.lead.id, 422),
        (people.other_lead.id, 422),  # another organisation's user
        (2**31 - 1, 422),  # nobody
        (mentor["user_id"], 409),  # already has a profile
    ):
        response = lead_api.post(
            "/api/v1/mentors", json={"user_id": user_id, **ready_checks(today)}
        )
        assert response.status_code == status, (user_id, response.text)
        assert response.json()["detail"]
    assert (count_rows(db, MentorProfile), audit_count(db)) == (profiles, events)
    assert lead_api.post("/api/v1/mentors", json={"user_id": people.mentor.id}).status_code == 422


def test_another_organisation_sees_no_mentors(
    signed: Signed, people: People, make_mentor: MakeMentor
) -> None:
    mentor = make_mentor()
    other = signed.api(people.other_lead)
    assert other.get("/api/v1/mentors").json() == []
    assert other.get(f"/api/v1/mentors/{mentor['user_id']}").status_code == 404
    assert (
        other.patch(f"/api/v1/mentors/{mentor['user_id']}", json={"about": "x"}).status_code == 404
    )


def test_caseload_cannot_go_below_the_active_matches(
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    mentor = make_mentor(max_caseload=2)
    for _ in range(2):
        child = make_child()
        response = lead_api.post(
            "/api/v1/matches",
            json={
                "child_id": child["id"],
                "mentor_id": mentor["user_id"],
                "start_date": today.isoformat(),
            },
        )
        assert response.status_code == 201, response.text
    url = f"/api/v1/mentors/{mentor['user_id']}"
    refused = lead_api.patch(url, json={"max_caseload": 1})
    assert refused.status_code == 422
    assert "2 active mentees" in refused.json()["detail"]
    assert lead_api.get(url).json()["max_caseload"] == 2
    assert lead_api.get(url).json()["active_matches"] == 2
    assert lead_api.patch(url, json={"max_caseload": 3}).json()["max_caseload"] == 3
