"""Changing, covering and archiving a cohort through its pages, without JavaScript (issue 15,
point 2). Today is Wednesday 10 March 2027; the Monday group has four sessions to come."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.auth.models import Role, User
from app.cohorts.models import Cohort, GroupSession, SessionStaffing, SessionStatus
from tests.support.pages import date_fields, post
from tests.support.people import PageClient, People, Signed
from tests.support.rows import count_rows

pytestmark = pytest.mark.clock("2027-03-10T10:00")


def change_form(people: People, second: User, **over: str) -> dict[str, str]:
    return {
        "version": "1",
        "name": "Monday group",
        "venue": "Community hall",
        "start_time": "16:00",
        "duration_minutes": "90",
        "facilitator_1": str(people.facilitator.id),
        "facilitator_2": str(second.id),
        **date_fields("from_date", "2027-03-10"),
        **over,
    }


def stored(db: Session, cohort_id: int) -> Cohort:
    db.expire_all()
    cohort = db.get(Cohort, cohort_id)
    assert cohort is not None
    return cohort


def test_the_change_page_shows_what_is_stored(
    lead_pages: PageClient, cohort: dict[str, Any]
) -> None:
    detail = lead_pages.get(f"/cohorts/{cohort['id']}")
    assert f'href="/cohorts/{cohort["id"]}/change"' in detail.text
    assert f'href="/cohorts/{cohort["id"]}/archive"' in detail.text
    page = lead_pages.get(f"/cohorts/{cohort['id']}/change")
    assert page.status_code == 200
    assert 'value="Monday group"' in page.text
    assert 'value="16:00"' in page.text
    assert 'name="from_date-day"' in page.text
    assert 'value="2027"' in page.text
    assert "Second Facilitator</option>" in page.text


def test_a_change_is_saved_and_says_so(
    lead_pages: PageClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    db: Session,
) -> None:
    response = post(
        lead_pages,
        f"/cohorts/{cohort['id']}/change",
        change_form(
            people,
            second_facilitator,
            name="Monday club",
            venue="Youth centre",
            **date_fields("from_date", "2027-04-01"),
        ),
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/cohorts/{cohort['id']}"
    page = lead_pages.get(response.headers["location"])
    assert "Monday club has been changed from 1 April 2027." in page.text
    venues = [
        s.venue
        for s in db.exec(
            select(GroupSession)
            .where(
                GroupSession.cohort_id == cohort["id"],
                col(GroupSession.date) >= dt.date(2027, 3, 10),
            )
            .order_by(col(GroupSession.date))
        ).all()
    ]
    assert venues == ["Community hall", "Community hall", "Youth centre", "Youth centre"]
    assert stored(db, cohort["id"]).version == 2


def test_bad_input_shows_every_problem_beside_its_field(
    lead_pages: PageClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    db: Session,
) -> None:
    response = post(
        lead_pages,
        f"/cohorts/{cohort['id']}/change",
        change_form(
            people,
            second_facilitator,
            name="",
            duration_minutes="20",
            **{"from_date-day": "31", "from_date-month": "2", "from_date-year": "2027"},
        ),
    )
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert "Enter a name for the cohort" in response.text
    assert "Enter a length from 30 to 240 minutes" in response.text
    assert 'href="#from_date"' in response.text
    assert response.text.index("Enter a name") < response.text.index("Enter a length")
    assert stored(db, cohort["id"]).version == 1


def test_a_mentor_is_refused_as_facilitator_beside_the_field(
    lead_pages: PageClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    db: Session,
) -> None:
    response = post(
        lead_pages,
        f"/cohorts/{cohort['id']}/change",
        change_form(people, second_facilitator, facilitator_2=str(people.mentor.id)),
    )
    assert response.status_code == 422
    assert "Each facilitator must be an active facilitator of your organisation" in response.text
    assert 'id="facilitator_1-error"' in response.text
    assert stored(db, cohort["id"]).version == 1


def test_a_stale_page_is_refused_with_what_to_do(
    lead_pages: PageClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    db: Session,
) -> None:
    first = post(
        lead_pages,
        f"/cohorts/{cohort['id']}/change",
        change_form(people, second_facilitator, name="A"),
    )
    assert first.status_code == 303
    again = post(
        lead_pages,
        f"/cohorts/{cohort['id']}/change",
        change_form(people, second_facilitator, name="B"),
    )
    assert again.status_code == 409
    assert "Someone else changed this cohort first. Reload it and try again." in again.text
    assert stored(db, cohort["id"]).name == "A"


# A cover on the session change page --------------------------------------------------------


def next_session(db: Session, cohort_id: int) -> GroupSession:
    session = db.exec(
        select(GroupSession).where(
            GroupSession.cohort_id == cohort_id, GroupSession.date == dt.date(2027, 3, 15)
        )
    ).first()
    assert session is not None
    return session


def test_a_cover_is_chosen_on_the_session_page(
    lead_pages: PageClient,
    cohort: dict[str, Any],
    people: People,
    second_facilitator: User,
    db: Session,
) -> None:
    cover = people.add(Role.facilitator, email="cover@org-a.example.org", name="Cara Cover")
    db.commit()
    session = next_session(db, cohort["id"])
    page = lead_pages.get(f"/sessions/{session.id}/change")
    assert "Who runs this session" in page.text
    assert f'<option value="{people.facilitator.id}" selected>' in page.text
    response = post(
        lead_pages,
        f"/sessions/{session.id}/reschedule",
        {
            "version": "1",
            "facilitator_1": str(cover.id),
            "facilitator_2": str(second_facilitator.id),
        },
    )
    assert response.status_code == 303, response.text
    assert "has been changed" in lead_pages.get(response.headers["location"]).text
    grid = lead_pages.get(f"/cohorts/{cohort['id']}")
    assert "Run by Cara Cover and Second Facilitator" in grid.text
    rows = db.exec(
        select(SessionStaffing.user_id).where(SessionStaffing.session_id == session.id)
    ).all()
    assert set(rows) == {cover.id, second_facilitator.id}


def test_half_a_cover_is_refused(
    lead_pages: PageClient, cohort: dict[str, Any], people: People, db: Session
) -> None:
    session = next_session(db, cohort["id"])
    response = post(
        lead_pages,
        f"/sessions/{session.id}/reschedule",
        {"version": "1", "facilitator_1": str(people.facilitator.id), "facilitator_2": ""},
    )
    assert response.status_code == 422
    assert "Choose the second facilitator for this session" in response.text
    assert count_rows(db, SessionStaffing) == 0


# Archiving ---------------------------------------------------------------------------------


def test_a_running_cohort_is_not_archived_and_the_page_says_why(
    lead_pages: PageClient, cohort: dict[str, Any], db: Session
) -> None:
    page = lead_pages.get(f"/cohorts/{cohort['id']}/archive")
    assert page.status_code == 200
    assert "Archive Monday group" in page.text
    response = post(lead_pages, f"/cohorts/{cohort['id']}/archive", {"version": "1"})
    assert response.status_code == 409
    assert "still has 4 sessions to run, the next on 15 March 2027" in response.text
    assert stored(db, cohort["id"]).archived_at is None


def test_archiving_takes_the_cohort_off_the_list(
    lead_pages: PageClient, cohort: dict[str, Any], db: Session, signed: Signed, people: People
) -> None:
    for session in db.exec(
        select(GroupSession).where(
            GroupSession.cohort_id == cohort["id"], col(GroupSession.date) >= dt.date(2027, 3, 10)
        )
    ).all():
        session.status = SessionStatus.cancelled
        db.add(session)
    db.commit()
    response = post(lead_pages, f"/cohorts/{cohort['id']}/archive", {"version": "1"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/cohorts"
    listed = lead_pages.get("/cohorts")
    assert "Monday group has been archived. Find it under Archived cohorts." in listed.text
    assert f'href="/cohorts/{cohort["id"]}"' not in listed.text
    archived = lead_pages.get("/cohorts?archived=true")
    assert f'href="/cohorts/{cohort["id"]}"' in archived.text
    detail = lead_pages.get(f"/cohorts/{cohort['id']}")
    assert "Archived on" in detail.text
    assert f'href="/cohorts/{cohort["id"]}/change"' not in detail.text
    facilitator = signed.pages(people.facilitator)
    assert f'href="/cohorts/{cohort["id"]}"' not in facilitator.get("/cohorts").text
