"""My week tells the truth about the week shown: an earlier week lists only practice tasks
from group sessions on or before its end, and the hours tag warns "Below target" only once
the week's completed and still-planned visits cannot reach the band (or the week is over
and they did not). The API (`target`, `hours_planned`) and the page agree."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.mentoring.models import MentorVisit, VisitStatus
from app.mentoring.schemas import WeekTarget
from app.mentoring.week.service import week_target
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

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LABELS = {
    "on_track": "On track",
    "on_target": "On target",
    "above_target": "Above target",
    "below_target": "Below target",
}


def week_start(day: dt.date) -> dt.date:
    return day - day.weekday() * DAY


def mentee_section(html: str, match_id: int) -> str:
    return html.split(f'id="mentee-{match_id}"')[1].split("</section>")[0]


def tag_of(section: str) -> str:
    found = re.search(r"hours</strong> logged <strong class=\"govuk-tag [^\"]+\">([^<]+)<", section)
    assert found, section
    return found.group(1)


# Tasks of an earlier week ------------------------------------------------------------------


@pytest.fixture
def two_recorded(
    lead_api: TestClient,
    people: People,
    programme: Programme,
    make_mentor: MakeMentor,
    db: Session,
    today: dt.date,
) -> dict[str, Any]:
    """A mentor matched with the first child; two group sessions before today recorded,
    in different weeks, with an unrecorded one between them."""
    child = programme.children[0]
    mentor = make_mentor()
    match = make_match(lead_api, child["id"], mentor["user_id"], programme.start)
    before_today = [s for s in programme.sessions(lead_api) if s["date"] < today.isoformat()]
    assert len(before_today) >= 3, before_today
    early, late = before_today[-3], before_today[-1]
    record(lead_api, early["id"], people.facilitator.id)
    record(lead_api, late["id"], people.facilitator.id)
    return {
        "child": child,
        "mentor": mentor_user(db, mentor),
        "match": match,
        "early": early,
        "late": late,
    }


def test_an_earlier_weeks_tasks_stop_at_its_end(
    signed: Signed, two_recorded: dict[str, Any]
) -> None:
    api = signed.api(two_recorded["mentor"])
    early, late = two_recorded["early"], two_recorded["late"]
    # Any day of the early session's week shows the same tasks: its own and older ones.
    first_day = week_start(dt.date.fromisoformat(early["date"]))
    for day in (first_day, first_day + 3 * DAY, first_day + 6 * DAY):
        week = api.get(f"/api/v1/mentors/me/week?date={day}").json()
        (mentee,) = week["mentees"]
        sessions = {a["session_id"] for a in mentee["assignments"]}
        assert sessions == {early["id"]}, day
        assert all(a["session_date"] <= week["week_end"] for a in mentee["assignments"])
    # This week still lists every open task, the later group's too.
    (mentee,) = api.get("/api/v1/mentors/me/week").json()["mentees"]
    assert {a["session_id"] for a in mentee["assignments"]} == {early["id"], late["id"]}
    # And the week of the later session lists both as well.
    (mentee,) = api.get(f"/api/v1/mentors/me/week?date={late['date']}").json()["mentees"]
    assert {a["session_id"] for a in mentee["assignments"]} == {early["id"], late["id"]}


def test_an_earlier_week_page_lists_no_later_task(
    signed: Signed, two_recorded: dict[str, Any]
) -> None:
    pages = signed.pages(two_recorded["mentor"])
    early, late = two_recorded["early"], two_recorded["late"]
    html = pages.get(f"/mentor?date={early['date']}").text
    section = mentee_section(html, two_recorded["match"]["id"])
    assert f"From week {early['week']}," in section
    assert f"From week {late['week']}," not in section
    assert "Earlier tasks still open" not in section  # one group's tasks only
    now = mentee_section(pages.get("/mentor").text, two_recorded["match"]["id"])
    assert f"From week {late['week']}," in now
    assert f"From week {early['week']}," in now


def test_my_week_is_for_mentors_and_a_bad_date_is_refused(
    signed: Signed, people: People, two_recorded: dict[str, Any]
) -> None:
    early = two_recorded["early"]
    assert (
        signed.api(people.lead).get(f"/api/v1/mentors/me/week?date={early['date']}").status_code
        == 403
    )
    assert signed.pages(people.lead).get(f"/mentor?date={early['date']}").status_code == 403
    api = signed.api(two_recorded["mentor"])
    bad = api.get("/api/v1/mentors/me/week?date=last-week")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][-1] == "date"
    page = signed.pages(two_recorded["mentor"]).get("/mentor?date=last-week")
    assert page.status_code == 422
    assert "That is not a real date. This week is shown instead." in page.text


# The hours tag -----------------------------------------------------------------------------


@pytest.fixture
def mentee(
    lead_api: TestClient,
    programme: Programme,
    make_mentor: MakeMentor,
    db: Session,
) -> dict[str, Any]:
    mentor = make_mentor()
    match = make_match(lead_api, programme.children[0]["id"], mentor["user_id"], programme.start)
    return {"mentor": mentor_user(db, mentor), "match": match}


def add_visits(db: Session, mentee: dict[str, Any], rows: list[tuple[dt.date, int, str]]) -> None:
    """Visits straight into the table ((date, minutes, status) rows): the week reads what is
    on record, whatever the time of day the test runs at."""
    match, mentor = mentee["match"], mentee["mentor"]
    for n, (day, minutes, status) in enumerate(rows):
        db.add(
            MentorVisit(
                org_id=mentor.org_id,
                match_id=match["id"],
                programme_id=match["programme_id"],
                mentor_id=mentor.id,
                child_id=match["child_id"],
                date=day,
                start_time=dt.time(8 + n),
                minutes=minutes,
                status=VisitStatus(status),
                created_by=mentor.id,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    db.commit()


# (rows in the week shown: (day of the week 0-6, minutes, status)), target, planned hours
THIS_WEEK = [
    pytest.param([(0, 60, "completed"), (6, 90, "planned")], "on_track", 1.5, id="can-reach"),
    pytest.param([(6, 180, "planned")], "on_track", 3.0, id="all-planned"),
    pytest.param([(0, 60, "completed"), (6, 30, "planned")], "below_target", 0.5, id="short"),
    pytest.param([(0, 60, "completed"), (1, 120, "missed")], "below_target", 0.0, id="missed"),
    pytest.param([(0, 60, "completed"), (1, 120, "cancelled")], "below_target", 0, id="off"),
    pytest.param([], "below_target", 0.0, id="nothing-planned"),
    pytest.param([(0, 150, "completed")], "on_target", 0.0, id="met"),
    pytest.param([(0, 120, "completed"), (6, 60, "planned")], "on_target", 1.0, id="exactly"),
    pytest.param([(0, 300, "completed")], "above_target", 0.0, id="above"),
]


@pytest.mark.parametrize(("rows", "target", "planned"), THIS_WEEK)
def test_this_weeks_tag(
    signed: Signed,
    db: Session,
    mentee: dict[str, Any],
    today: dt.date,
    rows: list[tuple[int, int, str]],
    target: str,
    planned: float,
) -> None:
    monday = week_start(today)
    add_visits(db, mentee, [(monday + n * DAY, minutes, status) for n, minutes, status in rows])
    (week,) = signed.api(mentee["mentor"]).get("/api/v1/mentors/me/week").json()["mentees"]
    assert (week["target"], week["hours_planned"]) == (target, planned)
    html = signed.pages(mentee["mentor"]).get("/mentor").text
    assert tag_of(mentee_section(html, mentee["match"]["id"])) == LABELS[target]


LAST_WEEK = [
    # Over: what is still "planned" never happened on record.
    pytest.param([(0, 60, "completed"), (6, 120, "planned")], "below_target", id="unrecorded"),
    pytest.param([(2, 150, "completed")], "on_target", id="met"),
    pytest.param([(2, 300, "completed")], "above_target", id="above"),
]


@pytest.mark.parametrize(("rows", "target"), LAST_WEEK)
def test_a_past_weeks_tag(
    signed: Signed,
    db: Session,
    mentee: dict[str, Any],
    today: dt.date,
    rows: list[tuple[int, int, str]],
    target: str,
) -> None:
    monday = week_start(today) - WEEK
    add_visits(db, mentee, [(monday + n * DAY, minutes, status) for n, minutes, status in rows])
    url = f"/api/v1/mentors/me/week?date={monday + 3 * DAY}"
    (week,) = signed.api(mentee["mentor"]).get(url).json()["mentees"]
    assert week["target"] == target
    html = signed.pages(mentee["mentor"]).get(f"/mentor?date={monday}").text
    assert tag_of(mentee_section(html, mentee["match"]["id"])) == LABELS[target]


def test_the_tag_follows_the_organisations_band(
    signed: Signed, people: People, db: Session, mentee: dict[str, Any], today: dt.date
) -> None:
    monday = week_start(today)
    add_visits(db, mentee, [(monday, 60, "completed"), (monday + 6 * DAY, 30, "planned")])
    api = signed.api(mentee["mentor"])
    assert api.get("/api/v1/mentors/me/week").json()["mentees"][0]["target"] == "below_target"
    admin = signed.api(people.admin)
    changed = admin.patch(
        "/api/v1/organisation", json={"mentoring_hours_min": 1, "mentoring_hours_max": 3}
    )
    assert changed.status_code == 200, changed.text
    assert api.get("/api/v1/mentors/me/week").json()["mentees"][0]["target"] == "on_target"
    html = signed.pages(mentee["mentor"]).get("/mentor").text
    assert tag_of(mentee_section(html, mentee["match"]["id"])) == "On target"


def test_the_rule_itself() -> None:
    """`week_target` on its own, at the edges: the band's ends are in it, and the day
    after the week's Sunday is when a week is over."""
    sunday = dt.date(2027, 3, 14)

    def target(done: int, planned: int, today: dt.date = sunday) -> WeekTarget:
        return week_target(
            completed_minutes=done,
            planned_minutes=planned,
            band=(2, 4),
            week_end=sunday,
            today=today,
        )

    assert target(119, 1) == WeekTarget.on_track
    assert target(119, 0) == WeekTarget.below_target
    assert target(0, 120) == WeekTarget.on_track
    assert target(0, 119) == WeekTarget.below_target
    assert target(120, 0) == WeekTarget.on_target
    assert target(240, 0) == WeekTarget.on_target
    assert target(241, 0) == WeekTarget.above_target
    assert target(119, 600, today=sunday + DAY) == WeekTarget.below_target
    assert target(120, 0, today=sunday + DAY) == WeekTarget.on_target
    # A week still to come: the visits planned for it decide.
    assert target(0, 180, today=sunday - WEEK) == WeekTarget.on_track
    assert target(0, 60, today=sunday - WEEK) == WeekTarget.below_target
