"""Matching in each programme (issue 19): the caseload counted per programme, a child with a
mentor in FHF-PT and an Independent Visitor at once, the programme's ages (an override needs
a reason), an Independent Visitor only for a child who wants one, early endings, practice
tasks only to the mentor in the group's programme, and who sees what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.mentoring.models import Match
from app.mentoring.shared import ended_early, reached_expected
from app.sessions.models import PracticeAssignment
from tests.support.mentoring import MakeMentor, Mentees, make_match, mentor_user, record
from tests.support.people import People, Signed
from tests.support.rows import audit_count, count_rows

MakeChild = Callable[..., dict[str, Any]]

# Children from make_child are born on 1 March 2016: 11 on this day, inside FHF-PT's 9 to 11.
pytestmark = pytest.mark.clock("2027-03-10T10:00")
TODAY = dt.date(2027, 3, 10)
AGREED = {"child_agreed_on": "2027-02-20", "child_agreed_how": "asked at their LAC review"}


def add_programme(admin_api: TestClient, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Independent Visitors",
        "kind": "independent_visitor",
        "caseload_max": 1,
        "visit_band": {"per": "month", "min_hours": 1, "max_hours": 6},
        "age_min": 5,
        "age_max": 17,
        "match_length_months": None,
        **overrides,
    }
    response = admin_api.post("/api/v1/programmes", json=body)
    assert response.status_code == 201, response.text
    programme: dict[str, Any] = response.json()
    return programme


def fhf_pt(lead_api: TestClient) -> dict[str, Any]:
    programmes = lead_api.get("/api/v1/programmes").json()
    found: dict[str, Any] = next(p for p in programmes if p["kind"] == "group_and_mentoring")
    return found


@pytest.fixture
def iv(admin_api: TestClient) -> dict[str, Any]:
    return add_programme(admin_api)


def suggested(api: TestClient, child_id: int, programme_id: int) -> dict[int, dict[str, Any]]:
    response = api.get(
        f"/api/v1/children/{child_id}/mentor-suggestions", params={"programme_id": programme_id}
    )
    assert response.status_code == 200, response.text
    return {s["mentor_id"]: s for s in response.json()}


# The caseload, per programme -----------------------------------------------------------------


def test_a_mentor_full_in_fhf_pt_can_still_take_an_independent_visitor_child(
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    iv: dict[str, Any],
    db: Session,
) -> None:
    fhf = fhf_pt(lead_api)
    mentor = make_mentor(max_caseload=2)
    mid = mentor["user_id"]
    for _ in range(2):
        make_match(lead_api, make_child()["id"], mid, TODAY, programme_id=fhf["id"])
    child, second = make_child(), make_child()
    # Full in FHF-PT: not on FHF-PT's shortlist, but on the Independent Visitors' one, with
    # that programme's count and limit.
    assert mid not in suggested(lead_api, child["id"], fhf["id"])
    listed = suggested(lead_api, child["id"], iv["id"])[mid]
    assert (listed["active_matches"], listed["max_caseload"]) == (0, 1)
    refused = lead_api.post(
        "/api/v1/matches",
        json={"child_id": child["id"], "mentor_id": mid, "start_date": str(TODAY)},
    )
    assert refused.status_code == 422  # two programmes: say which
    assert refused.json()["errors"][0]["loc"][-1] == "programme_id"
    match = make_match(lead_api, child["id"], mid, TODAY, programme_id=iv["id"], **AGREED)
    assert match["programme_id"] == iv["id"]
    assert match["programme_name"] == "Independent Visitors"
    # Full in the Independent Visitors (their limit is 1): 409, nothing stored.
    before = count_rows(db, Match)
    full = lead_api.post(
        "/api/v1/matches",
        json={
            "child_id": second["id"],
            "mentor_id": mid,
            "start_date": str(TODAY),
            "programme_id": iv["id"],
            **AGREED,
        },
    )
    assert full.status_code == 409, full.text
    assert "Independent Visitors" in full.json()["detail"]
    assert count_rows(db, Match) == before
    assert mid not in suggested(lead_api, second["id"], iv["id"])
    # The profile's own limit still holds in each programme: it cannot go below 2 (FHF-PT's
    # count), though the mentor has 3 active matches in all.
    lowered = lead_api.patch(f"/api/v1/mentors/{mid}", json={"max_caseload": 1})
    assert lowered.status_code == 422
    assert lead_api.patch(f"/api/v1/mentors/{mid}", json={"max_caseload": 2}).status_code == 200


def test_a_child_has_an_fhf_pt_mentor_and_an_independent_visitor_at_once(
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    iv: dict[str, Any],
    db: Session,
) -> None:
    fhf = fhf_pt(lead_api)
    child = make_child()
    mentor, visitor, another = make_mentor(), make_mentor(), make_mentor()
    first = make_match(lead_api, child["id"], mentor["user_id"], TODAY, programme_id=fhf["id"])
    second = make_match(
        lead_api, child["id"], visitor["user_id"], TODAY, programme_id=iv["id"], **AGREED
    )
    active = lead_api.get(
        "/api/v1/matches", params={"child_id": child["id"], "active": True}
    ).json()
    assert {(m["id"], m["programme_id"]) for m in active} == {
        (first["id"], fhf["id"]),
        (second["id"], iv["id"]),
    }
    only_iv = lead_api.get(
        "/api/v1/matches", params={"child_id": child["id"], "programme_id": iv["id"]}
    ).json()
    assert [m["id"] for m in only_iv] == [second["id"]]
    # Still one at a time in each programme.
    again = lead_api.post(
        "/api/v1/matches",
        json={
            "child_id": child["id"],
            "mentor_id": another["user_id"],
            "start_date": str(TODAY),
            "programme_id": iv["id"],
            **AGREED,
        },
    )
    assert again.status_code == 409, again.text
    assert count_rows(db, Match) == 2


# Ages ----------------------------------------------------------------------------------------


def test_a_child_outside_the_programmes_ages_needs_a_reason(
    lead_api: TestClient,
    admin_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    db: Session,
) -> None:
    teens = add_programme(
        admin_api,
        name="Teen befriending",
        kind="befriending",
        caseload_max=2,
        age_min=12,
        age_max=17,
        match_length_months=12,
    )
    child, mentor = make_child(), make_mentor()
    body = {
        "child_id": child["id"],
        "mentor_id": mentor["user_id"],
        "start_date": str(TODAY),
        "programme_id": teens["id"],
    }
    matches, events = count_rows(db, Match), audit_count(db)
    refused = lead_api.post("/api/v1/matches", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["loc"][-1] for e in refused.json()["errors"]] == ["age_override"]
    assert "11" in refused.json()["detail"]
    blank = lead_api.post("/api/v1/matches", json={**body, "age_override": "   "})
    assert blank.status_code == 422
    assert (count_rows(db, Match), audit_count(db)) == (matches, events)
    reason = "Moving up to secondary school with her friends in the group"
    response = lead_api.post("/api/v1/matches", json={**body, "age_override": reason})
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["age_override"] == reason
    assert db.get(Match, made["id"]).age_override == reason  # type: ignore[union-attr]
    event = db.exec(
        select(AuditEvent).where(AuditEvent.entity == "match", AuditEvent.entity_id == made["id"])
    ).one()
    assert event.changes["age_override"] == [None, reason]
    assert event.changes["programme_id"] == [None, teens["id"]]


@pytest.mark.clock("2028-03-10T10:00")
def test_the_age_is_judged_on_the_start_date(
    lead_api: TestClient, make_mentor: MakeMentor, make_child: MakeChild
) -> None:
    # Born 1 March 2016: 12 from 1 March 2028, outside FHF-PT's 9 to 11; 11 the day before.
    child, mentor = make_child(), make_mentor()
    body = {"child_id": child["id"], "mentor_id": mentor["user_id"]}
    late = lead_api.post("/api/v1/matches", json={**body, "start_date": "2028-03-01"})
    assert late.status_code == 422
    assert late.json()["errors"][0]["loc"][-1] == "age_override"
    early = make_match(lead_api, child["id"], mentor["user_id"], dt.date(2028, 2, 29))
    assert early["age_override"] is None


# An Independent Visitor is for a child who wants one -----------------------------------------


def test_an_independent_visitor_needs_the_childs_agreement(
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    iv: dict[str, Any],
    db: Session,
) -> None:
    child, visitor = make_child(), make_mentor()
    body = {
        "child_id": child["id"],
        "mentor_id": visitor["user_id"],
        "start_date": str(TODAY),
        "programme_id": iv["id"],
    }
    matches, events = count_rows(db, Match), audit_count(db)
    cases = [
        ({}, ["child_agreed_on", "child_agreed_how"]),  # both named at once
        ({"child_agreed_how": "asked at their LAC review"}, ["child_agreed_on"]),
        ({"child_agreed_on": "2027-02-20"}, ["child_agreed_how"]),
        ({**AGREED, "child_agreed_on": "2027-03-11"}, ["child_agreed_on"]),  # the future
        ({**AGREED, "child_agreed_on": "2026-03-09"}, ["child_agreed_on"]),  # over a year before
    ]
    for extra, fields in cases:
        response = lead_api.post("/api/v1/matches", json={**body, **extra})
        assert response.status_code == 422, (extra, response.text)
        assert [e["loc"][-1] for e in response.json()["errors"]] == fields, extra
    assert (count_rows(db, Match), audit_count(db)) == (matches, events)
    response = lead_api.post("/api/v1/matches", json={**body, **AGREED})
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["child_agreed_on"], made["child_agreed_how"]) == (
        "2027-02-20",
        "asked at their LAC review",
    )
    event = db.exec(
        select(AuditEvent).where(AuditEvent.entity == "match", AuditEvent.entity_id == made["id"])
    ).one()
    assert event.changes["child_agreed_on"] == [None, "2027-02-20"]
    assert event.changes["child_agreed_how"] == [None, "asked at their LAC review"]


def test_other_kinds_may_record_the_childs_agreement(
    lead_api: TestClient, make_mentor: MakeMentor, make_child: MakeChild
) -> None:
    plain = make_match(lead_api, make_child()["id"], make_mentor()["user_id"], TODAY)
    assert (plain["child_agreed_on"], plain["child_agreed_how"]) == (None, None)
    recorded = make_match(lead_api, make_child()["id"], make_mentor()["user_id"], TODAY, **AGREED)
    assert recorded["child_agreed_how"] == "asked at their LAC review"


# Early endings -------------------------------------------------------------------------------


def test_a_match_ended_before_the_expected_length_is_flagged(
    lead_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    iv: dict[str, Any],
) -> None:
    fhf = fhf_pt(lead_api)
    assert fhf["match_length_months"] == 6
    start = dt.date(2026, 9, 10)  # six months on: 10 March 2027, today

    def ended(end: dt.date, programme: dict[str, Any], **extra: Any) -> dict[str, Any]:
        match = make_match(
            lead_api,
            make_child()["id"],
            make_mentor()["user_id"],
            start,
            programme_id=programme["id"],
            **extra,
        )
        assert match["ended_early"] is None  # active
        response = lead_api.post(
            f"/api/v1/matches/{match['id']}/end",
            json={"end_date": str(end), "reason": "child_request", "ended_by": "young_person"},
        )
        assert response.status_code == 200, response.text
        out: dict[str, Any] = response.json()
        return out

    early = ended(dt.date(2027, 3, 9), fhf)
    assert early["ended_early"] is True
    assert early["ended_by"] == "young_person"
    assert ended(TODAY, fhf)["ended_early"] is False
    # Open-ended: no ending is early.
    assert (
        ended(dt.date(2026, 10, 1), iv, child_agreed_on="2026-09-01", child_agreed_how="x")[
            "ended_early"
        ]
        is None
    )
    listed = {m["id"]: m["ended_early"] for m in lead_api.get("/api/v1/matches").json()}
    assert listed[early["id"]] is True


@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31)),
    months=st.integers(min_value=1, max_value=60),
    days=st.integers(min_value=0, max_value=60 * 31 + 5),
)
def test_reached_expected_against_stepping_through_the_calendar(
    start: dt.date, months: int, days: int
) -> None:
    """The plain reading: step month by month from the start (year and month only), then
    take the start's day or the last day of that month if it is shorter; the match has
    reached its length when its end is on or after that day."""
    end = start + dt.timedelta(days=days)
    year, month = start.year, start.month
    for _ in range(months):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = start.day
    while True:
        try:
            target = dt.date(year, month, day)
            break
        except ValueError:
            day -= 1
    assert reached_expected(start, end, months) == (end >= target)
    assert ended_early(start, end, months) is (end < target)
    assert ended_early(start, None, months) is None
    assert ended_early(start, end, None) is None


def test_reached_expected_on_awkward_days() -> None:
    assert reached_expected(dt.date(2026, 8, 31), dt.date(2027, 2, 28), 6)
    assert not reached_expected(dt.date(2026, 8, 31), dt.date(2027, 2, 27), 6)
    assert reached_expected(dt.date(2027, 8, 31), dt.date(2028, 2, 29), 6)
    assert not reached_expected(dt.date(2027, 8, 31), dt.date(2028, 2, 28), 6)
    assert reached_expected(dt.date(2024, 2, 29), dt.date(2025, 2, 28), 12)


# Practice tasks go to the mentor in the cohort's programme ----------------------------------


def _open_tasks(db: Session, child_id: int) -> list[PracticeAssignment]:
    db.expire_all()
    return list(
        db.exec(
            select(PracticeAssignment)
            .where(PracticeAssignment.child_id == child_id)
            .order_by(col(PracticeAssignment.id))
        ).all()
    )


@pytest.mark.clock("2027-03-10T18:00")
def test_practice_tasks_go_only_to_the_mentor_in_the_groups_programme(
    mentees: Mentees,
    admin_api: TestClient,
    make_mentor: MakeMentor,
    people: People,
    signed: Signed,
    db: Session,
) -> None:
    lead_api = mentees.lead_api
    iv = add_programme(admin_api, caseload_max=2)
    visitor = make_mentor(name="Val Visitor")
    vid = visitor["user_id"]
    today = mentees.today
    agreed = {"child_agreed_on": str(today), "child_agreed_how": "told their social worker"}
    # Amira keeps her FHF-PT mentor and gains an Independent Visitor: her open tasks stay
    # with the mentor.
    amira_tasks = [t.mentor_id for t in _open_tasks(db, mentees.amira["id"])]
    assert amira_tasks
    assert set(amira_tasks) == {people.mentor.id}
    made = make_match(lead_api, mentees.amira["id"], vid, today, programme_id=iv["id"], **agreed)
    assert [t.mentor_id for t in _open_tasks(db, mentees.amira["id"])] == amira_tasks
    # Ben's FHF-PT match ends; then he gets only an Independent Visitor: his open tasks are
    # left unassigned, not handed to the visitor.
    ended = lead_api.post(
        f"/api/v1/matches/{mentees.ben_match}/end",
        json={"end_date": str(today), "reason": "mentor_left", "ended_by": "mentor"},
    )
    assert ended.status_code == 200, ended.text
    make_match(lead_api, mentees.ben["id"], vid, today, programme_id=iv["id"], **agreed)
    ben_tasks = _open_tasks(db, mentees.ben["id"])
    assert ben_tasks
    assert {t.mentor_id for t in ben_tasks} == {None}
    event = db.exec(
        select(AuditEvent).where(AuditEvent.entity == "match", AuditEvent.entity_id == made["id"])
    ).one()
    assert event.changes["assignments_moved"] == [None, 0]
    # The group's next session: Amira's new tasks go to her FHF-PT mentor, Ben's to nobody.
    second = mentees.cohort["sessions"][1]
    record(lead_api, second["id"], people.facilitator.id or 0)
    new_amira = [t for t in _open_tasks(db, mentees.amira["id"]) if t.session_id == second["id"]]
    new_ben = [t for t in _open_tasks(db, mentees.ben["id"]) if t.session_id == second["id"]]
    assert new_amira
    assert {t.mentor_id for t in new_amira} == {people.mentor.id}
    assert new_ben
    assert {t.mentor_id for t in new_ben} == {None}
    # The visitor's task list is empty; the FHF-PT mentor's has Amira's.
    visitor_api = signed.api(mentor_user(db, visitor))
    assert visitor_api.get("/api/v1/assignments").json() == []
    mentors = {a["child_id"] for a in mentees.mentor_api.get("/api/v1/assignments").json()}
    assert mentors == {mentees.amira["id"]}


# Who sees what -------------------------------------------------------------------------------


def test_a_mentor_sees_only_their_own_mentees_matches(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    iv: dict[str, Any],
) -> None:
    child = make_child()
    mentor, visitor = make_mentor(), make_mentor()
    fhf = fhf_pt(lead_api)
    fhf_match = make_match(lead_api, child["id"], mentor["user_id"], TODAY, programme_id=fhf["id"])
    iv_match = make_match(
        lead_api, child["id"], visitor["user_id"], TODAY, programme_id=iv["id"], **AGREED
    )
    visitor_api = signed.api(mentor_user(db, visitor))
    assert [m["id"] for m in visitor_api.get("/api/v1/matches").json()] == [iv_match["id"]]
    assert visitor_api.get(f"/api/v1/matches/{fhf_match['id']}").status_code == 404
    assert visitor_api.get(f"/api/v1/matches/{iv_match['id']}").status_code == 200
    suggestions = visitor_api.get(
        f"/api/v1/children/{child['id']}/mentor-suggestions", params={"programme_id": iv["id"]}
    )
    assert suggestions.status_code == 403
