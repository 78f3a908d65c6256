"""Cohorts through the API: planning around holidays and closures, moving lessons on."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.cohorts.models import Cohort, GroupSession
from tests.support.fixtures import MakeChild
from tests.support.people import People, Signed
from tests.support.queries import CountQueries
from tests.support.rows import count_rows, live

SCHOOL_HOLIDAYS = [
    ("2026-10-26", "2026-10-30", "October half term"),
    ("2026-12-21", "2027-01-01", "Christmas holidays"),
    ("2027-02-15", "2027-02-19", "February half term"),
    ("2027-03-29", "2027-04-09", "Easter holidays"),
]


def test_create_plans_30_lessons_around_bank_holidays(cohort: dict[str, Any]) -> None:
    sessions = cohort["sessions"]
    assert [s["week"] for s in sessions] == list(range(1, 31))
    dates = [s["date"] for s in sessions]
    assert "2026-12-28" not in dates
    assert "2027-03-29" not in dates
    assert dates[-1] == "2027-04-12"
    assert all(s["status"] == "scheduled" and s["version"] == 1 for s in sessions)
    assert (sessions[0]["start_time"], sessions[0]["end_time"]) == ("16:00:00", "17:30:00")
    assert cohort["weekday"] == 1
    assert cohort["warnings"] == [
        "Only 0 active children: the programme is designed for at least 8."
    ]


def test_school_holiday_closures_move_every_later_lesson(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    for start, end, reason in SCHOOL_HOLIDAYS:
        response = lead_api.post(
            "/api/v1/closures", json={"date": start, "end_date": end, "reason": reason}
        )
        assert response.status_code == 201, response.text
    sessions = lead_api.get(f"/api/v1/cohorts/{cohort['id']}/sessions").json()
    planned = live(sessions)
    assert [s["week"] for s in planned] == list(range(1, 31))
    dates = [s["date"] for s in planned]
    for skipped in (
        "2026-10-26",
        "2026-12-21",
        "2026-12-28",
        "2027-02-15",
        "2027-03-29",
        "2027-04-05",
        "2027-05-03",
    ):
        assert skipped not in dates
    assert dates[-1] == "2027-05-17"
    cancelled = [s for s in sessions if s["status"] == "cancelled"]
    # The occurrences that fell in the closures are kept, with their reason.
    assert {s["date"] for s in cancelled} == {
        "2026-10-26",
        "2026-12-21",
        "2027-02-15",
        "2027-04-05",
    }
    assert all(s["cancel_reason"].startswith("Closure: ") for s in cancelled)


def test_cancel_moves_the_lesson_and_later_ones_on(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    week5 = cohort["sessions"][4]
    response = lead_api.post(
        f"/api/v1/sessions/{week5['id']}/cancel", json={"version": 1, "reason": "Venue flooded"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    sessions = lead_api.get(f"/api/v1/cohorts/{cohort['id']}/sessions").json()
    planned = live(sessions)
    assert len(planned) == 30
    assert planned[4]["date"] == "2026-10-12"  # lesson 5 moves to the next Monday
    assert planned[-1]["date"] == "2027-04-19"
    # Stale version: 409, nothing changes.
    again = lead_api.post(
        f"/api/v1/sessions/{planned[5]['id']}/cancel", json={"version": 1, "reason": "x"}
    )
    assert again.status_code == 409
    assert again.json()["current_version"] == 2


def test_reschedule_with_optimistic_locking(lead_api: TestClient, cohort: dict[str, Any]) -> None:
    first = cohort["sessions"][0]
    moved = lead_api.patch(
        f"/api/v1/sessions/{first['id']}",
        json={"version": 1, "date": "2026-09-08", "start_time": "17:00", "venue": "School library"},
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["date"], body["start_time"], body["venue"], body["version"]) == (
        "2026-09-08",
        "17:00:00",
        "School library",
        2,
    )
    stale = lead_api.patch(
        f"/api/v1/sessions/{first['id']}", json={"version": 1, "venue": "Elsewhere"}
    )
    assert stale.status_code == 409
    assert (
        lead_api.get(f"/api/v1/cohorts/{cohort['id']}/sessions").json()[0]["venue"]
        == "School library"
    )


def test_double_booking_a_facilitator_or_venue_is_409(
    lead_api: TestClient,
    cohort: dict[str, Any],
    cohort_body: dict[str, Any],
    people: People,
    db: Session,
) -> None:
    other_facilitator = people.add(people.facilitator.role, email="third@org-a.example.org")
    fourth = people.add(people.facilitator.role, email="fourth@org-a.example.org")
    db.commit()
    # Same time, same day, one shared facilitator: refused, naming the clash.
    clash = lead_api.post(
        "/api/v1/cohorts",
        json={
            **cohort_body,
            "name": "Clash",
            "venue": "Elsewhere",
            "facilitator_ids": [people.facilitator.id, other_facilitator.id],
        },
    )
    assert clash.status_code == 409
    assert "Monday group" in clash.json()["detail"]
    # Same venue and time with other facilitators: refused too.
    venue = lead_api.post(
        "/api/v1/cohorts",
        json={
            **cohort_body,
            "name": "Venue clash",
            "facilitator_ids": [other_facilitator.id, fourth.id],
        },
    )
    assert venue.status_code == 409
    assert "Community hall" in venue.json()["detail"]
    # Another evening is fine; moving one of its sessions onto the Monday slot clashes.
    tuesday = lead_api.post(
        "/api/v1/cohorts",
        json={
            **cohort_body,
            "name": "Tuesday group",
            "start_date": "2026-09-08",
            "facilitator_ids": [people.facilitator.id, other_facilitator.id],
        },
    )
    assert tuesday.status_code == 201, tuesday.text
    session = tuesday.json()["sessions"][0]
    moved = lead_api.patch(
        f"/api/v1/sessions/{session['id']}", json={"version": 1, "date": "2026-09-07"}
    )
    assert moved.status_code == 409
    assert "Monday group" in moved.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_time": "25:00"}, "start_time"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"duration_minutes": 29}, "duration_minutes"),
        ({"duration_minutes": 241}, "duration_minutes"),
        ({"facilitator_ids": []}, "facilitator_ids"),
        ({"name": ""}, "name"),
        ({"venue": "  "}, "venue"),
        ({"curriculum_id": 999999}, "curriculum_id"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_cohort_input_is_422_and_changes_nothing(
    lead_api: TestClient,
    cohort_body: dict[str, Any],
    db: Session,
    change: dict[str, Any],
    field: str,
) -> None:
    before = (count_rows(db, Cohort), count_rows(db, GroupSession))
    response = lead_api.post("/api/v1/cohorts", json={**cohort_body, **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in e["loc"] for e in response.json()["errors"])
    assert (count_rows(db, Cohort), count_rows(db, GroupSession)) == before


def test_facilitators_must_be_two_distinct_facilitators_of_the_organisation(
    lead_api: TestClient, cohort_body: dict[str, Any], people: People, db: Session
) -> None:
    f1 = people.facilitator.id
    for ids in ([f1], [f1, f1], [f1, people.mentor.id], [f1, people.other_lead.id], [f1, 999999]):
        response = lead_api.post("/api/v1/cohorts", json={**cohort_body, "facilitator_ids": ids})
        assert response.status_code == 422, ids
        assert response.json()["errors"][0]["loc"] == ["body", "facilitator_ids"]
    assert count_rows(db, Cohort) == 0


def test_duplicate_cohort_name_is_409(
    lead_api: TestClient, cohort: dict[str, Any], cohort_body: dict[str, Any]
) -> None:
    response = lead_api.post("/api/v1/cohorts", json={**cohort_body, "start_date": "2027-09-06"})
    assert response.status_code == 409


def test_creating_a_cohort_takes_a_fixed_number_of_statements(
    lead_api: TestClient, cohort_body: dict[str, Any], count_queries: CountQueries
) -> None:
    with count_queries() as counted:
        response = lead_api.post("/api/v1/cohorts", json=cohort_body)
    assert response.status_code == 201
    # Not 30 round trips: the sessions go in one multi-row INSERT.
    inserts = [
        s for s in counted.statements if s.lstrip().upper().startswith("INSERT INTO GROUP_SESSION")
    ]
    assert len(inserts) == 1
    assert counted.count <= 20, counted.statements


def test_cohort_page_queries_do_not_grow(
    lead_api: TestClient,
    cohort: dict[str, Any],
    make_child: MakeChild,
    count_queries: CountQueries,
) -> None:
    url = f"/api/v1/cohorts/{cohort['id']}"
    with count_queries() as few:
        lead_api.get(url)
    for _ in range(6):
        child = make_child()
        assert (
            lead_api.post(
                f"{url}/enrolments", json={"child_id": child["id"], "start_date": "2026-09-07"}
            ).status_code
            == 201
        )
    with count_queries() as many:
        assert lead_api.get(url).status_code == 200
    assert many.count == few.count


def test_facilitators_see_only_their_cohorts(
    signed: Signed, people: People, cohort: dict[str, Any], db: Session
) -> None:
    outsider = people.add(people.facilitator.role, email="outsider@org-a.example.org")
    db.commit()
    mine = signed.api(people.facilitator)
    assert [c["id"] for c in mine.get("/api/v1/cohorts").json()] == [cohort["id"]]
    assert mine.get(f"/api/v1/cohorts/{cohort['id']}").status_code == 200
    theirs = signed.api(outsider)
    assert theirs.get("/api/v1/cohorts").json() == []
    assert theirs.get(f"/api/v1/cohorts/{cohort['id']}").status_code == 404
    assert theirs.get(f"/api/v1/cohorts/{cohort['id']}/sessions").status_code == 404
    other_org = signed.api(people.other_lead)
    assert other_org.get(f"/api/v1/cohorts/{cohort['id']}").status_code == 404


def test_closure_for_one_cohort_and_bad_ranges(
    lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    response = lead_api.post(
        "/api/v1/closures",
        json={"date": "2026-09-14", "reason": "Hall booked", "cohort_id": cohort["id"]},
    )
    assert response.status_code == 201
    assert response.json()["cancelled_sessions"] == 1
    bad = lead_api.post(
        "/api/v1/closures", json={"date": "2026-09-20", "end_date": "2026-09-19", "reason": "x"}
    )
    assert bad.status_code == 422
    assert (
        lead_api.post("/api/v1/closures", json={"date": "not a date", "reason": "x"}).status_code
        == 422
    )
    other = lead_api.post(
        "/api/v1/closures", json={"date": "2026-09-21", "reason": "x", "cohort_id": 999999}
    )
    assert other.status_code == 422
    assert len(lead_api.get("/api/v1/closures").json()) == 1


def test_a_cohort_already_running_can_start_in_the_past(
    lead_api: TestClient, cohort_body: dict[str, Any]
) -> None:
    response = lead_api.post("/api/v1/cohorts", json={**cohort_body, "start_date": "2025-09-08"})
    assert response.status_code == 201
    assert response.json()["sessions"][0]["date"] == "2025-09-08"


def test_organisation_region_decides_the_bank_holidays(
    signed: Signed, people: People, lead_api: TestClient, cohort_body: dict[str, Any]
) -> None:
    admin = signed.api(people.admin)
    assert admin.get("/api/v1/organisation").json()["holiday_region"] == "england"
    for bad in (
        {"dosage_threshold": 1.5},
        {"holiday_region": "atlantis"},
        {"name": "x"},
        {"mentoring_hours_min": 5, "mentoring_hours_max": 4},
    ):
        assert admin.patch("/api/v1/organisation", json=bad).status_code == 422, bad
    assert (
        lead_api.patch("/api/v1/organisation", json={"holiday_region": "wales"}).status_code == 403
    )
    changed = admin.patch("/api/v1/organisation", json={"holiday_region": "scotland"})
    assert changed.status_code == 200
    dates = [
        s["date"] for s in lead_api.post("/api/v1/cohorts", json=cohort_body).json()["sessions"]
    ]
    assert "2026-11-30" not in dates  # St Andrew's Day, a Scottish bank holiday
    assert "2026-12-28" not in dates
    assert "2027-03-29" in dates  # Easter Monday is not a bank holiday in Scotland


def test_the_session_checklist_is_configurable(signed: Signed, people: People) -> None:
    admin = signed.api(people.admin)
    assert len(admin.get("/api/v1/organisation").json()["session_checklist"]) == 4
    too_many = admin.patch(
        "/api/v1/organisation", json={"session_checklist": [f"Check {n}" for n in range(11)]}
    )
    assert too_many.status_code == 422
    assert admin.patch("/api/v1/organisation", json={"session_checklist": [""]}).status_code == 422
    changed = admin.patch(
        "/api/v1/organisation", json={"session_checklist": ["Snack shared", "Calm ending"]}
    )
    assert changed.status_code == 200
    assert changed.json()["session_checklist"] == ["Snack shared", "Calm ending"]
