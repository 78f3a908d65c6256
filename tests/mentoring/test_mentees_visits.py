"""Visits across programmes (issue 19): one volunteer's visits never overlap, whichever
programme each belongs to; a child is never in two places (their group session); visit plans
for a match without a cohort, weekly or monthly; the visit page without practice tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.cohorts.schedule import ClosedDays
from app.mentoring.visits.planning import monthly_days
from tests.support.fixtures import MakeChild
from tests.support.mentoring import (
    AGREED,
    MakeMentor,
    Programme,
    make_match,
    mentor_user,
    programme_ids,
)
from tests.support.people import Signed

# A Wednesday evening in December 2026.
pytestmark = pytest.mark.clock("2026-12-02T20:00")
TODAY = dt.date(2026, 12, 2)


def body(match_id: int, day: dt.date, start: str, status: str, minutes: int = 60) -> Any:
    return {
        "match_id": match_id,
        "date": day.isoformat(),
        "start_time": start,
        "duration_minutes": minutes,
        "status": status,
    }


def test_a_volunteers_visits_never_overlap_across_programmes(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
    make_child: MakeChild,
) -> None:
    fhf_id, iv_id = programme_ids(admin_api)
    mentor = make_mentor()
    api = signed.api(mentor_user(db, mentor))
    group = make_match(
        lead_api,
        programme.children[0]["id"],
        mentor["user_id"],
        programme.start,
        programme_id=fhf_id,
    )
    iv = make_match(
        lead_api,
        make_child(date_of_birth="2012-01-01")["id"],
        mentor["user_id"],
        dt.date(2026, 6, 1),
        programme_id=iv_id,
        **AGREED,
    )
    thursday = TODAY + dt.timedelta(days=1)
    first = api.post("/api/v1/visits", json=body(group["id"], thursday, "15:00", "planned"))
    assert first.status_code == 201, first.text
    before = api.get(f"/api/v1/visits?match_id={iv['id']}").json()
    clash = api.post("/api/v1/visits", json=body(iv["id"], thursday, "15:30", "planned"))
    assert clash.status_code == 422, clash.text
    assert "overlaps the visit to" in clash.json()["detail"]
    assert api.get(f"/api/v1/visits?match_id={iv['id']}").json() == before
    # And the other way round, recording a visit that happened.
    done = api.post("/api/v1/visits", json=body(iv["id"], TODAY, "10:00", "completed"))
    assert done.status_code == 201, done.text
    again = api.post("/api/v1/visits", json=body(group["id"], TODAY, "10:30", "completed"))
    assert again.status_code == 422, again.text
    # A plan of the Independent Visitor's slot over the group mentee's visit: 409, nothing
    # planned.
    plan = api.post(
        f"/api/v1/matches/{iv['id']}/visit-plan",
        json={
            "weekday": thursday.isoweekday(),
            "start_time": "15:30",
            "duration_minutes": 60,
            "every": "week",
            "until": (thursday + dt.timedelta(days=21)).isoformat(),
        },
    )
    assert plan.status_code == 409, plan.text
    assert "overlaps the visit to" in plan.json()["detail"]
    assert len(api.get(f"/api/v1/visits?match_id={iv['id']}").json()) == 1
    # Back to back is not a clash.
    after = api.post("/api/v1/visits", json=body(iv["id"], thursday, "16:00", "planned"))
    assert after.status_code == 201, after.text


def test_a_child_with_a_group_and_an_independent_visitor_is_never_in_two_places(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
) -> None:
    _, iv_id = programme_ids(admin_api, age_min=9)
    visitor = make_mentor()
    api = signed.api(mentor_user(db, visitor))
    child = programme.children[1]  # in the Monday 16:00-17:30 group
    iv = make_match(
        lead_api, child["id"], visitor["user_id"], programme.start, programme_id=iv_id, **AGREED
    )
    monday = dt.date.fromisoformat(programme.past_sessions(lead_api, TODAY)[-1]["date"])
    during = api.post("/api/v1/visits", json=body(iv["id"], monday, "16:30", "completed"))
    assert during.status_code == 422, during.text
    assert "group session" in during.json()["detail"]
    evening = api.post("/api/v1/visits", json=body(iv["id"], monday, "18:00", "completed"))
    assert evening.status_code == 201, evening.text
    # A plan on the group's evening at the group's time clashes too.
    plan = api.post(
        f"/api/v1/matches/{iv['id']}/visit-plan",
        json={
            "weekday": 1,
            "start_time": "16:00",
            "duration_minutes": 60,
            "every": "week",
            "until": programme.last_date(lead_api).isoformat(),
        },
    )
    assert plan.status_code == 409, plan.text
    assert "group session" in plan.json()["detail"]


def test_a_monthly_plan_for_an_independent_visitor(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
) -> None:
    _, iv_id = programme_ids(admin_api, age_min=9)
    visitor = make_mentor()
    api = signed.api(mentor_user(db, visitor))
    # In the Monday group for FHF-PT too: the visits are planned by the match, not the cohort.
    child = programme.children[2]
    iv = make_match(lead_api, child["id"], visitor["user_id"], TODAY, programme_id=iv_id, **AGREED)
    # The organisation closes on the first Tuesday of February 2027.
    closed = lead_api.post("/api/v1/closures", json={"date": "2027-02-02", "reason": "Training"})
    assert closed.status_code == 201, closed.text
    plan = api.post(
        f"/api/v1/matches/{iv['id']}/visit-plan",
        json={"weekday": 2, "start_time": "17:00", "duration_minutes": 90},
    )
    assert plan.status_code == 201, plan.text
    days = [dt.date.fromisoformat(v["date"]) for v in plan.json()["visits"]]
    # Open-ended: first Tuesdays for a year from today (December's was the 1st, before today;
    # February's first is closed, so the next).
    assert days[:3] == [dt.date(2027, 1, 5), dt.date(2027, 2, 9), dt.date(2027, 3, 2)]
    assert len(days) == 11
    assert days[-1] == dt.date(2027, 11, 2)
    assert all(v["programme_id"] == iv_id for v in plan.json()["visits"])
    match = api.get(f"/api/v1/matches/{iv['id']}").json()
    assert (match["visit_weekday"], match["visit_start_time"]) == (2, "17:00:00")
    # `until` and `every` given: weekly, never after until.
    weekly = api.post(
        f"/api/v1/matches/{iv['id']}/visit-plan",
        json={
            "weekday": 4,
            "start_time": "17:00",
            "duration_minutes": 60,
            "every": "week",
            "until": "2026-12-24",
        },
    )
    assert weekly.status_code == 201, weekly.text
    assert [v["date"] for v in weekly.json()["visits"]] == [
        "2026-12-03",
        "2026-12-10",
        "2026-12-17",
        "2026-12-24",
    ]
    # The monthly plan's visits were replaced.
    assert len(api.get(f"/api/v1/visits?match_id={iv['id']}").json()) == 4
    # Nothing in range: 422, nothing changed.
    empty = api.post(
        f"/api/v1/matches/{iv['id']}/visit-plan",
        json={
            "weekday": 2,
            "start_time": "17:00",
            "duration_minutes": 60,
            "every": "month",
            "until": "2026-12-31",
        },
    )
    assert empty.status_code == 422, empty.text
    assert len(api.get(f"/api/v1/visits?match_id={iv['id']}").json()) == 4
    bad = api.post(
        f"/api/v1/matches/{iv['id']}/visit-plan",
        json={"weekday": 2, "start_time": "17:00", "duration_minutes": 60, "every": "year"},
    )
    assert bad.status_code == 422


def test_a_plan_runs_to_the_matchs_expected_end(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
) -> None:
    _, befriending = programme_ids(
        admin_api,
        name="Befriending",
        kind="befriending",
        match_length_months=12,
        visit_band={"per": "week", "min_hours": 1, "max_hours": 3},
    )
    friend = make_mentor()
    api = signed.api(mentor_user(db, friend))
    child = make_child(date_of_birth="2013-01-01")
    match = make_match(
        lead_api, child["id"], friend["user_id"], dt.date(2026, 3, 2), programme_id=befriending
    )
    plan = api.post(
        f"/api/v1/matches/{match['id']}/visit-plan",
        json={"weekday": 6, "start_time": "10:00", "duration_minutes": 120},
    )
    assert plan.status_code == 201, plan.text
    days = [v["date"] for v in plan.json()["visits"]]
    # Weekly (the band's period), the Saturdays until 2 March 2027 (a year from the start),
    # but Boxing Day.
    assert days[0] == "2026-12-05"
    assert days[-1] == "2027-02-27"
    assert "2026-12-26" not in days
    assert len(days) == 12


def test_the_visit_page_of_an_independent_visitor_has_no_practice_tasks(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
) -> None:
    fhf_id, iv_id = programme_ids(admin_api, age_min=9)
    mentor = make_mentor(max_caseload=4)
    pages = signed.pages(mentor_user(db, mentor))
    group = make_match(
        lead_api,
        programme.children[0]["id"],
        mentor["user_id"],
        programme.start,
        programme_id=fhf_id,
    )
    iv = make_match(
        lead_api,
        programme.children[1]["id"],
        mentor["user_id"],
        programme.start,
        programme_id=iv_id,
        **AGREED,
    )
    assert "Practice tasks</h2>" in pages.get(f"/visits/new?match_id={group['id']}").text
    page = pages.get(f"/visits/new?match_id={iv['id']}")
    assert page.status_code == 200
    assert "Practice tasks" not in page.text
    # The form still logs a visit.
    logged = pages.post(
        "/visits/new",
        data={
            "csrf_token": pages.csrf_token,
            "match_id": str(iv["id"]),
            "date-day": "1",
            "date-month": "12",
            "date-year": "2026",
            "start_time": "10:00",
            "minutes": "60",
            "minutes_other": "",
            "status": "completed",
            "summary": "",
        },
    )
    assert logged.status_code == 303, logged.text
    plan = pages.get(f"/mentor/matches/{iv['id']}/plan")
    assert "Monthly visit slot" in plan.text
    assert "Weekly visit slot" in pages.get(f"/mentor/matches/{group['id']}/plan").text


@settings(max_examples=200, deadline=None)
@given(
    first=st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31)),
    span=st.integers(0, 800),
    weekday=st.integers(1, 7),
    closures=st.lists(st.integers(0, 800), max_size=40),
)
def test_monthly_plan_days(first: dt.date, span: int, weekday: int, closures: list[int]) -> None:
    """One a month at most, on the weekday, never on a closure or a bank holiday, never
    outside the range, and the month's first open one."""
    last = first + dt.timedelta(days=span)
    closed = ClosedDays("england", tuple((first + dt.timedelta(days=c),) * 2 for c in closures))
    days = monthly_days(first, last, weekday, closed)
    assert days == sorted(days)
    assert len({(d.year, d.month) for d in days}) == len(days)
    for day in days:
        assert first <= day <= last
        assert day.isoweekday() == weekday
        assert day not in closed
        earlier = day - dt.timedelta(days=7)
        assert earlier.month != day.month or earlier in closed
    # A month with an open weekday in range has a visit, unless an earlier open one of the
    # same month fell before `first`.
    day = first
    while day <= last:
        if day.isoweekday() == weekday and day not in closed:
            month_first_open = day
            probe = day - dt.timedelta(days=7)
            while probe.month == day.month:
                if probe not in closed:
                    month_first_open = probe
                probe -= dt.timedelta(days=7)
            assert (month_first_open in days) == (month_first_open >= first)
        day += dt.timedelta(days=1)
