"""Fixtures every directory of the suite may use (a pytest plugin, listed in tests/conftest.py's
`pytest_plugins`): the people of two organisations and clients signed in as them, children, a
cohort with its sessions, ready mentors, a running programme and people.mentor's mentees. A
directory's own fixtures stay in its conftest.py; the classes and helpers they build with are
beside this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role, User
from tests.support.clock import Clock
from tests.support.mentoring import (
    DAY,
    WEEK,
    MakeMentor,
    Mentees,
    Programme,
    first_monday_for,
    ready_checks,
    ready_profile,
    record,
)
from tests.support.people import PageClient, People, Signed

MakeChild = Callable[..., dict[str, Any]]  # the make_child fixture: a child, through the API

# The cohort fixture's first session: a Monday in September 2026.
MONDAY = dt.date(2026, 9, 7)


# People ------------------------------------------------------------------------------------


@pytest.fixture
def people(db: Session) -> People:
    return People(db)


@pytest.fixture
def signed(app: FastAPI, db: Session) -> Iterator[Signed]:
    helper = Signed(app, db)
    yield helper
    helper.close()


@pytest.fixture
def lead_api(signed: Signed, people: People) -> TestClient:
    return signed.api(people.lead)


@pytest.fixture
def lead_pages(signed: Signed, people: People) -> PageClient:
    return signed.pages(people.lead)


@pytest.fixture
def admin_api(signed: Signed, people: People) -> TestClient:
    return signed.api(people.admin)


@pytest.fixture
def admin_pages(signed: Signed, people: People) -> PageClient:
    return signed.pages(people.admin)


# Children and cohorts ----------------------------------------------------------------------


@pytest.fixture
def second_facilitator(people: People) -> User:
    user = people.add(
        Role.facilitator, email="facilitator2@org-a.example.org", name="Second Facilitator"
    )
    people.db.commit()
    return user


@pytest.fixture
def make_child(lead_api: TestClient) -> MakeChild:
    """`make_child(**overrides)`: a new child of organisation A, as the API returns it."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> dict[str, Any]:
        n = next(counter)
        body = {
            "reference": f"CH-{n:04d}",
            "first_name": f"Child{n}",
            "date_of_birth": "2016-03-01",
            "placement_type": "foster",
            "consent_given_by": "Social worker",
            "consent_given_on": "2026-09-01",
            **overrides,
        }
        response = lead_api.post("/api/v1/children", json=body)
        assert response.status_code == 201, response.text
        child: dict[str, Any] = response.json()
        return child

    return make


@pytest.fixture
def cohort_body(people: People, second_facilitator: User, curriculum_id: int) -> dict[str, Any]:
    return {
        "name": "Monday group",
        "curriculum_id": curriculum_id,
        "start_date": MONDAY.isoformat(),
        "start_time": "16:00",
        "duration_minutes": 90,
        "venue": "Community hall",
        "facilitator_ids": [people.facilitator.id, second_facilitator.id],
    }


@pytest.fixture
def cohort(lead_api: TestClient, cohort_body: dict[str, Any]) -> dict[str, Any]:
    """The Monday group (cohort_body), created through the API, with its sessions."""
    response = lead_api.post("/api/v1/cohorts", json=cohort_body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# Mentoring ---------------------------------------------------------------------------------


@pytest.fixture
def today(clock: Clock) -> dt.date:
    """Today where organisation A is (Europe/London), as the API sees it."""
    return clock.today


@pytest.fixture
def make_mentor(people: People, lead_api: TestClient, today: dt.date) -> MakeMentor:
    """A new mentor user with a ready profile (override any field of the profile)."""
    counter = iter(range(1, 1000))

    def make(*, name: str | None = None, **overrides: Any) -> dict[str, Any]:
        n = next(counter)
        user = people.add(
            Role.mentor, email=f"mentor{n}@org-a.example.org", name=name or f"Mentor {n:02d}"
        )
        people.db.commit()
        body = {"user_id": user.id, **ready_checks(today), **overrides}
        response = lead_api.post("/api/v1/mentors", json=body)
        assert response.status_code == 201, response.text
        mentor: dict[str, Any] = response.json()
        return mentor

    return make


@pytest.fixture
def programme(
    lead_api: TestClient,
    cohort_body: dict[str, Any],
    make_child: MakeChild,
    today: dt.date,
) -> Programme:
    """A Monday 16:00-17:30 group that started eight weeks ago, with four children."""
    start = today - today.weekday() * DAY - 8 * WEEK
    response = lead_api.post(
        "/api/v1/cohorts", json={**cohort_body, "start_date": start.isoformat()}
    )
    assert response.status_code == 201, response.text
    cohort = response.json()
    children = []
    for _ in range(4):
        child = make_child()
        enrolled = lead_api.post(
            f"/api/v1/cohorts/{cohort['id']}/enrolments",
            json={"child_id": child["id"], "start_date": start.isoformat()},
        )
        assert enrolled.status_code == 201, enrolled.text
        children.append(child)
    return Programme(cohort, children, start)


@pytest.fixture
def mentees(
    db: Session,
    people: People,
    signed: Signed,
    lead_api: TestClient,
    cohort_body: dict[str, Any],
    make_child: MakeChild,
    clock: Clock,
) -> Mentees:
    """A Monday group that started ten or more weeks ago (its first two Mondays open), and
    people.mentor matched with Amira and Ben from its first session."""
    first_monday = first_monday_for(clock.today)
    response = lead_api.post(
        "/api/v1/cohorts", json={**cohort_body, "start_date": first_monday.isoformat()}
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
