"""Visit plans and visits: a weekly slot until the cohort ends (never on a closure, never
clashing with the mentor's other mentee or the child's group), recording how visits went
with the practice tasks worked on, safeguarding concerns, and what a mentor may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.cohorts.schedule import public_holidays
from app.mentoring.models import MentorVisit, VisitAssignment
from app.sessions.models import PracticeAssignment
from tests.support.clock import Clock
from tests.support.fixtures import MakeChild
from tests.support.mentoring import (
    DAY,
    WEEK,
    Caseload,
    MakeMentor,
    Programme,
    earlier_today,
    make_match,
    record,
)
from tests.support.people import People
from tests.support.rows import audit_count, count_rows

# Date-sensitive: also run on the awkward days of tests/support/clock.py.
# Visits are logged as completed today: late in the day, once they have ended.
pytestmark = [pytest.mark.awkward_days, pytest.mark.usefixtures("evening")]


def _visit(match_id: int, day: dt.date, start: str = "10:00", **over: Any) -> dict[str, Any]:
    return {
        "match_id": match_id,
        "date": day.isoformat(),
        "start_time": start,
        "duration_minutes": 60,
        "status": "completed",
        **over,
    }


def _visit_state(db: Session) -> tuple[int, int, int, list[str]]:
    statuses = [a.status.value for a in db.exec(select(PracticeAssignment)).all()]
    return (
        count_rows(db, MentorVisit),
        count_rows(db, VisitAssignment),
        audit_count(db),
        sorted(statuses),
    )


# Planning ------------------------------------------------------------------------------------


def test_a_weekly_slot_until_the_cohort_ends_skipping_closures(
    lead_api: TestClient, db: Session, programme: Programme, caseload: Caseload, today: dt.date
) -> None:
    friday = today + ((4 - today.weekday()) % 7) * DAY
    closed = friday + 2 * WEEK
    closure = lead_api.post(
        "/api/v1/closures", json={"date": closed.isoformat(), "reason": "Venue shut"}
    )
    assert closure.status_code == 201, closure.text
    match = caseload.matches[0]
    events = audit_count(db, "plan_visits")
    response = caseload.api.post(
        f"/api/v1/matches/{match['id']}/visit-plan",
        json={"weekday": 5, "start_time": "15:30", "duration_minutes": 150},
    )
    assert response.status_code == 201, response.text
    visits = response.json()["visits"]

    last = programme.last_date(lead_api)
    holidays = public_holidays("england")
    expected = []
    day = friday
    while day <= last:
        if day != closed and day not in holidays:
            expected.append(day.isoformat())
        day += WEEK
    assert [v["date"] for v in visits] == expected
    assert len(expected) > 10
    assert {(v["status"], v["start_time"], v["end_time"], v["minutes"]) for v in visits} == {
        ("planned", "15:30:00", "18:00:00", 150)
    }
    assert {v["match_id"] for v in visits} == {match["id"]}
    assert audit_count(db, "plan_visits") == events + 1
    detail = lead_api.get(f"/api/v1/matches/{match['id']}").json()
    assert (detail["visit_weekday"], detail["visit_start_time"], detail["visit_minutes"]) == (
        5,
        "15:30:00",
        150,
    )
    # "until" ends the plan earlier (at the second open Friday: the next Fridays may be
    # bank holidays, as at Christmas and Easter).
    shorter = lead_api.post(
        f"/api/v1/matches/{match['id']}/visit-plan",
        json={
            "weekday": 5,
            "start_time": "15:30",
            "duration_minutes": 150,
            "until": expected[1],
        },
    )
    assert shorter.status_code == 201, shorter.text
    assert [v["date"] for v in shorter.json()["visits"]] == expected[:2]


def test_a_slot_clashing_with_the_other_mentees_visit_is_409_naming_it(
    db: Session, programme: Programme, caseload: Caseload
) -> None:
    first, second = caseload.matches
    slot = {"weekday": 6, "start_time": "10:00", "duration_minutes": 120}
    planned = caseload.api.post(f"/api/v1/matches/{first['id']}/visit-plan", json=slot)
    assert planned.status_code == 201, planned.text
    before = _visit_state(db)
    clash = caseload.api.post(
        f"/api/v1/matches/{second['id']}/visit-plan",
        json={"weekday": 6, "start_time": "11:00", "duration_minutes": 60},
    )
    assert clash.status_code == 409, clash.text
    detail = clash.json()["detail"]
    assert f"the visit to {first['child_first_name']} (10:00 to 12:00)" in detail
    assert _visit_state(db) == before
    # Back to back is fine.
    fine = caseload.api.post(
        f"/api/v1/matches/{second['id']}/visit-plan",
        json={"weekday": 6, "start_time": "12:00", "duration_minutes": 60},
    )
    assert fine.status_code == 201, fine.text
    # Another mentor's visits at the same time are no clash.
    other = caseload.other_api.post(
        f"/api/v1/matches/{caseload.other_match['id']}/visit-plan", json=slot
    )
    assert other.status_code == 201, other.text


def test_a_slot_clashing_with_the_childs_group_session_is_409(
    db: Session, caseload: Caseload
) -> None:
    before = _visit_state(db)
    clash = caseload.api.post(
        f"/api/v1/matches/{caseload.matches[0]['id']}/visit-plan",
        json={"weekday": 1, "start_time": "17:00", "duration_minutes": 60},
    )
    assert clash.status_code == 409, clash.text
    assert "the group session of Monday group (16:00 to 17:30)" in clash.json()["detail"]
    assert _visit_state(db) == before
    after_group = caseload.api.post(
        f"/api/v1/matches/{caseload.matches[0]['id']}/visit-plan",
        json={"weekday": 1, "start_time": "17:30", "duration_minutes": 60},
    )
    assert after_group.status_code == 201, after_group.text


def test_replanning_replaces_the_future_planned_visits(
    lead_api: TestClient, caseload: Caseload, today: dt.date
) -> None:
    match = caseload.matches[0]
    url = f"/api/v1/matches/{match['id']}/visit-plan"
    done = caseload.api.post("/api/v1/visits", json=_visit(match["id"], today - DAY, "09:00"))
    assert done.status_code == 201, done.text
    saturdays = caseload.api.post(
        url, json={"weekday": 6, "start_time": "10:00", "duration_minutes": 60}
    ).json()["visits"]
    sundays = caseload.api.post(
        url, json={"weekday": 7, "start_time": "14:00", "duration_minutes": 90}
    ).json()["visits"]
    assert saturdays
    assert sundays
    stored = lead_api.get(f"/api/v1/visits?match_id={match['id']}").json()
    planned = [v for v in stored if v["status"] == "planned"]
    assert [v["id"] for v in planned] == [v["id"] for v in sundays]
    assert {dt.date.fromisoformat(v["date"]).isoweekday() for v in planned} == {7}
    assert [v["id"] for v in stored if v["status"] == "completed"] == [done.json()["id"]]
    # Replanning the same slot over itself is no clash.
    again = caseload.api.post(
        url, json={"weekday": 7, "start_time": "14:00", "duration_minutes": 90}
    )
    assert again.status_code == 201
    assert len(again.json()["visits"]) == len(sundays)


def test_a_plan_for_a_child_in_no_cohort_needs_an_end_date(
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    match = make_match(lead_api, make_child()["id"], make_mentor()["user_id"], today)
    url = f"/api/v1/matches/{match['id']}/visit-plan"
    slot = {"weekday": 3, "start_time": "16:00", "duration_minutes": 120}
    refused = lead_api.post(url, json=slot)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "until"]
    assert lead_api.post(url, json={**slot, "until": str(today - DAY)}).status_code == 422
    assert lead_api.post(url, json={**slot, "weekday": 8, "until": str(today)}).status_code == 422
    # Late on the test's day, today's slot has passed: four Wednesdays after today.
    planned = lead_api.post(url, json={**slot, "until": (today + 4 * WEEK).isoformat()})
    assert planned.status_code == 201
    assert len(planned.json()["visits"]) == 4
    assert min(v["date"] for v in planned.json()["visits"]) > today.isoformat()


def test_a_mentor_plans_only_their_own_matches(db: Session, caseload: Caseload) -> None:
    before = _visit_state(db)
    response = caseload.other_api.post(
        f"/api/v1/matches/{caseload.matches[0]['id']}/visit-plan",
        json={"weekday": 6, "start_time": "10:00", "duration_minutes": 60},
    )
    assert response.status_code == 404
    assert _visit_state(db) == before


# Recording visits ----------------------------------------------------------------------------


def test_refused_visits_change_nothing(
    db: Session, programme: Programme, caseload: Caseload, today: dt.date, clock: Clock
) -> None:
    first, second = caseload.matches
    done = caseload.api.post("/api/v1/visits", json=_visit(first["id"], today, "10:00"))
    assert done.status_code == 201, done.text
    before = _visit_state(db)
    tomorrow, yesterday = today + DAY, today - DAY
    cases: list[tuple[dict[str, Any], str]] = [
        (_visit(second["id"], tomorrow), "date"),
        (_visit(second["id"], tomorrow, status="missed"), "date"),
        (_visit(second["id"], tomorrow, status="cancelled"), "date"),
        (_visit(second["id"], yesterday, status="planned"), "date"),
        (_visit(second["id"], yesterday, duration_minutes=14), "duration_minutes"),
        (_visit(second["id"], yesterday, duration_minutes=481), "duration_minutes"),
        (_visit(second["id"], today, "10:59"), "start_time"),  # overlaps the other mentee
        (_visit(first["id"], today, "09:30"), "start_time"),  # and the same one
        (_visit(second["id"], programme.start - DAY), "date"),  # before the match
        (_visit(caseload.other_match["id"], yesterday), "match_id"),  # not theirs
        (_visit(second["id"], yesterday, status="done"), "status"),
    ]
    for body, field in cases:
        response = caseload.api.post("/api/v1/visits", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["loc"][-1] == field, (body, response.json())
        assert _visit_state(db) == before, body
    overlap = caseload.api.post("/api/v1/visits", json=_visit(second["id"], today, "10:59"))
    assert f"the visit to {first['child_first_name']} (10:00 to 11:00)" in overlap.json()["detail"]
    # Right after the other visit, and exactly at the bounds, is fine.
    for body in (
        _visit(second["id"], today, "11:00"),
        _visit(second["id"], yesterday, duration_minutes=15),
        _visit(second["id"], today - 2 * DAY, duration_minutes=480, status="missed"),
        _visit(second["id"], today + WEEK, status="planned", start_time=None),
        _visit(second["id"], today - 3 * DAY, status="cancelled"),
    ):
        assert caseload.api.post("/api/v1/visits", json=body).status_code == 201, body
    # A visit planned for later today (planned earlier in the day).
    with earlier_today(clock, 12):
        body = _visit(second["id"], today, "20:00", status="planned")
        assert caseload.api.post("/api/v1/visits", json=body).status_code == 201, body


def test_practice_tasks_worked_on_in_a_visit(
    lead_api: TestClient,
    people: People,
    db: Session,
    programme: Programme,
    caseload: Caseload,
    today: dt.date,
    clock: Clock,
) -> None:
    first, second = caseload.matches
    record(lead_api, programme.past_sessions(lead_api, today)[-1]["id"], people.facilitator.id)
    tasks = caseload.api.get(f"/api/v1/assignments?child_id={first['child_id']}").json()
    theirs = caseload.api.get(f"/api/v1/assignments?child_id={second['child_id']}").json()
    foreign = caseload.other_api.get("/api/v1/assignments").json()
    assert tasks
    assert theirs
    assert foreign
    assert {a["status"] for a in tasks} == {"open"}
    practised, completed = tasks[0]["id"], tasks[-1]["id"]
    assert practised != completed

    before = _visit_state(db)
    for ids in ([theirs[0]["id"]], [foreign[0]["id"]], [2**31 - 1]):
        refused = caseload.api.post(
            "/api/v1/visits", json=_visit(first["id"], today, assignment_ids=ids)
        )
        assert refused.status_code == 422, refused.text
        assert str(ids[0]) in refused.json()["detail"]
        assert _visit_state(db) == before
    # Tasks are worked on in a visit that happened.
    with earlier_today(clock, 12):
        planned = caseload.api.post(
            "/api/v1/visits",
            json=_visit(first["id"], today, "20:00", status="planned", assignment_ids=[practised]),
        )
    assert planned.status_code == 422
    assert planned.json()["errors"][0]["loc"] == ["body", "assignment_ids"]
    assert _visit_state(db) == before

    visit = caseload.api.post(
        "/api/v1/visits",
        json=_visit(
            first["id"],
            today,
            assignment_ids=[practised],
            completed_assignment_ids=[completed],
            summary="Practised naming feelings",
        ),
    )
    assert visit.status_code == 201, visit.text
    assert visit.json()["assignment_ids"] == sorted([practised, completed])
    assert visit.json()["summary"] == "Practised naming feelings"
    states = {a["id"]: a["status"] for a in caseload.api.get("/api/v1/assignments").json()}
    assert states[practised] == "practised"
    assert states[completed] == "completed"
    assert {s for a, s in states.items() if a not in (practised, completed)} == {"open"}
    # Practising a completed task again does not reopen it.
    again = caseload.api.post(
        "/api/v1/visits",
        json=_visit(first["id"], today - DAY, assignment_ids=[completed]),
    )
    assert again.status_code == 201
    assert caseload.api.get("/api/v1/assignments?status=completed").json()[0]["id"] == completed
    assert [a["id"] for a in caseload.api.get("/api/v1/assignments?status=practised").json()] == [
        practised
    ]


def test_a_safeguarding_concern_raises_a_flag_for_the_lead_at_once(
    lead_api: TestClient, db: Session, caseload: Caseload, today: dt.date
) -> None:
    match = caseload.matches[0]
    concerns = audit_count(db, "safeguarding_concern")
    plain = caseload.api.post("/api/v1/visits", json=_visit(match["id"], today - DAY))
    assert audit_count(db, "safeguarding_concern") == concerns
    raised = caseload.api.post(
        "/api/v1/visits", json=_visit(match["id"], today, safeguarding_concern=True)
    )
    assert raised.status_code == 201, raised.text
    assert raised.json()["safeguarding_concern"] is True
    assert audit_count(db, "safeguarding_concern") == concerns + 1

    # Raised later on an existing visit: one more event; the same again: none.
    url = f"/api/v1/visits/{plain.json()['id']}"
    assert caseload.api.patch(url, json={"safeguarding_concern": True}).status_code == 200
    assert caseload.api.patch(url, json={"safeguarding_concern": True}).status_code == 200
    assert audit_count(db, "safeguarding_concern") == concerns + 2

    # Only a lead's review clears it; the mentor cannot take it back.
    visit_id = raised.json()["id"]
    refused = caseload.api.patch(f"/api/v1/visits/{visit_id}", json={"safeguarding_concern": False})
    assert refused.status_code == 422
    assert caseload.api.post(f"/api/v1/visits/{visit_id}/concern-reviewed").status_code == 403
    reviewed = lead_api.post(f"/api/v1/visits/{visit_id}/concern-reviewed")
    assert reviewed.status_code == 200
    assert audit_count(db, "review_concern") == 1
    assert lead_api.post(f"/api/v1/visits/{visit_id}/concern-reviewed").status_code == 200
    assert audit_count(db, "review_concern") == 1
    stored = db.get(MentorVisit, visit_id)
    assert stored is not None
    assert stored.concern_reviewed_at is not None


def test_recording_how_a_planned_visit_went(
    db: Session, caseload: Caseload, today: dt.date, clock: Clock
) -> None:
    match = caseload.matches[0]
    with earlier_today(clock, 12):
        planned = caseload.api.post(
            "/api/v1/visits", json=_visit(match["id"], today, "18:00", status="planned")
        ).json()
    assert planned["version"] == 1
    url = f"/api/v1/visits/{planned['id']}"
    went = caseload.api.patch(
        url,
        json={
            "version": 1,
            "status": "completed",
            "duration_minutes": 150,
            "summary": "Cooked together",
        },
    )
    assert went.status_code == 200, went.text
    assert (went.json()["status"], went.json()["minutes"], went.json()["version"]) == (
        "completed",
        150,
        2,
    )
    assert went.json()["end_time"] == "20:30:00"
    before = _visit_state(db)
    stale = caseload.api.patch(url, json={"version": 1, "summary": "Something else"})
    assert stale.status_code == 409
    assert caseload.api.get(url).json()["summary"] == "Cooked together"
    assert _visit_state(db) == before
    # A future planned visit cannot be completed yet, but can be cancelled.
    future = caseload.api.post(
        "/api/v1/visits", json=_visit(match["id"], today + WEEK, status="planned")
    ).json()
    furl = f"/api/v1/visits/{future['id']}"
    assert caseload.api.patch(furl, json={"status": "completed"}).status_code == 422
    assert caseload.api.patch(furl, json={"duration_minutes": 10}).status_code == 422
    assert caseload.api.get(furl).json() == future
    cancelled = caseload.api.patch(furl, json={"status": "cancelled", "version": 1})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


def test_a_mentor_sees_only_their_own_visits_and_tasks(
    lead_api: TestClient,
    people: People,
    programme: Programme,
    caseload: Caseload,
    today: dt.date,
) -> None:
    record(lead_api, programme.past_sessions(lead_api, today)[-1]["id"], people.facilitator.id)
    mine = caseload.api.post("/api/v1/visits", json=_visit(caseload.matches[0]["id"], today))
    theirs = caseload.other_api.post(
        "/api/v1/visits", json=_visit(caseload.other_match["id"], today)
    )
    assert mine.status_code == theirs.status_code == 201
    assert [v["id"] for v in caseload.api.get("/api/v1/visits").json()] == [mine.json()["id"]]
    assert [v["id"] for v in lead_api.get("/api/v1/visits").json()] == sorted(
        [mine.json()["id"], theirs.json()["id"]]
    )
    other_id = theirs.json()["id"]
    assert caseload.api.get(f"/api/v1/visits/{other_id}").status_code == 404
    assert (
        caseload.api.patch(f"/api/v1/visits/{other_id}", json={"summary": "x"}).status_code == 404
    )
    other_match = caseload.other_match["id"]
    assert caseload.api.get(f"/api/v1/visits?match_id={other_match}").status_code == 404
    assert caseload.api.get(f"/api/v1/matches/{other_match}").status_code == 404

    own_children = {m["child_id"] for m in caseload.matches}
    seen = caseload.api.get("/api/v1/assignments").json()
    assert seen
    assert {a["child_id"] for a in seen} == own_children
    assert {a["mentor_id"] for a in seen} == {caseload.mentor["user_id"]}
    others = caseload.other_api.get("/api/v1/assignments").json()
    assert others
    assert {a["child_id"] for a in others} == {caseload.other_match["child_id"]}
    other_task = others[0]["id"]
    refused = caseload.api.patch(f"/api/v1/assignments/{other_task}", json={"status": "completed"})
    assert refused.status_code == 404
    assert (
        lead_api.get(f"/api/v1/assignments?status=open&child_id={others[0]['child_id']}").json()[0][
            "status"
        ]
        == "open"
    )
    assert (
        caseload.api.get(f"/api/v1/assignments?child_id={caseload.other_match['child_id']}").json()
        == []
    )


def test_list_filters(lead_api: TestClient, caseload: Caseload, today: dt.date) -> None:
    first, second = caseload.matches
    ids = {}
    for match, day in ((first, today - 2 * DAY), (second, today - DAY)):
        response = lead_api.post("/api/v1/visits", json=_visit(match["id"], day))
        ids[match["id"]] = response.json()["id"]
    for match in (first, second):
        listed = lead_api.get(f"/api/v1/visits?match_id={match['id']}").json()
        assert [v["id"] for v in listed] == [ids[match["id"]]]
    window = lead_api.get(f"/api/v1/visits?from={today - DAY}&to={today}").json()
    assert [v["id"] for v in window] == [ids[second["id"]]]
    mentor_id = caseload.mentor["user_id"]
    by_mentor = lead_api.get(f"/api/v1/matches?mentor_id={mentor_id}").json()
    assert sorted(m["id"] for m in by_mentor) == sorted([first["id"], second["id"]])
    by_child = lead_api.get(f"/api/v1/matches?child_id={second['child_id']}").json()
    assert [m["id"] for m in by_child] == [second["id"]]
    both = lead_api.get(
        f"/api/v1/matches?mentor_id={mentor_id}&child_id={caseload.other_match['child_id']}"
    ).json()
    assert both == []
