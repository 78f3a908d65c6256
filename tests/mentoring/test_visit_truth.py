"""Nothing is recorded before it happens (issue 12, point 3), for visits: `completed` or
`missed` only once the visit's end has passed, and a completed visit never during the
child's own group session. Through the API and the mentor's page; each refusal a 422 that
says what to do, and changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.cohorts.schedule import public_holidays
from app.config import get_settings
from app.mentoring.models import MentorVisit
from tests.support.clock import Clock
from tests.support.mentoring import Caseload, Mentees, Programme, visit_form
from tests.support.pages import post
from tests.support.people import People, Signed
from tests.support.rows import audit_count, count_rows

LONDON = ZoneInfo("Europe/London")
DAY = dt.timedelta(days=1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def visit(match_id: int, day: dt.date, start: str | None, status: str, **over: Any) -> Any:
    return {
        "match_id": match_id,
        "date": day.isoformat(),
        "start_time": start,
        "duration_minutes": 60,
        "status": status,
        **over,
    }


@pytest.fixture(autouse=True)
def _a_whole_day_signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests move the clock to times of the test's day, up to a day from when their
    people signed in (at 01:30 on some awkward days): sessions and tokens outlast that."""
    monkeypatch.setenv("TANDEM_TOKEN_HOURS", "48")
    monkeypatch.setenv("TANDEM_SESSION_ABSOLUTE_HOURS", "48")
    monkeypatch.setenv("TANDEM_SESSION_IDLE_MINUTES", "1440")
    get_settings.cache_clear()


def state(db: Session) -> tuple[int, int]:
    return count_rows(db, MentorVisit), audit_count(db)


@pytest.mark.parametrize("status", ["completed", "missed"])
def test_a_visit_is_logged_as_it_went_only_once_it_has_ended(
    caseload: Caseload,
    clock: Clock,
    db: Session,
    status: str,
) -> None:
    today = clock.today
    match = caseload.matches[0]["id"]
    clock.move_to(at(today, 10, 30))
    before = state(db)
    early = caseload.api.post("/api/v1/visits", json=visit(match, today, "10:00", status))
    assert early.status_code == 422
    assert early.json()["errors"] == [
        {
            "loc": ["body", "start_time"],
            "msg": f"This visit ends at 11am: record it as {status} once it has ended, "
            "or plan it for today",
        }
    ]
    # No start time: on its own day, nobody can tell whether it has ended.
    unknown = caseload.api.post("/api/v1/visits", json=visit(match, today, None, status))
    assert unknown.status_code == 422
    assert "Give the time today's visit started" in unknown.json()["errors"][0]["msg"]
    assert state(db) == before
    clock.move_to(at(today, 11, 0))
    assert (
        caseload.api.post("/api/v1/visits", json=visit(match, today, "10:00", status)).status_code
        == 201
    )
    # Yesterday's needs no start time.
    assert (
        caseload.api.post(
            "/api/v1/visits", json=visit(match, today - DAY, None, status)
        ).status_code
        == 201
    )


