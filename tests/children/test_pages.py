"""The children pages: list and search, register, read, correct; who may do what."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.children.models import Child
from tests.support.people import PageClient, People, Signed
from tests.support.rows import count_rows

FORM = {
    "reference": "PG-0001",
    "first_name": "Robin",
    "date_of_birth-day": "1",
    "date_of_birth-month": "3",
    "date_of_birth-year": "2016",
    "placement_type": "kinship",
    "gender": "boy_or_man",
    "ethnicity": "",
    "languages": ["english", "welsh"],
    "interests": "chess, football",
    "mentor_gender": "boy_or_man",
    "same_ethnicity": "yes",
    "notes": "Likes quiet places",
    "consent_given_by": "Kinship carer",
    "consent_given_on-day": "1",
    "consent_given_on-month": "9",
    "consent_given_on-year": "2026",
}
MakeChild = Callable[..., dict[str, Any]]


def post(client: PageClient, url: str, **changes: str) -> Response:
    return client.post(url, data={**FORM, **changes, "csrf_token": client.csrf_token})


def assert_error_page(response: Any, status: int, fields: dict[str, str]) -> None:
    assert response.status_code == status, response.text[:500]
    html = response.text
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html
    for field, message in fields.items():
        assert f'<a href="#{field}">{message}</a>' in html, (field, message)
        assert f'id="{field}-error"' in html
        assert f'id="{field}"' in html  # the summary's link has somewhere to go


# List and search ---------------------------------------------------------------------------


def test_list_and_search(lead_pages: PageClient, make_child: MakeChild) -> None:
    amira = make_child(first_name="Amira", reference="LA-0042")
    make_child(first_name="Tomasz", reference="LA-0077")
    page = lead_pages.get("/children")
    assert page.status_code == 200
    assert "Amira" in page.text
    assert "Tomasz" in page.text
    assert 'href="/children/new"' in page.text
    assert f'href="/children/{amira["id"]}"' in page.text
    by_name = lead_pages.get("/children", params={"q": "ami"})
    assert "Amira" in by_name.text
    assert "Tomasz" not in by_name.text
    by_reference = lead_pages.get("/children", params={"q": "la-0077"})
    assert "Tomasz" in by_reference.text
    assert "Amira" not in by_reference.text
    none = lead_pages.get("/children", params={"q": "zzz"})
    assert "No children match" in none.text


def test_search_with_htmx_returns_only_the_results(
    lead_pages: PageClient, make_child: MakeChild
) -> None:
    make_child(first_name="Amira")
    fragment = lead_pages.get("/children", params={"q": "ami"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="results"')
    assert "Amira" in fragment.text
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


def test_facilitator_sees_only_children_in_their_cohorts(
    signed: Signed,
    people: People,
    lead_api: TestClient,
    make_child: MakeChild,
    cohort: dict[str, Any],
) -> None:
    enrolled = make_child(first_name="Amira", date_of_birth="2016-03-01")
    make_child(first_name="Tomasz")
    response = lead_api.post(
        f"/api/v1/cohorts/{cohort['id']}/enrolments", json={"child_id": enrolled["id"]}
    )
    assert response.status_code == 201, response.text
    facilitator = signed.pages(people.facilitator)
    page = facilitator.get("/children")
    assert "Amira" in page.text
    assert "Tomasz" not in page.text
    assert 'href="/children/new"' not in page.text
    view = facilitator.get(f"/children/{enrolled['id']}")
    assert view.status_code == 200
    assert "Monday group" in view.text
    assert "/export" not in view.text  # subject access requests are for staff
    assert 'href="/children/{}/edit"'.format(enrolled["id"]) not in view.text


# Register ----------------------------------------------------------------------------------


def test_register_a_child(lead_pages: PageClient, db: Session) -> None:
    new = lead_pages.get("/children/new")
    assert new.status_code == 200
    assert "Do not use their name" in new.text
    assert 'name="date_of_birth-day"' in new.text
    assert "<legend" in new.text
    response = post(lead_pages, "/children")
    assert response.status_code == 303, response.text[:500]
    child = db.exec(select(Child).where(Child.reference == "PG-0001")).one()
    assert response.headers["location"] == f"/children/{child.id}"
    assert child.first_name == "Robin"
    assert child.date_of_birth == dt.date(2016, 3, 1)
    assert child.languages == ["english", "welsh"]
    assert child.interests == ["chess", "football"]
    assert child.ethnicity is None
    assert child.preferences["same_ethnicity"] is True
    assert child.preferences["notes"] == "Likes quiet places"
    event = db.exec(
        select(AuditEvent).where(AuditEvent.entity == "child", AuditEvent.entity_id == child.id)
    ).one()
    assert event.action == "create"
    shown = lead_pages.get(response.headers["location"])
    assert "PG-0001 has been registered" in shown.text


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {
                "reference": "",
                "first_name": " ",
                "date_of_birth-day": "",
                "date_of_birth-month": "",
                "date_of_birth-year": "",
                "placement_type": "",
                "consent_given_by": "",
                "consent_given_on-day": "",
                "consent_given_on-month": "",
                "consent_given_on-year": "",
            },
            {
                "reference": "Enter a reference",
                "first_name": "Enter the child&#39;s first name",
                "date_of_birth": "Enter the date of birth",
                "placement_type": "Choose the type of placement",
                "consent_given_by": "Enter who gave consent",
                "consent_given_on": "Enter the date consent was given",
            },
        ),
        (
            {"date_of_birth-day": "31", "date_of_birth-month": "2"},
            {"date_of_birth": "Enter a real date of birth"},
        ),
        (
            {"date_of_birth-day": "x", "consent_given_on-year": "26"},
            {
                "date_of_birth": "Enter a real date of birth",
                "consent_given_on": "Enter a real date consent was given",
            },
        ),
        (
            {"date_of_birth-month": ""},
            {"date_of_birth": "Date of birth must include a month"},
        ),
        (
            {"date_of_birth-year": "2030"},
            {"date_of_birth": "Date of birth must be in the past"},
        ),
        (
            {"date_of_birth-year": "2025"},
            {"date_of_birth": "The child must be aged 4 to 18"},
        ),
        (
            {"consent_given_on-year": "2099"},
            {"consent_given_on": "Consent date must be today or earlier"},
        ),
        ({"placement_type": "boarding"}, {"placement_type": "Choose the type of placement"}),
        (
            {"reference": "Robin Smith"},
            {"reference": "Reference must start with a letter or number"},
        ),
        ({"same_ethnicity": "maybe"}, {"same_ethnicity": "Choose whether a mentor"}),
        ({"notes": "x" * 501}, {"notes": "Notes must be 500 characters or fewer"}),
        ({"interests": ",".join(f"i{n}" for n in range(21))}, {"interests": "List up to 20"}),
    ],
    ids=[
        "missing",
        "impossible-date",
        "not-a-date",
        "part-missing",
        "future-dob",
        "too-young",
        "future-consent",
        "bad-placement",
        "bad-reference",
        "bad-radio",
        "long-notes",
        "too-many-interests",
    ],
)
def test_register_refuses_bad_input(
    lead_pages: PageClient, db: Session, changes: dict[str, str], errors: dict[str, str]
) -> None:
    response = post(lead_pages, "/children", **changes)
    assert response.status_code == 422, response.text[:500]
    html = response.text
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html
    for field, message in errors.items():
        assert f'<a href="#{field}">{message}' in html, (field, message)
        assert f'id="{field}-error"' in html
        assert f'id="{field}"' in html
    assert count_rows(db, Child) == 0
    # What was typed is kept.
    if changes.get("first_name") is None:
        assert 'value="Robin"' in html


def test_register_duplicate_reference(
    lead_pages: PageClient, db: Session, make_child: MakeChild
) -> None:
    make_child(reference="PG-0001")
    response = post(lead_pages, "/children")
    assert_error_page(
        response, 409, {"reference": "A child with the reference PG-0001 already exists."}
    )
    assert count_rows(db, Child) == 1


def test_forms_carry_the_token_without_javascript(
    lead_pages: PageClient, make_child: MakeChild
) -> None:
    """Every form on the page posts the session's CSRF token itself (no script needed)."""
    token = lead_pages.csrf_token
    child = make_child()
    for page in (
        lead_pages.get("/children/new"),
        lead_pages.get(f"/children/{child['id']}/edit"),
        post(lead_pages, "/children", reference=""),
    ):
        values = re.findall(r'name="csrf_token" value="([^"]*)"', page.text)
        assert values
        assert set(values) == {token}


