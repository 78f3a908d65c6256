"""What is due and overdue: open windows and closed ones with no assessment, for the
children the person may assess, in a fixed number of queries; on the lead's home."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role
from app.exceptions import Forbidden
from app.outcomes.assessments.due import due_assessments
from app.outcomes.models import Timepoint
from tests.outcomes.conftest import Programme
from tests.support.people import PageClient, People

D = dt.date
TODAY = D(2027, 3, 10)


def _keys(found: Any) -> list[tuple[int, str, str, bool]]:
    return [(d.child_id, d.measure, d.timepoint.value, d.overdue) for d in found]


def test_open_and_closed_windows(db: Session, programme: Programme, people: People) -> None:
    found = due_assessments(db, actor=people.lead, as_of=TODAY)
    child = programme.child_id
    assert _keys(found) == [
        (child, "feel_good", "baseline", True),
        (child, "kids_scores", "baseline", True),
        (child, "feel_good", "end", False),
        (child, "kids_scores", "end", False),
    ]
    end = found[-1]
    assert (end.due_from, end.due_by) == (D(2027, 3, 8), D(2027, 4, 19))
    # The day before the end window opens, only the baselines are listed.
    assert len(due_assessments(db, actor=people.lead, as_of=D(2027, 3, 7))) == 2
    # On the window's last day it is still due; the day after, overdue.
    assert not due_assessments(db, actor=people.lead, as_of=D(2027, 4, 19))[-1].overdue
    assert due_assessments(db, actor=people.lead, as_of=D(2027, 4, 20))[-1].overdue


def test_an_assessment_from_any_informant_takes_it_off(
    db: Session, lead_api: TestClient, programme: Programme, people: People
) -> None:
    lead_api.post(
        f"/api/v1/children/{programme.child_id}/assessments",
        json={
            "measure": "kids_scores",
            "informant": "self",
            "timepoint": "end",
            "completed_on": "2027-03-09",
            "scores": {"worry": 1, "mood": 2},
        },
    ).raise_for_status()
    found = due_assessments(db, actor=people.lead, as_of=TODAY)
    assert ("kids_scores", Timepoint.end) not in [(d.measure, d.timepoint) for d in found]
    assert len(found) == 3


def test_scoped_to_the_people_and_cohort(db: Session, programme: Programme, people: People) -> None:
    assert len(due_assessments(db, actor=people.facilitator, as_of=TODAY)) == 4
    stranger = people.add(Role.facilitator, email="other.fac@org-a.example.org")
    assert due_assessments(db, actor=stranger, as_of=TODAY) == []
    assert due_assessments(db, actor=people.other_lead, as_of=TODAY) == []
    with pytest.raises(Forbidden):
        due_assessments(db, actor=people.mentor, as_of=TODAY)
    other = programme.build.cohort(D(2027, 1, 5))
    assert due_assessments(db, actor=people.lead, cohort_id=other, as_of=TODAY) == []
    assert (
        len(due_assessments(db, actor=people.lead, cohort_id=programme.cohort_id, as_of=TODAY)) == 4
    )


def test_a_fixed_number_of_queries(
    db: Session, programme: Programme, people: People, count_queries: Any
) -> None:
    def counted() -> int:
        db.expire_all()
        with count_queries() as c:
            due_assessments(db, actor=people.lead, as_of=TODAY)
        return int(c.count)

    one = counted()
    for n in range(8):
        child = programme.build.child(f"More{n}")
        programme.build.enrol(child, programme.cohort_id, D(2027, 1, 1))
    db.commit()
    assert counted() == one
    assert len(due_assessments(db, actor=people.lead, as_of=TODAY)) == 36


def test_no_measures_nothing_due(db: Session, people: People) -> None:
    assert due_assessments(db, actor=people.lead, as_of=TODAY) == []


def test_the_leads_home_lists_them_linking_to_the_form(
    lead_pages: PageClient, programme: Programme
) -> None:
    page = lead_pages.get("/")
    assert page.status_code == 200
    assert "Assessments due" in page.text
    assert "4 assessments to take, 2 overdue" in page.text
    assert (
        f"/children/{programme.child_id}/assessments/new?measure=kids_scores&amp;timepoint=end"
        in page.text
    )
    assert "Ada (FID-" in page.text
