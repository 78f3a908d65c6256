"""A mentor's calendar feed: their mentees' group sessions and their own visits, first names
only (organisation A chose first names here: the default, references, and initials are
tests/notify/test_calendar_privacy.py's), cancellations sent as STATUS:CANCELLED, a fixed
number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import Session

from app.auth.models import CalendarChildLabel, Role
from app.calendar import service as feeds
from tests.support.mentoring import Mentees
from tests.support.people import People, Signed


@pytest.fixture(autouse=True)
def first_names(db: Session, people: People) -> None:
    people.org.calendar_child_label = CalendarChildLabel.first_name
    db.add(people.org)
    db.commit()


def _feed(client: TestClient, api: TestClient) -> tuple[Calendar, str]:
    url = api.get("/api/v1/me/calendar").json()["url"]
    response = client.get(url.split("testserver", 1)[1])
    assert response.status_code == 200, response.text
    return Calendar.from_ical(response.content), response.text


def _events(calendar: Calendar) -> dict[str, Any]:
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_a_mentor_sees_their_mentees_sessions_and_their_visits(
    client: TestClient, mentees: Mentees
) -> None:
    today = mentees.today
    planned = mentees.visit(mentees.amira_match, today + dt.timedelta(days=1), "15:00", "planned")
    done = mentees.visit(
        mentees.ben_match, today - dt.timedelta(days=1), "10:00", "completed", minutes=90
    )
    cancelled = mentees.visit(mentees.amira_match, today + dt.timedelta(days=2), "15:00", "planned")
    response = mentees.mentor_api.patch(
        f"/api/v1/visits/{cancelled['id']}", json={"version": 1, "status": "cancelled"}
    )
    assert response.status_code == 200, response.text
    week1 = mentees.cohort["sessions"][0]
    mentees.lead_api.post(
        f"/api/v1/sessions/{mentees.cohort['sessions'][5]['id']}/cancel",
        json={"version": 1, "reason": "Snow"},
    )
    calendar, text = _feed(client, mentees.mentor_api)
    events = _events(calendar)

    # The group's sessions, once each although both mentees are in the cohort.
    sessions = [e for uid, e in events.items() if uid.startswith("group-session-")]
    assert len(sessions) == 31  # 30 lessons and the cancelled occurrence
    first = events[f"group-session-{week1['id']}@tandem"]
    assert str(first["summary"]).startswith("Monday group (Amira, Ben): week 1")
    assert first.decoded("dtstart") == dt.datetime.combine(
        mentees.first, dt.time(16), tzinfo=ZoneInfo("Europe/London")
    )
    assert sum(1 for e in sessions if str(e["status"]) == "CANCELLED") == 1

    # The visits: first names only, a stable UID, SEQUENCE the visit's version.
    visit = events[f"mentor-visit-{planned['id']}@tandem"]
    assert str(visit["summary"]) == "Visit: Amira"
    assert str(visit["status"]) == "CONFIRMED"
    start = visit.decoded("dtstart")
    assert (start.date(), start.hour, str(start.tzinfo)) == (
        today + dt.timedelta(days=1),
        15,
        "Europe/London",
    )
    assert visit.decoded("dtend") - start == dt.timedelta(minutes=60)
    assert int(visit["sequence"]) == 1
    assert str(events[f"mentor-visit-{done['id']}@tandem"]["summary"]) == "Visit: Ben"
    gone = events[f"mentor-visit-{cancelled['id']}@tandem"]
    assert (str(gone["status"]), int(gone["sequence"])) == ("CANCELLED", 2)
    # Nothing beyond first names: no references, no summaries of what was done.
    for child in (mentees.amira, mentees.ben):
        assert child["reference"] not in text
    assert "SUMMARY:Visit: " in text


def test_a_moved_visit_keeps_its_uid_with_a_higher_sequence(
    client: TestClient, mentees: Mentees
) -> None:
    day = mentees.today + dt.timedelta(days=3)
    planned = mentees.visit(mentees.amira_match, day, "15:00", "planned")
    moved = mentees.mentor_api.patch(
        f"/api/v1/visits/{planned['id']}", json={"version": 1, "start_time": "17:00"}
    )
    assert moved.status_code == 200, moved.text
    event = _events(_feed(client, mentees.mentor_api)[0])[f"mentor-visit-{planned['id']}@tandem"]
    assert (event.decoded("dtstart").hour, int(event["sequence"])) == (17, 2)


def test_an_ended_match_leaves_the_feed(client: TestClient, mentees: Mentees) -> None:
    mentees.visit(mentees.ben_match, mentees.today - dt.timedelta(days=1), "10:00", "completed")
    response = mentees.lead_api.post(
        f"/api/v1/matches/{mentees.ben_match}/end",
        json={"end_date": mentees.today.isoformat(), "reason": "child_moved"},
    )
    assert response.status_code == 200, response.text
    calendar, text = _feed(client, mentees.mentor_api)
    assert "Visit: Ben" not in text
    first = _events(calendar)[f"group-session-{mentees.cohort['sessions'][0]['id']}@tandem"]
    assert str(first["summary"]).startswith("Monday group (Amira): week 1")


def test_other_people_do_not_get_the_mentors_visits(
    client: TestClient, signed: Signed, people: People, mentees: Mentees
) -> None:
    mentees.visit(mentees.amira_match, mentees.today, "15:00", "planned")
    _, text = _feed(client, signed.api(people.facilitator))
    assert "mentor-visit-" not in text
    lonely = people.add(Role.mentor, email="lonely@org-a.example.org")
    _, text = _feed(client, signed.api(lonely))
    assert "BEGIN:VEVENT" not in text


def test_the_feed_runs_a_fixed_number_of_queries(
    db: Session, people: People, mentees: Mentees, count_queries: Callable[..., Any]
) -> None:
    start = mentees.today + dt.timedelta(days=1)
    mentees.visit(mentees.amira_match, start, "15:00", "planned")
    with count_queries() as small:
        feeds.render_feed(db, user=people.mentor)
    for offset in range(1, 8):
        day = start + dt.timedelta(days=offset)
        mentees.visit(mentees.amira_match, day, "10:00", "planned")
        mentees.visit(mentees.ben_match, day, "15:00", "planned")
    with count_queries() as large:
        feed = feeds.render_feed(db, user=people.mentor)
    assert feed.count(b"mentor-visit-") == 15
    assert small.count == large.count, (small.count, large.count)