@pytest.mark.parametrize("role", ["facilitator", "mentor"])
def test_only_staff_register(signed: Signed, people: People, db: Session, role: str) -> None:
    client = signed.pages(people.by_role(role))
    assert client.get("/children/new").status_code == 403
    assert post(client, "/children").status_code == 403
    assert count_rows(db, Child) == 0


def test_register_needs_the_form_token(lead_pages: PageClient, db: Session) -> None:
    response = lead_pages.post("/children", data={**FORM, "csrf_token": "wrong"})
    assert response.status_code == 403
    assert count_rows(db, Child) == 0


# Read --------------------------------------------------------------------------------------


def test_view_shows_the_record(
    lead_pages: PageClient, make_child: MakeChild, cohort: dict[str, Any], lead_api: TestClient
) -> None:
    child = make_child(
        reference="LA-0042",
        first_name="Amira",
        date_of_birth="2016-03-01",
        placement_type="residential",
        gender="girl_or_woman",
        ethnicity="other",
        ethnicity_other="Kurdish",
        languages=["arabic", "english"],
        interests=["drawing"],
        preferences={
            "mentor_gender": "girl_or_woman",
            "same_ethnicity": False,
            "notes": "Shy at first",
        },
        consent_given_by="Social worker",
        consent_given_on="2026-09-01",
    )
    lead_api.post(f"/api/v1/cohorts/{cohort['id']}/enrolments", json={"child_id": child["id"]})
    page = lead_pages.get(f"/children/{child['id']}")
    assert page.status_code == 200
    html = page.text
    for text in (
        "LA-0042",
        "Amira",
        "1 March 2016",
        f"{_age(dt.date(2016, 3, 1))} years old",
        "Residential care",
        "Girl",
        "Kurdish",
        "Arabic, English",
        "drawing",
        "Girl or woman",
        "Shy at first",
        "Social worker",
        "1 September 2026",
        "Monday group",
    ):
        assert text in html, text
    assert f'href="/api/v1/children/{child["id"]}/export"' in html
    assert "Download everything held (subject access request)" in html
    assert lead_pages.get(f"/api/v1/children/{child['id']}/export").status_code == 200


