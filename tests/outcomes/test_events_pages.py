"""Life events on the child's page: the section, the form, its errors, deleting; who sees it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.outcomes.models import LifeEvent
from tests.support.fixtures import MakeChild
from tests.support.pages import date_fields, post
from tests.support.people import PageClient, People, Signed
from tests.support.rows import count_rows


def _form(**changes: str) -> dict[str, str]:
    return {"kind": "missing_episode", **date_fields("date", "2027-02-03"), "note": "", **changes}


def test_add_a_life_event_from_the_child_page(
    lead_pages: PageClient, make_child: MakeChild
) -> None:
    child = make_child()
    page = lead_pages.get(f"/children/{child['id']}")
    assert 'id="life-events"' in page.text
    assert "No life events recorded." in page.text
    assert f'href="/children/{child["id"]}/events/new"' in page.text

    form = lead_pages.get(f"/children/{child['id']}/events/new")
    assert form.status_code == 200
    assert 'name="csrf_token"' in form.text
    assert "Special guardianship order" in form.text  # every kind in words
    assert 'id="date"' in form.text

    saved = post(
        lead_pages,
        f"/children/{child['id']}/events",
        _form(note="Found at a friend's house"),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:500]
    assert saved.headers["location"] == f"/children/{child['id']}#life-events"
    shown = lead_pages.get(saved.headers["location"])
    assert "Missing episode on 3 February 2027 has been recorded" in shown.text  # the banner
    assert "3 February 2027" in shown.text
    assert "Found at a friend&#39;s house" in shown.text
    assert "No life events recorded." not in shown.text


def test_every_problem_at_once_and_nothing_stored(
    lead_pages: PageClient, make_child: MakeChild, db: Session
) -> None:
    child = make_child()
    response = post(
        lead_pages,
        f"/children/{child['id']}/events",
        {"kind": "", **date_fields("date", "2099-01-01"), "note": "x" * 2001},
    )
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: " in html
    assert '<a href="#kind">Choose what happened</a>' in html
    assert '<a href="#note">' in html
    assert count_rows(db, LifeEvent) == 0

    future = post(
        lead_pages, f"/children/{child['id']}/events", _form(**date_fields("date", "2027-03-11"))
    )
    assert future.status_code == 422
    assert '<a href="#date">The date of the event must be today or earlier</a>' in future.text
    assert 'value="11"' in future.text  # what was typed comes back
    before_birth = post(
        lead_pages, f"/children/{child['id']}/events", _form(**date_fields("date", "2015-01-01"))
    )
    assert "on or after the child&#39;s birth" in before_birth.text
    assert count_rows(db, LifeEvent) == 0


def test_delete_one_recorded_in_error(
    lead_pages: PageClient, lead_api: TestClient, make_child: MakeChild, db: Session
) -> None:
    child = make_child()
    made: dict[str, Any] = lead_api.post(
        f"/api/v1/children/{child['id']}/events", json={"kind": "adoption", "date": "2027-01-04"}
    ).json()
    page = lead_pages.get(f"/children/{child['id']}")
    assert f'action="/children/{child["id"]}/events/{made["id"]}/delete"' in page.text
    gone = post(
        lead_pages,
        f"/children/{child['id']}/events/{made['id']}/delete",
        {},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert (
        "Adoption on 4 January 2027 has been deleted"
        in lead_pages.get(gone.headers["location"]).text
    )
    assert count_rows(db, LifeEvent) == 0


def test_facilitators_and_mentors_see_no_life_events(
    lead_api: TestClient, signed: Signed, people: People, make_child: MakeChild
) -> None:
    child = make_child()
    lead_api.post(
        f"/api/v1/children/{child['id']}/events",
        json={"kind": "police_contact", "date": "2027-01-04", "note": "SENSITIVE"},
    )
    facilitator = signed.pages(people.facilitator)
    assert facilitator.get(f"/children/{child['id']}/events/new").status_code == 403
    response = post(facilitator, f"/children/{child['id']}/events", _form())
    assert response.status_code == 403
    admin = signed.pages(people.admin)
    assert "SENSITIVE" in admin.get(f"/children/{child['id']}").text


def test_the_childs_facilitator_sees_the_child_but_not_their_life_events(
    lead_api: TestClient,
    signed: Signed,
    people: People,
    make_child: MakeChild,
    cohort: dict[str, Any],
) -> None:
    child = make_child()
    enrolled = lead_api.post(
        f"/api/v1/cohorts/{cohort['id']}/enrolments",
        json={"child_id": child["id"], "start_date": "2026-09-07"},
    )
    assert enrolled.status_code == 201, enrolled.text
    lead_api.post(
        f"/api/v1/children/{child['id']}/events",
        json={"kind": "police_contact", "date": "2027-01-04", "note": "SENSITIVE"},
    )
    page = signed.pages(people.facilitator).get(f"/children/{child['id']}")
    assert page.status_code == 200  # the facilitator runs the child's group
    assert 'id="life-events"' not in page.text
    assert "SENSITIVE" not in page.text
    assert "Add a life event" not in page.text


def test_correct_one_on_its_page(
    lead_pages: PageClient, lead_api: TestClient, make_child: MakeChild
) -> None:
    child = make_child()
    made = lead_api.post(
        f"/api/v1/children/{child['id']}/events",
        json={"kind": "adoption", "date": "2027-01-04", "note": "Kept"},
    ).json()
    url = f"/children/{child['id']}/events/{made['id']}"
    assert f'href="{url}/edit"' in lead_pages.get(f"/children/{child['id']}").text
    form = lead_pages.get(f"{url}/edit")
    assert form.status_code == 200
    assert "Correct a life event" in form.text
    assert 'value="adoption" checked' in form.text
    assert ">Kept</textarea>" in form.text
    bad = post(lead_pages, url, _form(kind="adoption", **date_fields("date", "2030-01-01")))
    assert bad.status_code == 422
    assert "Correct a life event" in bad.text
    saved = post(
        lead_pages, url, _form(kind="special_guardianship", note="Kept"), follow_redirects=False
    )
    assert saved.status_code == 303
    shown = lead_pages.get(saved.headers["location"]).text
    assert "Special guardianship order on 3 February 2027 has been corrected" in shown
    listed = lead_api.get(f"/api/v1/children/{child['id']}/events").json()
    assert [(e["kind"], e["date"], e["note"]) for e in listed] == [
        ("special_guardianship", "2027-02-03", "Kept")
    ]