def test_a_planned_visit_is_recorded_as_completed_only_after_its_end(
    caseload: Caseload,
    clock: Clock,
    db: Session,
) -> None:
    today = clock.today
    clock.move_to(at(today, 9, 0))
    planned = caseload.api.post(
        "/api/v1/visits", json=visit(caseload.matches[0]["id"], today, "12:00", "planned")
    )
    assert planned.status_code == 201, planned.text
    vid = planned.json()["id"]
    clock.move_to(at(today, 12, 59))
    early = caseload.api.patch(f"/api/v1/visits/{vid}", json={"status": "completed"})
    assert early.status_code == 422
    assert "ends at 1pm" in early.json()["detail"]
    db.expire_all()
    stored = db.get(MentorVisit, vid)
    assert stored is not None
    assert stored.status.value == "planned"
    clock.move_to(at(today, 13, 1))
    done = caseload.api.patch(f"/api/v1/visits/{vid}", json={"status": "completed"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"


def test_a_completed_visit_cannot_overlap_the_childs_group_session(
    caseload: Caseload,
    programme: Programme,
    lead_api: TestClient,
    db: Session,
) -> None:
    session = programme.past_sessions(lead_api, dt.date.today())[-1]
    day = dt.date.fromisoformat(session["date"])  # a Monday, 16:00 to 17:30
    before = state(db)
    clash = caseload.api.post(
        "/api/v1/visits", json=visit(caseload.matches[0]["id"], day, "17:00", "completed")
    )
    assert clash.status_code == 422
    message = clash.json()["errors"][0]["msg"]
    assert clash.json()["errors"][0]["loc"] == ["body", "start_time"]
    assert "group session of Monday group (16:00 to 17:30)" in message
    assert f"{day:%A} {day.day} {day:%B %Y}" in message
    assert state(db) == before
    # A missed visit took none of the child's time; a completed one after the group is fine.
    for body in (
        visit(caseload.matches[0]["id"], day, "16:00", "missed"),
        visit(caseload.matches[0]["id"], day, "17:30", "completed"),
    ):
        assert caseload.api.post("/api/v1/visits", json=body).status_code == 201


def test_the_mentors_page_refuses_a_visit_logged_before_its_end(
    signed: Signed,
    people: People,
    mentees: Mentees,
    clock: Clock,
    db: Session,
) -> None:
    pages = signed.pages(people.mentor)
    today = clock.today
    clock.move_to(at(today, 10, 30))
    before = state(db)
    form = visit_form(mentees, today, start_time="10:00", minutes="90")
    response = post(pages, "/visits/new", form)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert 'href="#start_time"' in response.text
    assert "This visit ends at 11:30am: record it as completed once it has ended" in response.text
    assert state(db) == before
    clock.move_to(at(today, 11, 30))
    assert post(pages, "/visits/new", form).status_code == 303


def test_a_visit_is_not_planned_for_a_time_already_past(
    caseload: Caseload,
    clock: Clock,
    db: Session,
) -> None:
    today = clock.today
    match = caseload.matches[0]["id"]
    clock.move_to(at(today, 19, 30))
    before = state(db)
    late = caseload.api.post("/api/v1/visits", json=visit(match, today, "19:00", "planned"))
    assert late.status_code == 422
    assert late.json()["errors"] == [
        {
            "loc": ["body", "start_time"],
            "msg": "It is already 7:30pm: plan the visit for a later time, "
            "or record one that has happened as completed or missed",
        }
    ]
    assert state(db) == before
    # Later today, or today with no time yet, is still to come.
    for start in ("20:00", None):
        body = visit(match, today, start, "planned")
        assert caseload.api.post("/api/v1/visits", json=body).status_code == 201


def test_a_weekly_plan_made_after_todays_slot_starts_next_week(
    caseload: Caseload,
    clock: Clock,
    db: Session,
) -> None:
    today = clock.today
    match = caseload.matches[0]["id"]
    clock.move_to(at(today, 9, 0))
    earlier = caseload.api.post("/api/v1/visits", json=visit(match, today, "10:00", "planned"))
    assert earlier.status_code == 201, earlier.text
    clock.move_to(at(today, 19, 30))
    slot = {
        "weekday": today.isoweekday(),
        "duration_minutes": 60,
        "until": (today + 21 * DAY).isoformat(),
    }
    url = f"/api/v1/matches/{match}/visit-plan"
    passed = caseload.api.post(url, json=slot | {"start_time": "19:00"})
    assert passed.status_code == 201, passed.text
    dates = [v["date"] for v in passed.json()["visits"]]
    assert dates
    assert min(dates) > today.isoformat()
    # This morning's planned visit has started: it stays for the mentor to record.
    db.expire_all()
    kept = db.get(MentorVisit, earlier.json()["id"])
    assert kept is not None
    assert kept.status.value == "planned"
    # A slot still to come today is planned today (unless today is a bank holiday).
    coming = caseload.api.post(url, json=slot | {"start_time": "20:00"})
    assert coming.status_code == 201, coming.text
    first = coming.json()["visits"][0]["date"]
    assert (first == today.isoformat()) is (today not in public_holidays("england"))