def test_mentor_and_other_organisation_cannot_see_a_child(
    signed: Signed, people: People, make_child: MakeChild
) -> None:
    child = make_child()
    mentor = signed.pages(people.mentor)
    assert mentor.get(f"/children/{child['id']}").status_code == 404
    assert child["reference"] not in mentor.get("/children").text
    other = signed.pages(people.other_lead)
    assert other.get(f"/children/{child['id']}").status_code == 404
    assert other.get(f"/children/{child['id']}/edit").status_code == 404
    assert post(other, f"/children/{child['id']}").status_code == 404
    assert child["reference"] not in other.get("/children").text


def test_unknown_child_is_404(lead_pages: PageClient) -> None:
    assert lead_pages.get("/children/999999").status_code == 404


# Correct -----------------------------------------------------------------------------------


def test_edit_a_child(lead_pages: PageClient, make_child: MakeChild, db: Session) -> None:
    child = make_child(
        reference="LA-0042",
        first_name="Amira",
        ethnicity="other",
        ethnicity_other="Kurdish",
        preferences={"languages": ["kurdish"], "same_ethnicity": True},
    )
    form = lead_pages.get(f"/children/{child['id']}/edit")
    assert form.status_code == 200
    assert 'value="LA-0042"' in form.text
    assert 'value="Kurdish"' in form.text
    assert 'id="same_ethnicity" name="same_ethnicity" type="radio" value="yes" checked' in form.text
    response = post(
        lead_pages,
        f"/children/{child['id']}",
        reference="LA-0042",
        first_name="Amira",
        ethnicity="",
        same_ethnicity="any",
    )
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == f"/children/{child['id']}"
    saved = db.get(Child, child["id"])
    assert saved is not None
    db.refresh(saved)
    assert saved.ethnicity is None
    assert saved.interests == ["chess", "football"]
    assert saved.placement_type.value == "kinship"
    assert saved.preferences.get("same_ethnicity") is None
    assert saved.preferences["languages"] == ["kurdish"]  # not on the form: kept
    event = db.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "child",
            AuditEvent.entity_id == child["id"],
            AuditEvent.action == "update",
        )
    ).one()
    assert "interests" in event.changes
    assert "has been updated" in lead_pages.get(response.headers["location"]).text


def test_bad_edit_changes_nothing(
    lead_pages: PageClient, make_child: MakeChild, db: Session
) -> None:
    child = make_child(reference="LA-0042", first_name="Amira")
    make_child(reference="LA-0077")
    response = post(
        lead_pages,
        f"/children/{child['id']}",
        reference="LA-0042",
        first_name="",
        **{"date_of_birth-day": "30", "date_of_birth-month": "2"},
    )
    assert_error_page(
        response,
        422,
        {
            "first_name": "Enter the child&#39;s first name",
            "date_of_birth": "Enter a real date of birth",
        },
    )
    duplicate = post(lead_pages, f"/children/{child['id']}", reference="LA-0077")
    assert_error_page(
        duplicate, 409, {"reference": "A child with the reference LA-0077 already exists."}
    )
    too_old = post(
        lead_pages,
        f"/children/{child['id']}",
        reference="LA-0042",
        **{"date_of_birth-year": "2000"},
    )
    assert_error_page(too_old, 422, {"date_of_birth": "The child must be aged 4 to 18"})
    saved = db.get(Child, child["id"])
    assert saved is not None
    db.refresh(saved)
    assert (saved.reference, saved.first_name) == ("LA-0042", "Amira")
    assert saved.date_of_birth == dt.date(2016, 3, 1)


@pytest.mark.parametrize("role", ["facilitator", "mentor"])
def test_only_staff_edit(
    signed: Signed, people: People, make_child: MakeChild, db: Session, role: str
) -> None:
    child = make_child(first_name="Amira")
    client = signed.pages(people.by_role(role))
    assert client.get(f"/children/{child['id']}/edit").status_code == 403
    assert post(client, f"/children/{child['id']}").status_code == 403
    saved = db.get(Child, child["id"])
    assert saved is not None
    assert saved.first_name == "Amira"


def test_pages_need_sign_in(client: TestClient, make_child: MakeChild) -> None:
    child = make_child()
    for url in ("/children", "/children/new", f"/children/{child['id']}"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


def _age(born: dt.date) -> int:
    """Age today (the suite's clock), in whole years."""
    today = dt.date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
