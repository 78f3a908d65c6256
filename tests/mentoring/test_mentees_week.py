"""The mentor's week as "my mentees" across programmes (issue 19): a mentee in FHF-PT as
before; a mentee of an Independent Visitor with the last and next visit and the month's
hours against the programme's monthly band, without a group block."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.support.clock import Clock
from tests.support.fixtures import MakeChild
from tests.support.mentoring import (
    AGREED,
    MakeMentor,
    Programme,
    earlier_today,
    make_match,
    mentor_user,
    programme_ids,
)
from tests.support.people import Signed
from tests.support.queries import CountQueries

# A Wednesday evening: the week runs Monday 30 November to Sunday 6 December 2026, across
# the end of November.
pytestmark = pytest.mark.clock("2026-12-02T20:00")
TODAY = dt.date(2026, 12, 2)


def visit(
    api: TestClient, match_id: int, day: dt.date, start: str, minutes: int, status: str
) -> dict[str, Any]:
    response = api.post(
        "/api/v1/visits",
        json={
            "match_id": match_id,
            "date": day.isoformat(),
            "start_time": start,
            "duration_minutes": minutes,
            "status": status,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_mentor_with_an_fhf_pt_mentee_and_an_independent_visitor_mentee(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    clock: Clock,
) -> None:
    fhf_id, iv_id = programme_ids(admin_api)
    mentor = make_mentor(name="Jo Mentor")
    user = mentor_user(db, mentor)
    api = signed.api(user)
    group_child = programme.children[0]
    older = make_child(first_name="Zara", date_of_birth="2012-05-01")
    group_match = make_match(
        lead_api, group_child["id"], mentor["user_id"], programme.start, programme_id=fhf_id
    )
    iv_match = make_match(
        lead_api, older["id"], mentor["user_id"], dt.date(2026, 6, 1), programme_id=iv_id, **AGREED
    )
    assert iv_match["programme_id"] == iv_id
    # The last day of November: this week's, not this month's.
    visit(api, iv_match["id"], dt.date(2026, 11, 30), "10:00", 60, "completed")
    visit(api, iv_match["id"], dt.date(2026, 12, 1), "10:00", 150, "completed")
    visit(api, iv_match["id"], dt.date(2026, 12, 20), "14:00", 60, "planned")
    visit(api, iv_match["id"], dt.date(2027, 1, 5), "14:00", 60, "planned")

    response = api.get("/api/v1/mentors/me/week")
    assert response.status_code == 200, response.text
    week = response.json()
    assert week["target_hours"] == [2, 4]
    by_match = {m["match_id"]: m for m in week["mentees"]}
    group, iv = by_match[group_match["id"]], by_match[iv_match["id"]]
    assert group["programme_id"] == fhf_id
    assert group["programme_kind"] == "group_and_mentoring"
    assert group["band"] == {"per": "week", "min_hours": 2.0, "max_hours": 4.0}
    assert (group["last_visit"], group["next_visit"], group["hours_this_month"]) == (
        None,
        None,
        None,
    )

    assert iv["programme_id"] == iv_id
    assert iv["programme_name"] == "Independent Visitors"
    assert iv["programme_kind"] == "independent_visitor"
    assert iv["band"] == {"per": "month", "min_hours": 1.0, "max_hours": 8.0}
    assert iv["last_session"] is None
    assert iv["assignments"] == []
    assert iv["hours_this_week"] == 3.5
    assert iv["hours_this_month"] == 2.5
    assert iv["in_band"] is True
    assert iv["target"] == "on_target"
    assert iv["last_visit"]["date"] == "2026-12-01"
    assert iv["last_visit"]["minutes"] == 150
    assert iv["last_visit"]["status"] == "completed"
    assert iv["next_visit"]["date"] == "2026-12-20"
    assert iv["next_visit"]["status"] == "planned"

    # The week of the last day of November counts November's hours.
    november = api.get("/api/v1/mentors/me/week?date=2026-11-30").json()
    iv_then = {m["match_id"]: m for m in november["mentees"]}[iv_match["id"]]
    assert iv_then["hours_this_month"] == 1.0

    page = signed.pages(user).get("/mentor")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert (
        "Last visit 1 December · next visit 20 December · 2.5 hours this month "
        "(at least 1 hour a month, at most 8)"
    ) in text
    # Two programmes: the page groups the mentees under each one's name.
    assert '<h2 class="govuk-heading-l tandem-programme-heading"' in page.text
    assert "Independent Visitors</h2>" in page.text
    assert "Fostering Healthy Futures (FHF-PT)</h2>" in page.text
    assert text.count("Last group session") == 1
    assert "Set a monthly visit slot" in text


def test_a_mentor_in_one_programme_sees_no_programme_names(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
) -> None:
    mentor = make_mentor()
    make_match(lead_api, programme.children[0]["id"], mentor["user_id"], programme.start)
    page = signed.pages(mentor_user(db, mentor)).get("/mentor")
    assert page.status_code == 200
    assert "Fostering Healthy Futures" not in page.text
    assert "tandem-programme-heading" not in page.text
    assert "Last group session" in page.text


def test_the_next_visit_is_a_planned_one_still_to_come(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    clock: Clock,
) -> None:
    _, iv_id = programme_ids(admin_api)
    mentor = make_mentor()
    api = signed.api(mentor_user(db, mentor))
    child = make_child(date_of_birth="2011-01-01")
    match = make_match(
        lead_api, child["id"], mentor["user_id"], TODAY, programme_id=iv_id, **AGREED
    )

    def mentee() -> dict[str, Any]:
        rows = api.get("/api/v1/mentors/me/week").json()["mentees"]
        assert len(rows) == 1
        found: dict[str, Any] = rows[0]
        return found

    assert (mentee()["last_visit"], mentee()["next_visit"]) == (None, None)
    assert mentee()["hours_this_month"] == 0
    assert mentee()["target"] == "below_target"  # nothing planned that could reach the band
    with earlier_today(clock, 9):
        past = visit(api, match["id"], TODAY, "18:00", 60, "planned")
        later = visit(api, match["id"], TODAY, "21:00", 60, "planned")
    cancelled = visit(api, match["id"], TODAY + dt.timedelta(days=1), "10:00", 60, "planned")
    response = api.patch(
        f"/api/v1/visits/{cancelled['id']}",
        json={"status": "cancelled", "version": cancelled["version"], "called_off_by": "child"},
    )
    assert response.status_code == 200, response.text
    # 18:00 has passed (it is 20:00): still planned, but not next. 21:00 is.
    assert mentee()["next_visit"]["visit_id"] == later["id"]
    assert mentee()["last_visit"] is None
    assert mentee()["target"] == "on_track"  # the planned hour would meet the band
    recorded = api.patch(
        f"/api/v1/visits/{past['id']}", json={"status": "missed", "version": past["version"]}
    )
    assert recorded.status_code == 200, recorded.text
    assert mentee()["last_visit"]["visit_id"] == past["id"]
    assert mentee()["last_visit"]["status"] == "missed"
    assert mentee()["hours_this_month"] == 0


def test_a_mentor_sees_only_their_own_mentees(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    make_mentor: MakeMentor,
    make_child: MakeChild,
) -> None:
    _, iv_id = programme_ids(admin_api)
    mine, theirs = make_mentor(), make_mentor()
    my_api = signed.api(mentor_user(db, mine))
    their_api = signed.api(mentor_user(db, theirs))
    their_child = make_child(date_of_birth="2010-02-02")
    their_match = make_match(
        lead_api, their_child["id"], theirs["user_id"], TODAY, programme_id=iv_id, **AGREED
    )
    their_visit = visit(their_api, their_match["id"], TODAY, "10:00", 60, "completed")
    assert my_api.get("/api/v1/mentors/me/week").json()["mentees"] == []
    assert my_api.get(f"/api/v1/visits/{their_visit['id']}").status_code == 404
    assert my_api.get(f"/api/v1/matches/{their_match['id']}").status_code == 404
    page = signed.pages(mentor_user(db, mine))
    assert page.get(f"/visits/{their_visit['id']}").status_code == 404
    assert their_child["first_name"] not in page.get("/mentor").text


def test_the_week_runs_the_same_statements_for_few_or_many_across_programmes(
    admin_api: TestClient,
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    count_queries: CountQueries,
) -> None:
    fhf_id, iv_id = programme_ids(admin_api)
    mentor = make_mentor(max_caseload=4)
    api = signed.api(mentor_user(db, mentor))

    def measure() -> tuple[int, int, int]:
        db.expire_all()
        with count_queries() as counted:
            response = api.get("/api/v1/mentors/me/week")
        assert response.status_code == 200
        mentees = response.json()["mentees"]
        return counted.count, len(mentees), sum(len(m["visits"]) for m in mentees)

    slots = iter(range(8, 20))

    def add(child_id: int, programme_id: int, start: dt.date) -> None:
        agreed = AGREED if programme_id == iv_id else {}
        match = make_match(
            lead_api, child_id, mentor["user_id"], start, programme_id=programme_id, **agreed
        )
        if programme_id == iv_id:
            at = f"{next(slots):02d}:00"  # the mentor's visits never overlap
            visit(api, match["id"], dt.date(2026, 12, 1), at, 60, "completed")
            visit(api, match["id"], dt.date(2026, 12, 3), at, 60, "planned")

    add(programme.children[0]["id"], fhf_id, programme.start)
    add(make_child(date_of_birth="2012-01-01")["id"], iv_id, dt.date(2026, 9, 1))
    few = measure()
    for child in programme.children[1:3]:
        add(child["id"], fhf_id, programme.start)
    for _ in range(3):
        add(make_child(date_of_birth="2012-01-01")["id"], iv_id, dt.date(2026, 9, 1))
    many = measure()
    assert many[1:] == (7, 8)
    assert few[1:] == (2, 2)
    assert many[0] == few[0]
