"""The mentor's week: each mentee's last group session (and what they missed), open
practice tasks, this week's visits and hours against the organisation's band."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.support.clock import Clock
from tests.support.mentoring import (
    DAY,
    WEEK,
    MakeMentor,
    Programme,
    earlier_today,
    make_match,
    mentor_user,
    record,
)
from tests.support.people import People, Signed
from tests.support.queries import CountQueries

# Date-sensitive: also run on the awkward days of tests/support/clock.py.
# Visits are logged as completed today: late in the day, once they have ended.
pytestmark = [pytest.mark.awkward_days, pytest.mark.usefixtures("evening")]


def _visit(match_id: int, day: dt.date, start: str, minutes: int, status: str) -> dict[str, Any]:
    return {
        "match_id": match_id,
        "date": day.isoformat(),
        "start_time": start,
        "duration_minutes": minutes,
        "status": status,
    }


def test_the_mentors_week(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    people: People,
    programme: Programme,
    make_mentor: MakeMentor,
    today: dt.date,
    clock: Clock,
) -> None:
    present, absent = programme.children[:2]
    mentor = make_mentor()
    api = signed.api(mentor_user(db, mentor))
    matches = [
        make_match(lead_api, child["id"], mentor["user_id"], programme.start)
        for child in (present, absent)
    ]
    past = programme.past_sessions(lead_api, today)
    earlier = record(lead_api, past[-2]["id"], people.facilitator.id)
    last = record(lead_api, past[-1]["id"], people.facilitator.id, absent=(absent["id"],))
    # A task done before this week drops off the list.
    done = lead_api.get(f"/api/v1/assignments?child_id={present['id']}").json()
    earlier_tasks = [a for a in done if a["session_id"] == earlier["id"]]
    assert (
        api.patch(
            f"/api/v1/assignments/{earlier_tasks[0]['id']}", json={"status": "completed"}
        ).status_code
        == 200
    )
    with earlier_today(clock, 18):  # planned while it was still to come
        planned = api.post(
            "/api/v1/visits", json=_visit(matches[0]["id"], today, "19:00", 60, "planned")
        )
    visits = [
        api.post("/api/v1/visits", json=_visit(matches[0]["id"], today, "08:00", 150, "completed")),
        planned,
        api.post("/api/v1/visits", json=_visit(matches[1]["id"], today, "11:00", 60, "completed")),
    ]
    assert [v.status_code for v in visits] == [201, 201, 201], [v.text for v in visits]
    # Last week's visit is not this week's.
    week_start = today - today.weekday() * DAY
    old = api.post(
        "/api/v1/visits",
        json=_visit(matches[1]["id"], week_start - DAY, "11:00", 120, "completed"),
    )
    assert old.status_code == 201

    response = api.get("/api/v1/mentors/me/week")
    assert response.status_code == 200, response.text
    week = response.json()
    assert week["week_start"] == week_start.isoformat()
    assert week["week_end"] == (week_start + 6 * DAY).isoformat()
    assert week["target_hours"] == [2, 4]
    by_child = {m["child_id"]: m for m in week["mentees"]}
    assert list(by_child) == sorted(by_child, key=lambda c: by_child[c]["first_name"])
    assert set(by_child) == {present["id"], absent["id"]}

    core = [a["title"] for a in last["lesson"]["activities"] if a["core"]]
    assert core
    here, away = by_child[present["id"]], by_child[absent["id"]]
    for mentee, attendance, missed in ((here, "present", []), (away, "absent", core)):
        assert mentee["last_session"] == {
            "session_id": last["id"],
            "date": last["date"],
            "week": last["week"],
            "title": last["lesson"]["title"],
            "attendance": attendance,
            "missed_core_activities": missed,
            # Every activity delivered, no note about the child on the register.
            "skipped_activities": [],
            "partial_activities": [],
            "note_about_mentee": None,
        }
    assert here["first_name"] == present["first_name"]
    assert here["match_id"] == matches[0]["id"]

    tasks = {t["key"]: t for t in last["lesson"]["practice_tasks"]}
    for mentee, kind in ((here, "regular"), (away, "catch_up")):
        latest = [a for a in mentee["assignments"] if a["session_id"] == last["id"]]
        assert {a["task"]["key"] for a in latest} == set(tasks)
        for a in latest:
            assert a["task"]["description"] == tasks[a["task"]["key"]]["description"]
            assert a["kind"] == kind
            assert a["status"] == "open"
            assert a["mentor_id"] == mentor["user_id"]
    assert earlier_tasks[0]["id"] not in {a["id"] for a in here["assignments"]}
    assert len(here["assignments"]) == 2 * len(tasks) - 1

    assert [(v["start_time"], v["status"]) for v in here["visits"]] == [
        ("08:00:00", "completed"),
        ("19:00:00", "planned"),
    ]
    assert [v["id"] for v in away["visits"]] == [visits[2].json()["id"]]
    assert (here["hours_this_week"], here["in_band"]) == (2.5, True)
    assert (away["hours_this_week"], away["in_band"]) == (1.0, False)

    # The band is the organisation's setting.
    admin = signed.api(people.admin)
    changed = admin.patch(
        "/api/v1/organisation", json={"mentoring_hours_min": 1, "mentoring_hours_max": 2}
    )
    assert changed.status_code == 200, changed.text
    week = api.get("/api/v1/mentors/me/week").json()
    assert week["target_hours"] == [1, 2]
    assert [m["in_band"] for m in week["mentees"]] == [
        {present["id"]: False, absent["id"]: True}[m["child_id"]] for m in week["mentees"]
    ]


def test_an_earlier_week_shows_the_session_before_it(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    people: People,
    programme: Programme,
    make_mentor: MakeMentor,
    today: dt.date,
) -> None:
    child = programme.children[0]
    mentor = make_mentor()
    api = signed.api(mentor_user(db, mentor))
    make_match(lead_api, child["id"], mentor["user_id"], programme.start)
    past = programme.past_sessions(lead_api, today)
    first = record(lead_api, past[0]["id"], people.facilitator.id, absent=(child["id"],))
    record(lead_api, past[1]["id"], people.facilitator.id)
    day = dt.date.fromisoformat(past[0]["date"]) + 2 * DAY
    week = api.get(f"/api/v1/mentors/me/week?date={day}").json()
    assert week["week_start"] == (day - day.weekday() * DAY).isoformat()
    (mentee,) = week["mentees"]
    assert mentee["last_session"]["session_id"] == first["id"]
    assert mentee["last_session"]["attendance"] == "absent"
    assert mentee["visits"] == []
    assert mentee["hours_this_week"] == 0
    # Before the first recorded session there is none yet.
    before = api.get(f"/api/v1/mentors/me/week?date={programme.start - WEEK}").json()
    assert before["mentees"][0]["last_session"] is None
    assert api.get("/api/v1/mentors/me/week?date=soon").status_code == 422


def test_a_new_mentor_finds_the_childs_open_tasks_in_their_week(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    people: People,
    programme: Programme,
    make_mentor: MakeMentor,
    today: dt.date,
) -> None:
    child = programme.children[0]
    first, second = make_mentor(), make_mentor()
    match = make_match(lead_api, child["id"], first["user_id"], programme.start)
    record(lead_api, programme.past_sessions(lead_api, today)[-1]["id"], people.facilitator.id)
    first_api = signed.api(mentor_user(db, first))
    tasks = first_api.get("/api/v1/mentors/me/week").json()["mentees"][0]["assignments"]
    assert tasks
    lead_api.post(
        f"/api/v1/matches/{match['id']}/end", json={"end_date": str(today), "reason": "mentor_left"}
    )
    assert first_api.get("/api/v1/mentors/me/week").json()["mentees"] == []
    make_match(lead_api, child["id"], second["user_id"], today)
    week = signed.api(mentor_user(db, second)).get("/api/v1/mentors/me/week").json()
    (mentee,) = week["mentees"]
    assert sorted(a["id"] for a in mentee["assignments"]) == sorted(a["id"] for a in tasks)
    assert {a["mentor_id"] for a in mentee["assignments"]} == {second["user_id"]}


def test_a_mentor_with_no_mentees_has_an_empty_week(
    signed: Signed, db: Session, make_mentor: MakeMentor, people: People
) -> None:
    week = signed.api(mentor_user(db, make_mentor())).get("/api/v1/mentors/me/week").json()
    assert week["mentees"] == []
    assert week["target_hours"] == [2, 4]
    assert signed.api(people.lead).get("/api/v1/mentors/me/week").status_code == 403


def test_the_week_runs_the_same_statements_for_few_or_many(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    people: People,
    programme: Programme,
    make_mentor: MakeMentor,
    count_queries: CountQueries,
    today: dt.date,
) -> None:
    mentor = make_mentor(max_caseload=4)
    api = signed.api(mentor_user(db, mentor))
    children = programme.children
    past = programme.past_sessions(lead_api, today)

    def measure() -> tuple[int, int, int, int]:
        db.expire_all()
        with count_queries() as counted:
            response = api.get("/api/v1/mentors/me/week")
        assert response.status_code == 200
        mentees = response.json()["mentees"]
        return (
            counted.count,
            len(mentees),
            sum(len(m["visits"]) for m in mentees),
            sum(len(m["assignments"]) for m in mentees),
        )

    matches = [make_match(lead_api, children[0]["id"], mentor["user_id"], programme.start)]
    record(lead_api, past[-1]["id"], people.facilitator.id, absent=(children[0]["id"],))
    api.post("/api/v1/visits", json=_visit(matches[0]["id"], today, "08:00", 60, "completed"))
    few = measure()

    matches += [
        make_match(lead_api, child["id"], mentor["user_id"], programme.start)
        for child in children[1:]
    ]
    other = make_mentor()
    other_child = programme.children[3]
    ended = lead_api.post(
        f"/api/v1/matches/{matches[-1]['id']}/end",
        json={"end_date": str(today), "reason": "planned"},
    )
    assert ended.status_code == 200
    make_match(lead_api, other_child["id"], other["user_id"], today)
    for session in past[-4:-1]:
        record(lead_api, session["id"], people.facilitator.id, absent=(children[1]["id"],))
    for n, match in enumerate(matches[:3]):
        for hour in range(3):
            # Back to back from 09:00, all before the group's 16:00 (a Monday is a group day).
            minute = 9 * 60 + (3 * n + hour) * 45
            start = f"{minute // 60:02d}:{minute % 60:02d}"
            response = api.post(
                "/api/v1/visits", json=_visit(match["id"], today, start, 45, "completed")
            )
            assert response.status_code == 201, response.text
    many = measure()
    # (statements, mentees, visits, assignments)
    assert few[1:3] == (1, 1), few
    assert many[1:3] == (3, 10), many
    assert many[3] > few[3], (few, many)
    assert few[0] == many[0], (few, many)
