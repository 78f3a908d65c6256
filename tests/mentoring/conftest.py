"""Mentoring fixtures: ready mentors, a running programme (a cohort that started eight
weeks before the test's today, so there are lessons to record and weeks left to plan visits
in), matches, recorded sessions and row counts. Today is the clock fixture's (Europe/London)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.audit.models import AuditEvent
from app.auth.models import Role, User
from tests.cohorts.conftest import count_rows, make_child, second_facilitator  # noqa: F401
from tests.conftest import People
from tests.support.clock import Clock

DAY = dt.timedelta(days=1)
LONDON = ZoneInfo("Europe/London")
WEEK = dt.timedelta(weeks=1)


def ready_checks(today: dt.date) -> dict[str, Any]:
    return {
        "dbs_checked_on": (today - 200 * DAY).isoformat(),
        "barred_list_checked": True,
        "references_checked": True,
        "interviewed_on": (today - 190 * DAY).isoformat(),
        "training_completed_on": (today - 180 * DAY).isoformat(),
    }


def audit_count(db: Session, action: str | None = None, entity: str | None = None) -> int:
    stmt = select(func.count()).select_from(AuditEvent)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if entity is not None:
        stmt = stmt.where(AuditEvent.entity == entity)
    return int(db.exec(stmt).one())


@pytest.fixture
def today(clock: Clock) -> dt.date:
    """Today where organisation A is (Europe/London), as the API sees it."""
    return clock.today


MakeMentor = Callable[..., dict[str, Any]]


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
        return response.json()  # type: ignore[no-any-return]

    return make


def mentor_user(db: Session, mentor: dict[str, Any]) -> User:
    user = db.get(User, mentor["user_id"])
    assert user is not None
    return user


@dataclass
class Programme:
    cohort: dict[str, Any]
    children: list[dict[str, Any]]
    start: dt.date

    def sessions(self, api: TestClient) -> list[dict[str, Any]]:
        rows = api.get(f"/api/v1/cohorts/{self.cohort['id']}/sessions").json()
        return [s for s in rows if s["status"] != "cancelled"]

    def past_sessions(self, api: TestClient, today: dt.date) -> list[dict[str, Any]]:
        return [s for s in self.sessions(api) if s["date"] <= today.isoformat()]

    def last_date(self, api: TestClient) -> dt.date:
        return max(dt.date.fromisoformat(s["date"]) for s in self.sessions(api))


@pytest.fixture
def programme(
    lead_api: TestClient,
    people: People,
    second_facilitator: User,  # noqa: F811
    curriculum_id: int,
    make_child: Callable[..., dict[str, Any]],  # noqa: F811
    today: dt.date,
) -> Programme:
    """A Monday 16:00-17:30 group that started eight weeks ago, with four children."""
    start = today - today.weekday() * DAY - 8 * WEEK
    response = lead_api.post(
        "/api/v1/cohorts",
        json={
            "name": "Monday group",
            "curriculum_id": curriculum_id,
            "start_date": start.isoformat(),
            "start_time": "16:00",
            "duration_minutes": 90,
            "venue": "Community hall",
            "facilitator_ids": [people.facilitator.id, second_facilitator.id],
        },
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


def make_match(
    api: TestClient, child_id: int, mentor_id: int, start: dt.date, **extra: Any
) -> dict[str, Any]:
    response = api.post(
        "/api/v1/matches",
        json={
            "child_id": child_id,
            "mentor_id": mentor_id,
            "start_date": start.isoformat(),
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def record(
    api: TestClient, session_id: int, facilitator_id: int, *, absent: tuple[int, ...] = ()
) -> dict[str, Any]:
    """Record a session (everyone present except `absent`, every activity delivered);
    returns the session as it was read before, with its lesson."""
    session = api.get(f"/api/v1/sessions/{session_id}").json()
    body = {
        "version": session["version"],
        "facilitators_present": [facilitator_id],
        "attendance": [
            {
                "child_id": c["child_id"],
                "status": "absent" if c["child_id"] in absent else "present",
            }
            for c in session["roster"]
        ],
        "coverage": [
            {"activity_id": a["id"], "status": "delivered"} for a in session["lesson"]["activities"]
        ],
    }
    response = api.put(f"/api/v1/sessions/{session_id}/record", json=body)
    assert response.status_code == 200, response.text
    return session  # type: ignore[no-any-return]


@pytest.fixture
def evening(clock: Clock) -> None:
    """Late on the test's day (23:45 in London): a visit logged today as completed or missed
    has ended by then, as it must have before it can be logged."""
    clock.move_to(dt.datetime.combine(clock.today, dt.time(23, 45), tzinfo=LONDON))


@contextmanager
def earlier_today(clock: Clock, hour: int, minute: int = 0) -> Iterator[None]:
    """Step back to a time earlier on the test's day (to plan a visit for later that day,
    say), then return to where the clock was."""
    was = clock.now
    clock.move_to(dt.datetime.combine(clock.today, dt.time(hour, minute), tzinfo=LONDON))
    try:
        yield
    finally:
        clock.move_to(was)
