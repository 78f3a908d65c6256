"""Mentoring through the API: a mentor's checks, a running programme (a cohort that started
eight weeks before the test's today, so there are lessons to record and weeks left to plan
visits in), matches and recorded sessions. Today is the clock fixture's (Europe/London).
The fixtures that build them (make_mentor, programme) are in tests/support/fixtures.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
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
    api: TestClient, session_id: int, facilitator_id: int, *, absent: tuple[int, ...] = ()
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
