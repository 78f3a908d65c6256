"""Suggestions and matches: ranked shortlists with plain reasons, one place at a time,
the child's practice tasks following them to a new mentor, check-ins and endings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Organisation
from app.mentoring.models import CheckIn, Match, MentorVisit
from app.mentoring.shared import add_months
from tests.support.mentoring import (
    DAY,
    WEEK,
    MakeMentor,
    Programme,
    make_match,
    mentor_user,
    record,
)
from tests.support.people import People, Signed
from tests.support.queries import CountQueries
from tests.support.rows import audit_count, count_rows

MakeChild = Callable[..., dict[str, Any]]

# Visits are logged as completed today: late in the day, once they have ended.
pytestmark = pytest.mark.usefixtures("evening")


def _set_weights(db: Session, people: People, weights: dict[str, int]) -> None:
    org = db.get(Organisation, people.org.id)
    assert org is not None
    org.match_weights = weights
    db.add(org)
    db.commit()


# Suggestions ---------------------------------------------------------------------------------


def test_suggestions_are_ranked_ready_mentors_with_room_and_plain_reasons(
    lead_api: TestClient, make_mentor: MakeMentor, make_child: MakeChild, today: dt.date
) -> None:
    child = make_child(
        ethnicity="black_caribbean",
        languages=["polish"],
        interests=["football", "drawing"],
        preferences={"mentor_gender": "girl_or_woman", "same_ethnicity": True},
    )
    best = make_mentor(
        name="Best",
        gender="girl_or_woman",
        ethnicity="black_caribbean",
        languages=["polish", "english"],
        interests=["Football", "Drawing"],
        care_experience=True,
    )
    some = make_mentor(name="Some", gender="girl_or_woman", interests=["football"])
    none = make_mentor(name="None", gender="boy_or_man")
    make_mentor(name="Untrained", gender="girl_or_woman", training_completed_on=None)
    make_mentor(name="No barred list", gender="girl_or_woman", barred_list_checked=False)
    full = make_mentor(name="Full", gender="girl_or_woman", max_caseload=1)
    make_match(lead_api, make_child()["id"], full["user_id"], today)

    response = lead_api.get(f"/api/v1/children/{child['id']}/mentor-suggestions")
    assert response.status_code == 200, response.text
    found = response.json()
    assert [s["mentor_id"] for s in found] == [best["user_id"], some["user_id"], none["user_id"]]
    scores = [s["score"] for s in found]
    assert all(0 <= s <= 1 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 1.0
    assert scores[2] == 0.0
    assert found[0]["reasons"] == [
        "child asked for a female mentor",
        "child asked for a mentor of the same ethnicity",
        "speaks Polish",
        "shares interests: football, drawing",
        "mentor has care experience",
    ]
    assert found[1]["reasons"] == ["child asked for a female mentor", "shares interests: football"]
    assert found[2]["reasons"] == []
    assert found[0]["active_matches"] == 0
    assert found[0]["max_caseload"] == 2
    # Weights 3+2+2+2+1: a gender match and one of two interests is (3 + 2 * 1/2) / 10.
    assert found[1]["score"] == 0.4
    top = lead_api.get(f"/api/v1/children/{child['id']}/mentor-suggestions?top=1").json()
    assert [s["mentor_id"] for s in top] == [best["user_id"]]


def test_suggestions_honour_the_organisations_weights(
    lead_api: TestClient,
    db: Session,
    people: People,
    make_mentor: MakeMentor,
    make_child: MakeChild,
) -> None:
    child = make_child(interests=["chess"], preferences={"mentor_gender": "boy_or_man"})
    by_gender = make_mentor(name="By gender", gender="boy_or_man")
    by_interest = make_mentor(name="By interest", interests=["chess"])
    url = f"/api/v1/children/{child['id']}/mentor-suggestions"

    _set_weights(
        db,
        people,
        {"gender": 0, "ethnicity": 0, "languages": 0, "interests": 5, "care_experience": 0},
    )
    found = lead_api.get(url).json()
    assert [(s["mentor_id"], s["score"]) for s in found] == [
        (by_interest["user_id"], 1.0),
        (by_gender["user_id"], 0.0),
    ]
    assert found[1]["reasons"] == []  # a weight of 0: the matching gender is not counted

    _set_weights(
        db,
        people,
        {"gender": 9, "ethnicity": 0, "languages": 0, "interests": 1, "care_experience": 0},
    )
    found = lead_api.get(url).json()
    assert [(s["mentor_id"], s["score"]) for s in found] == [
        (by_gender["user_id"], 0.9),
        (by_interest["user_id"], 0.1),
    ]


def test_suggestions_are_for_this_organisations_children(
    lead_api: TestClient, signed: Signed, people: People, make_child: MakeChild
) -> None:
    child = make_child()
    assert (
        signed.api(people.other_lead)
        .get(f"/api/v1/children/{child['id']}/mentor-suggestions")
        .status_code
        == 404
    )
    assert lead_api.get("/api/v1/children/2147483647/mentor-suggestions").status_code == 404


def test_suggestions_run_the_same_statements_for_few_or_many_mentors(
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    db: Session,
    count_queries: CountQueries,
    today: dt.date,
) -> None:
    child = make_child(interests=["chess", "art"], preferences={"mentor_gender": "girl_or_woman"})
    url = f"/api/v1/children/{child['id']}/mentor-suggestions"

    def measure() -> tuple[int, int]:
        db.expire_all()
        with count_queries() as counted:
            response = lead_api.get(url)
        assert response.status_code == 200
        return counted.count, len(response.json())

    make_mentor(gender="girl_or_woman")
    few = measure()
    for n in range(12):
        mentor = make_mentor(gender="girl_or_woman" if n % 2 else "boy_or_man", interests=["chess"])
        if n % 3 == 0:
            make_match(lead_api, make_child()["id"], mentor["user_id"], today)
    many = measure()
    assert few[1] == 1
    assert many[1] == 10
    assert few[0] == many[0], (few, many)


# Creating matches ----------------------------------------------------------------------------


def test_a_match_is_made_with_its_score_and_reasons(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    child = make_child(interests=["chess"])
    mentor = make_mentor(interests=["Chess"])
    events = audit_count(db, "create", "match")
    created = make_match(
        lead_api, child["id"], mentor["user_id"], today, chosen_by_young_person=True
    )
    assert created["child_id"] == child["id"]
    assert created["mentor_id"] == mentor["user_id"]
    assert created["active"] is True
    assert created["end_date"] is None
    assert 0 < created["score"] <= 1
    assert created["reasons"] == [
        "the young person chose this mentor",
        "shares interests: chess",
    ]
    assert created["chosen_by_young_person"] is True
    assert created["check_ins"] == []
    assert audit_count(db, "create", "match") == events + 1
    assert lead_api.get(f"/api/v1/matches/{created['id']}").json() == created
    listed = lead_api.get(f"/api/v1/matches?child_id={child['id']}").json()
    assert [m["id"] for m in listed] == [created["id"]]
    assert lead_api.get(f"/api/v1/mentors/{mentor['user_id']}").json()["active_matches"] == 1
    own = signed.api(mentor_user(db, mentor))
    assert [m["id"] for m in own.get("/api/v1/matches").json()] == [created["id"]]
    assert own.get(f"/api/v1/matches/{created['id']}").status_code == 200
    # The child is now the mentor's to see.
    assert own.get(f"/api/v1/children/{child['id']}").status_code == 200


def _refused(
    lead_api: TestClient, db: Session, body: dict[str, Any], status: int
) -> dict[str, Any]:
    before = (count_rows(db, Match), audit_count(db))
    response = lead_api.post("/api/v1/matches", json=body)
    assert response.status_code == status, response.text
    assert (count_rows(db, Match), audit_count(db)) == before
    match: dict[str, Any] = response.json()
    return match


def test_a_full_caseload_is_409(
    lead_api: TestClient,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    mentor = make_mentor(max_caseload=2)
    for _ in range(2):
        make_match(lead_api, make_child()["id"], mentor["user_id"], today)
    problem = _refused(
        lead_api,
        db,
        {"child_id": make_child()["id"], "mentor_id": mentor["user_id"], "start_date": str(today)},
        409,
    )
    assert "already has 2 active mentees" in problem["detail"]


def test_a_child_with_an_active_match_is_409(
    lead_api: TestClient,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    child = make_child()
    first = make_mentor(name="First Mentor")
    second = make_mentor()
    make_match(lead_api, child["id"], first["user_id"], today)
    problem = _refused(
        lead_api,
        db,
        {"child_id": child["id"], "mentor_id": second["user_id"], "start_date": str(today)},
        409,
    )
    assert "already has a mentor (First Mentor)" in problem["detail"]
    # Not even the same mentor twice.
    _refused(
        lead_api,
        db,
        {"child_id": child["id"], "mentor_id": first["user_id"], "start_date": str(today)},
        409,
    )


def test_a_mentor_who_is_not_ready_is_422_naming_the_check(
    lead_api: TestClient,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    child = make_child()
    unready = make_mentor(interviewed_on=None, references_checked=False)
    problem = _refused(
        lead_api,
        db,
        {"child_id": child["id"], "mentor_id": unready["user_id"], "start_date": str(today)},
        422,
    )
    assert "an interview" in problem["detail"]
    assert "two references" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", "mentor_id"]


def test_bad_children_and_mentors_are_422(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    people: People,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    mentor = make_mentor()
    child = make_child()
    other_child = signed.api(people.other_lead).post(
        "/api/v1/children",
        json={
            "reference": "B-1",
            "first_name": "Bea",
            "date_of_birth": "2016-03-01",
            "placement_type": "foster",
            "consent_given_by": "Social worker",
            "consent_given_on": "2026-09-01",
        },
    )
    assert other_child.status_code == 201
    cases = [
        ({"child_id": other_child.json()["id"], "mentor_id": mentor["user_id"]}, "child_id"),
        ({"child_id": 2**31 - 1, "mentor_id": mentor["user_id"]}, "child_id"),
        ({"child_id": child["id"], "mentor_id": people.facilitator.id}, "mentor_id"),
        ({"child_id": child["id"], "mentor_id": people.lead.id}, "mentor_id"),
        ({"child_id": child["id"], "mentor_id": people.other_lead.id}, "mentor_id"),
        # people.mentor has the role but no profile (no checks): not a mentor yet.
        ({"child_id": child["id"], "mentor_id": people.mentor.id}, "mentor_id"),
    ]
    for ids, field in cases:
        problem = _refused(lead_api, db, {**ids, "start_date": str(today)}, 422)
        assert problem["errors"][0]["loc"] == ["body", field], ids
    for start in (add_months(today, 4), add_months(today, -13)):
        ids = {"child_id": child["id"], "mentor_id": mentor["user_id"]}
        problem = _refused(lead_api, db, {**ids, "start_date": str(start)}, 422)
        assert problem["errors"][0]["loc"] == ["body", "start_date"]


def test_open_practice_tasks_follow_the_child_to_a_new_mentor(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    people: People,
    programme: Programme,
    make_mentor: MakeMentor,
    today: dt.date,
) -> None:
    child = programme.children[0]
    first, second = make_mentor(name="First"), make_mentor(name="Second")
    start = programme.start
    match = make_match(lead_api, child["id"], first["user_id"], start)
    sessions = programme.past_sessions(lead_api, today)
    record(lead_api, sessions[0]["id"], people.facilitator.id)
    record(lead_api, sessions[1]["id"], people.facilitator.id, absent=(child["id"],))
    mine = lead_api.get(f"/api/v1/assignments?child_id={child['id']}").json()
    assert mine
    assert {a["mentor_id"] for a in mine} == {first["user_id"]}
    assert {a["kind"] for a in mine} == {"regular", "catch_up"}
    done = mine[0]["id"]
    assert (
        lead_api.patch(f"/api/v1/assignments/{done}", json={"status": "completed"}).status_code
        == 200
    )

    ended = lead_api.post(
        f"/api/v1/matches/{match['id']}/end",
        json={"end_date": str(today), "reason": "mentor_left", "ended_by": "mentor"},
    )
    assert ended.status_code == 200, ended.text
    after_end = {a["id"]: a["mentor_id"] for a in lead_api.get("/api/v1/assignments").json()}
    assert after_end[done] == first["user_id"]  # a completed task stays where it was done
    assert {m for a, m in after_end.items() if a != done and a in {x["id"] for x in mine}} == {None}

    make_match(lead_api, child["id"], second["user_id"], today)
    moved = lead_api.get(f"/api/v1/assignments?child_id={child['id']}").json()
    assert {a["id"]: a["mentor_id"] for a in moved} == {
        a["id"]: (first["user_id"] if a["id"] == done else second["user_id"]) for a in mine
    }
    new_mentor = signed.api(mentor_user(db, second))
    seen = new_mentor.get("/api/v1/assignments").json()
    assert sorted(a["id"] for a in seen) == sorted(a["id"] for a in mine if a["id"] != done)
    assert all(a["task"]["description"] for a in seen)
    old_mentor = signed.api(mentor_user(db, first))
    assert old_mentor.get("/api/v1/assignments").json() == []
    assert old_mentor.get(f"/api/v1/matches/{match['id']}").status_code == 404


# Check-ins and endings -----------------------------------------------------------------------


def test_check_ins_and_the_overdue_flag(
    lead_api: TestClient,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    start = today - 45 * DAY
    match = make_match(lead_api, make_child()["id"], make_mentor()["user_id"], start)
    assert match["last_check_in"] is None
    assert match["check_in_due"] == add_months(start, 1).isoformat()
    assert match["check_in_overdue"] is True
    url = f"/api/v1/matches/{match['id']}/check-ins"

    before = (count_rows(db, CheckIn), audit_count(db))
    for body in (
        {"date": str(today + DAY), "with_mentor": True},  # in the future
        {"date": str(start - DAY), "with_mentor": True},  # before the match
        {"date": str(today)},  # with nobody
    ):
        assert lead_api.post(url, json=body).status_code == 422, body
    assert (count_rows(db, CheckIn), audit_count(db)) == before

    created = lead_api.post(
        url, json={"date": str(today), "with_mentor": True, "with_child": True, "notes": "Fine"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["notes"] == "Fine"
    detail = lead_api.get(f"/api/v1/matches/{match['id']}").json()
    assert detail["last_check_in"] == str(today)
    assert detail["check_in_due"] == add_months(today, 1).isoformat()
    assert detail["check_in_overdue"] is False
    assert [c["date"] for c in detail["check_ins"]] == [str(today)]

    recent = make_match(lead_api, make_child()["id"], make_mentor()["user_id"], today)
    assert recent["check_in_overdue"] is False


def test_ending_a_match_and_an_ended_match_is_read_only(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
    today: dt.date,
) -> None:
    mentor = make_mentor()
    start = today - 3 * WEEK
    match = make_match(lead_api, programme.children[0]["id"], mentor["user_id"], start)
    url = f"/api/v1/matches/{match['id']}/end"
    plan = lead_api.post(
        f"/api/v1/matches/{match['id']}/visit-plan",
        json={"weekday": 6, "start_time": "10:00", "duration_minutes": 120},
    )
    assert plan.status_code == 201, plan.text
    planned = len(plan.json()["visits"])
    assert planned > 3

    before = (count_rows(db, Match), audit_count(db))
    for body, field in (
        ({"end_date": str(start - DAY), "reason": "planned"}, "end_date"),
        ({"end_date": str(today + DAY), "reason": "planned"}, "end_date"),
        ({"end_date": str(today), "reason": "other"}, "note"),  # "other" needs a note
    ):
        refused = lead_api.post(url, json=body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["loc"][-1] == field
    assert lead_api.post(url, json={"end_date": str(today), "reason": "bored"}).status_code == 422
    assert (count_rows(db, Match), audit_count(db)) == before
    assert lead_api.get(f"/api/v1/matches/{match['id']}").json()["active"] is True

    ended = lead_api.post(
        url,
        json={
            "end_date": str(today),
            "reason": "child_moved",
            "ended_by": "social_worker",
            "note": "Moved to a placement in another county",
        },
    )
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert body["active"] is False
    assert body["end_date"] == str(today)
    assert body["end_reason"] == "child_moved"
    assert body["ended_by"] == "social_worker"
    assert body["closure_note"] == "Moved to a placement in another county"
    assert body["check_in_due"] is None
    assert body["check_in_overdue"] is False
    # Planned visits after the end are cancelled.
    statuses = {
        v["status"]
        for v in lead_api.get(f"/api/v1/visits?match_id={match['id']}").json()
        if v["date"] > str(today)
    }
    assert statuses == {"cancelled"}

    # Read-only from now on: every change is 409 and changes nothing.
    rows_before = (
        count_rows(db, Match),
        count_rows(db, CheckIn),
        count_rows(db, MentorVisit),
        audit_count(db),
    )
    for path, payload in (
        ("/end", {"end_date": str(today), "reason": "planned"}),
        ("/check-ins", {"date": str(today), "with_mentor": True}),
        ("/visit-plan", {"weekday": 7, "start_time": "10:00", "duration_minutes": 60}),
    ):
        response = lead_api.post(f"/api/v1/matches/{match['id']}{path}", json=payload)
        assert response.status_code == 409, (path, response.text)
        assert "read-only" in response.json()["detail"]
    visit = lead_api.post(
        "/api/v1/visits",
        json={
            "match_id": match["id"],
            "date": str(today),
            "start_time": "09:00",
            "duration_minutes": 60,
            "status": "completed",
        },
    )
    assert visit.status_code == 409
    assert (
        count_rows(db, Match),
        count_rows(db, CheckIn),
        count_rows(db, MentorVisit),
        audit_count(db),
    ) == rows_before
    # The mentor no longer sees the match; the lead still does.
    own = signed.api(mentor_user(db, mentor))
    assert own.get(f"/api/v1/matches/{match['id']}").status_code == 404
    assert own.get("/api/v1/matches").json() == []
    ended_list = lead_api.get("/api/v1/matches?active=false").json()
    assert [m["id"] for m in ended_list] == [match["id"]]
    assert lead_api.get("/api/v1/matches?active=true").json() == []


def test_a_match_cannot_end_before_visits_recorded_in_it(
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    today: dt.date,
) -> None:
    match = make_match(lead_api, make_child()["id"], make_mentor()["user_id"], today - 2 * WEEK)
    visit = lead_api.post(
        "/api/v1/visits",
        json={
            "match_id": match["id"],
            "date": str(today - DAY),
            "start_time": "10:00",
            "duration_minutes": 60,
            "status": "completed",
        },
    )
    assert visit.status_code == 201, visit.text
    refused = lead_api.post(
        f"/api/v1/matches/{match['id']}/end",
        json={"end_date": str(today - 2 * DAY), "reason": "planned"},
    )
    assert refused.status_code == 422
    assert "Visits are recorded after this date" in refused.json()["detail"]


def test_the_childs_export_holds_matches_visits_and_practice_tasks(
    lead_api: TestClient,
    people: People,
    programme: Programme,
    make_mentor: MakeMentor,
    today: dt.date,
) -> None:
    child = programme.children[0]
    mentor = make_mentor()
    match = make_match(lead_api, child["id"], mentor["user_id"], programme.start)
    record(lead_api, programme.past_sessions(lead_api, today)[0]["id"], people.facilitator.id)
    visit = lead_api.post(
        "/api/v1/visits",
        json={
            "match_id": match["id"],
            "date": str(today),
            "start_time": "10:00",
            "duration_minutes": 90,
            "status": "completed",
            "summary": "Baked a cake",
        },
    ).json()
    export = lead_api.get(f"/api/v1/children/{child['id']}/export").json()
    assert [m["id"] for m in export["matches"]] == [match["id"]]
    assert export["matches"][0]["mentor_id"] == mentor["user_id"]
    assert [v["id"] for v in export["visits"]] == [visit["id"]]
    assert export["visits"][0]["summary"] == "Baked a cake"
    tasks = lead_api.get(f"/api/v1/assignments?child_id={child['id']}").json()
    assert sorted(a["id"] for a in export["practice_assignments"]) == sorted(a["id"] for a in tasks)
    other = programme.children[1]
    assert lead_api.get(f"/api/v1/children/{other['id']}/export").json()["matches"] == []
