"""Mentoring through the API: a mentor's checks, a running programme (a cohort that started
eight weeks before the test's today, so there are lessons to record and weeks left to plan
visits in), a mentor's caseload and mentees, matches and recorded sessions; the mentor's
visit form. Today is the clock fixture's (Europe/London). The fixtures that build them are
in tests/support/fixtures.py (make_mentor, programme, mentees) and tests/mentoring/conftest.py
(caseload)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.auth.models import User
from app.cohorts.schedule import ClosedDays
from app.sessions.models import PracticeAssignment
from tests.support.clock import LONDON, Clock

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(weeks=1)

MakeMentor = Callable[..., dict[str, Any]]  # the make_mentor fixture: a ready mentor


def ready_checks(today: dt.date) -> dict[str, Any]:
    """A mentor profile's safer-recruitment checks, every one done and in date."""
    return {
        "dbs_checked_on": (today - 200 * DAY).isoformat(),
        "barred_list_checked": True,
        "references_checked": True,
        "interviewed_on": (today - 190 * DAY).isoformat(),
        "training_completed_on": (today - 180 * DAY).isoformat(),
    }


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


@dataclass
class Caseload:
    """One mentor with two mentees from the programme, and a second mentor with a third."""

    mentor: dict[str, Any]
    api: TestClient  # signed in as the mentor
    matches: list[dict[str, Any]]
    other_mentor: dict[str, Any]
    other_api: TestClient
    other_match: dict[str, Any]


@dataclass
class Mentees:
    """people.mentor matched with two children of a cohort whose first session is recorded:
    Amira was there, Ben missed it."""

    today: dt.date
    first: dt.date  # the cohort's first session, a Monday
    cohort: dict[str, Any]
    amira: dict[str, Any]
    ben: dict[str, Any]
    amira_match: int
    ben_match: int
    lead_api: TestClient
    mentor_api: TestClient
    clock: Clock

    def tasks(self, db: Session, child: dict[str, Any]) -> list[PracticeAssignment]:
        return list(
            db.exec(
                select(PracticeAssignment)
                .where(PracticeAssignment.child_id == child["id"])
                .order_by(col(PracticeAssignment.id))
            ).all()
        )

    def visit(self, match_id: int, day: dt.date, start: str, status: str, **more: Any) -> Any:
        body = {
            "match_id": match_id,
            "date": day.isoformat(),
            "start_time": start,
            "duration_minutes": more.pop("minutes", 60),
            "status": status,
            **more,
        }
        if status == "planned" and day == self.clock.today:
            # Planned in the morning, for later that day (the tests run late in the day).
            with earlier_today(self.clock, 9):
                response = self.mentor_api.post("/api/v1/visits", json=body)
        else:
            response = self.mentor_api.post("/api/v1/visits", json=body)
        assert response.status_code == 201, response.text
        return response.json()


def first_monday_for(today: dt.date) -> dt.date:
    """The cohort's first session (16:00 to 17:30): a Monday ten or more weeks before today,
    open, and so is the Monday after it (the cohort's first two sessions are a week apart)."""
    closed = ClosedDays("england")
    monday = today - dt.timedelta(days=today.weekday()) - 10 * WEEK
    while monday in closed or monday + WEEK in closed:
        monday -= WEEK
    return monday


def ready_profile(user_id: int, today: dt.date) -> dict[str, Any]:
    """A ready mentor profile for the user, the checks done 40 to 60 days before today."""
    return {
        "user_id": user_id,
        "dbs_checked_on": (today - dt.timedelta(days=60)).isoformat(),
        "barred_list_checked": True,
        "references_checked": True,
        "interviewed_on": (today - dt.timedelta(days=50)).isoformat(),
        "training_completed_on": (today - dt.timedelta(days=40)).isoformat(),
    }


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
    match: dict[str, Any] = response.json()
    return match


def record(
    api: TestClient, session_id: int, facilitator_id: int | None, *, absent: Collection[int] = ()
) -> dict[str, Any]:
    """Record a session (everyone present except `absent`, every activity delivered);
    returns the session as it was read before, with its lesson."""
    session: dict[str, Any] = api.get(f"/api/v1/sessions/{session_id}").json()
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
    return session


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


def date_form(name: str, day: dt.date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def visit_form(mentees: Mentees, day: dt.date, **over: str) -> dict[str, str]:
    form = {
        "match_id": str(mentees.amira_match),
        **date_form("date", day),
        "start_time": "10:00",
        "minutes": "90",
        "minutes_other": "",
        "status": "completed",
        "summary": "Went to the park and practised asking for help.",
    }
    form.update(over)
    return form


# Issue 19: a second programme beside FHF-PT ------------------------------------------------

# An Independent Visitor service as the mentee tests set it up (open-ended, monthly band).
IV_BODY = {
    "name": "Independent Visitors",
    "kind": "independent_visitor",
    "caseload_max": 4,
    "visit_band": {"per": "month", "min_hours": 1, "max_hours": 8},
    "age_min": 5,
    "age_max": 18,
    "match_length_months": None,
}
# An Independent Visitor is matched only with the child's agreement (when and how).
AGREED = {"child_agreed_on": "2026-11-30", "child_agreed_how": "asked their social worker"}


def programme_ids(admin_api: TestClient, **iv: Any) -> tuple[int, int]:
    """(FHF-PT's id, a new Independent Visitor programme's id)."""
    fhf = admin_api.get("/api/v1/programmes").json()
    assert len(fhf) == 1
    made = admin_api.post("/api/v1/programmes", json={**IV_BODY, **iv})
    assert made.status_code == 201, made.text
    return fhf[0]["id"], made.json()["id"]
