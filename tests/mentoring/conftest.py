"""Mentoring's own fixtures: the evening, a mentor's caseload of programme children, and
people.mentor's mentees. The fixtures every directory shares (today, make_mentor, programme)
are in tests/support/fixtures.py, the classes and helpers in tests/support/mentoring.py."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from tests.support.clock import LONDON, Clock
from tests.support.fixtures import MakeChild
from tests.support.mentoring import (
    Caseload,
    MakeMentor,
    Mentees,
    Programme,
    first_monday_for,
    make_match,
    mentor_user,
    ready_profile,
    record,
)
from tests.support.people import People, Signed


@pytest.fixture
def evening(clock: Clock) -> None:
    """Late on the test's day (23:45 in London): a visit logged today as completed or missed
    has ended by then, as it must have before it can be logged."""
    clock.move_to(dt.datetime.combine(clock.today, dt.time(23, 45), tzinfo=LONDON))


@pytest.fixture
def caseload(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
) -> Caseload:
    mentor = make_mentor(name="Jo Mentor")
    other = make_mentor(name="Sam Mentor")
    matches = [
        make_match(lead_api, child["id"], mentor["user_id"], programme.start)
        for child in programme.children[:2]
    ]
    other_match = make_match(
        lead_api, programme.children[2]["id"], other["user_id"], programme.start
    )
    return Caseload(
        mentor,
        signed.api(mentor_user(db, mentor)),
        matches,
        other,
        signed.api(mentor_user(db, other)),
        other_match,
    )


@pytest.fixture
def mentees(
    db: Session,
    people: People,
    signed: Signed,
    lead_api: TestClient,
    second_facilitator: User,
    curriculum_id: int,
    make_child: MakeChild,
    clock: Clock,
) -> Mentees:
    """A Monday group that started ten or more weeks ago (its first two Mondays open), and
    people.mentor matched with Amira and Ben from its first session."""
    first_monday = first_monday_for(clock.today)
    response = lead_api.post(
        "/api/v1/cohorts",
        json={
            "name": "Monday group",
            "curriculum_id": curriculum_id,
            "start_date": first_monday.isoformat(),
            "start_time": "16:00",
            "duration_minutes": 90,
            "venue": "Community hall",
            "facilitator_ids": [people.facilitator.id, second_facilitator.id],
        },
    )
    assert response.status_code == 201, response.text
    cohort = response.json()
    today = clock.today
    amira, ben = make_child(first_name="Amira"), make_child(first_name="Ben")
    for child in (amira, ben):
        response = lead_api.post(
            f"/api/v1/cohorts/{cohort['id']}/enrolments",
            json={"child_id": child["id"], "start_date": first_monday.isoformat()},
        )
        assert response.status_code == 201, response.text
    response = lead_api.post("/api/v1/mentors", json=ready_profile(people.mentor.id or 0, today))
    assert response.status_code == 201, response.text
    assert response.json()["ready"] is True
    matches = []
    for child in (amira, ben):
        response = lead_api.post(
            "/api/v1/matches",
            json={
                "child_id": child["id"],
                "mentor_id": people.mentor.id,
                "start_date": first_monday.isoformat(),
            },
        )
        assert response.status_code == 201, response.text
        matches.append(response.json()["id"])
    record(lead_api, cohort["sessions"][0]["id"], people.facilitator.id or 0, absent={ben["id"]})
    return Mentees(
        today,
        first_monday,
        cohort,
        amira,
        ben,
        matches[0],
        matches[1],
        lead_api,
        signed.api(people.mentor),
        clock,
    )
