"""The lead's matching pages with more than one programme (issue 19): choose the programme,
the shortlist for it, the child's wishes for an Independent Visitor and a reason for a child
outside the ages, all without JavaScript; a one-programme organisation sees no difference."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.mentoring.models import Match
from tests.support.mentoring import MakeMentor, date_form, make_match
from tests.support.pages import post
from tests.support.people import PageClient
from tests.support.rows import count_rows

MakeChild = Callable[..., dict[str, Any]]

pytestmark = pytest.mark.clock("2027-03-10T10:00")
TODAY = dt.date(2027, 3, 10)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def add_programme(admin_api: TestClient, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Independent Visitors",
        "kind": "independent_visitor",
        "caseload_max": 2,
        "visit_band": {"per": "month", "min_hours": 1, "max_hours": 6},
        "age_min": 5,
        "age_max": 17,
        **overrides,
    }
    response = admin_api.post("/api/v1/programmes", json=body)
    assert response.status_code == 201, response.text
    programme: dict[str, Any] = response.json()
    return programme


def test_one_programme_the_match_page_is_unchanged(
    lead_pages: PageClient, make_mentor: MakeMentor, make_child: MakeChild
) -> None:
    child = make_child(first_name="Jo")
    make_mentor(name="Bea Best")
    page = lead_pages.get(f"/children/{child['id']}/match")
    assert page.status_code == 200
    assert 'name="programme_id"' not in page.text
    words = text_of(page.text)
    assert "Bea Best" in words
    assert "Programme" not in words
    assert "wishes" not in words
    assert 'name="age_override"' not in page.text


def test_the_lead_chooses_the_programme_then_records_the_childs_wish(
    lead_pages: PageClient,
    lead_api: TestClient,
    admin_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    db: Session,
) -> None:
    iv = add_programme(admin_api)
    child = make_child(first_name="Jo")
    mentor = make_mentor(name="Bea Best")
    url = f"/children/{child['id']}/match"
    # Two programmes: choose one first (nothing suggested until then).
    page = lead_pages.get(url)
    assert page.status_code == 200
    assert '<select class="govuk-select" id="programme_id" name="programme_id"' in page.text
    assert "Bea Best" not in text_of(page.text)
    page = lead_pages.get(url, params={"programme_id": iv["id"]})
    words = text_of(page.text)
    assert "Bea Best" in words
    assert "An Independent Visitor is only for a child who wants one" in words
    assert f'<input type="hidden" name="programme_id" value="{iv["id"]}">' in page.text
    # Without the child's agreement: refused beside the field, nothing saved.
    base = {
        "programme_id": str(iv["id"]),
        "mentor_id": str(mentor["user_id"]),
        **date_form("start_date", TODAY),
    }
    refused = post(lead_pages, url, base)
    assert refused.status_code == 422
    assert 'href="#child_agreed_on"' in refused.text
    assert "Bea Best" in text_of(refused.text)  # still the Independent Visitors' shortlist
    assert count_rows(db, Match) == 0
    done = post(
        lead_pages,
        url,
        {
            **base,
            **date_form("child_agreed_on", TODAY - dt.timedelta(days=5)),
            "child_agreed_how": "Asked their social worker at their LAC review",
        },
    )
    assert done.status_code == 303, done.text
    match = db.exec(select(Match)).one()
    assert match.programme_id == iv["id"]
    assert match.child_agreed_on == TODAY - dt.timedelta(days=5)
    words = text_of(lead_pages.get(done.headers["location"]).text)
    assert "Independent Visitors" in words
    assert "Asked their social worker at their LAC review" in words
    # The child's page lists the match with its programme; the mentor's page too.
    child_page = text_of(lead_pages.get(f"/children/{child['id']}").text)
    assert "Independent Visitors: matched with Bea Best" in child_page
    assert "Find a mentor in another programme" in child_page
    mentor_page = text_of(lead_pages.get(f"/mentors/{mentor['user_id']}").text)
    assert "Jo" in mentor_page
    assert "in Independent Visitors" in mentor_page
    # The shortlist is for the programme chosen.
    shortlist = lead_pages.get(
        f"/children/{make_child()['id']}/shortlist",
        params={"mentor_id": mentor["user_id"], "programme_id": iv["id"]},
    )
    assert shortlist.status_code == 200
    assert lead_api.get("/api/v1/matches").json()[0]["programme_name"] == "Independent Visitors"


def test_a_child_outside_the_ages_needs_a_reason_on_the_page(
    lead_pages: PageClient,
    admin_api: TestClient,
    make_mentor: MakeMentor,
    make_child: MakeChild,
    db: Session,
) -> None:
    teens = add_programme(
        admin_api, name="Teen befriending", kind="befriending", age_min=12, match_length_months=12
    )
    child = make_child(first_name="Jo")  # 11
    mentor = make_mentor(name="Bea Best")
    url = f"/children/{child['id']}/match"
    page = lead_pages.get(url, params={"programme_id": teens["id"]})
    words = text_of(page.text)
    assert "Jo is 11, outside Teen befriending's ages (12 to 17)" in words
    assert 'name="age_override"' in page.text
    assert "(optional)" in words  # the wish may be recorded for befriending
    base = {
        "programme_id": str(teens["id"]),
        "mentor_id": str(mentor["user_id"]),
        **date_form("start_date", TODAY),
    }
    refused = post(lead_pages, url, base)
    assert refused.status_code == 422
    assert 'href="#age_override"' in refused.text
    assert count_rows(db, Match) == 0
    done = post(lead_pages, url, {**base, "age_override": "Her sister is in the group"})
    assert done.status_code == 303, done.text
    assert db.exec(select(Match)).one().age_override == "Her sister is in the group"


def test_an_ending_before_the_expected_length_is_shown(
    lead_pages: PageClient, lead_api: TestClient, make_mentor: MakeMentor, make_child: MakeChild
) -> None:
    match = make_match(
        lead_api, make_child()["id"], make_mentor()["user_id"], TODAY - dt.timedelta(days=40)
    )
    ended = lead_api.post(
        f"/api/v1/matches/{match['id']}/end",
        json={"end_date": str(TODAY), "reason": "mentor_left", "ended_by": "mentor"},
    )
    assert ended.status_code == 200
    words = text_of(lead_pages.get(f"/matches/{match['id']}").text)
    assert "Ended early" in words
    assert "Before the 6 months expected." in words
