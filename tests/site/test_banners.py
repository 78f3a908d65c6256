"""Every save says what happened: a success banner on the page the save goes to, once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.auth.models import User
from app.web import NOTICE_COOKIE
from tests.support.fixtures import MakeChild
from tests.support.pages import date_fields, post
from tests.support.people import PageClient, People


def banner(client: TestClient, response: Response) -> str:
    """The success banner's sentence on the page a save redirected to ("" when none)."""
    assert response.status_code == 303, response.text[:300]
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    if "govuk-notification-banner--success" not in page.text:
        return ""
    region = page.text.split("govuk-notification-banner--success", 1)[1]
    return region.split('class="govuk-notification-banner__heading">', 1)[1].split("</p>")[0]


def test_creating_a_cohort_says_so(
    lead_pages: PageClient, people: People, second_facilitator: User, curriculum_id: int
) -> None:
    form = {
        "name": "Tuesday group",
        "curriculum_id": str(curriculum_id),
        **date_fields("start_date", "2026-09-08"),
        "start_time": "16:00",
        "duration_minutes": "90",
        "venue": "Hall",
        "facilitator_1": str(people.facilitator.id),
        "facilitator_2": str(second_facilitator.id),
    }
    response = post(lead_pages, "/cohorts", form)
    assert banner(lead_pages, response) == "Cohort Tuesday group created"
    # Once: the next page has no banner.
    assert "Tuesday group created" not in lead_pages.get(response.headers["location"]).text


def test_enrolling_and_withdrawing_a_child_say_who(
    lead_pages: PageClient, cohort: dict[str, Any], make_child: MakeChild
) -> None:
    child = make_child(first_name="Priya", reference="LA-77")
    url = f"/cohorts/{cohort['id']}"
    enrolled = post(
        lead_pages,
        f"{url}/enrolments",
        {"child_id": str(child["id"]), **date_fields("start_date", "2026-09-07")},
    )
    assert enrolled.headers["location"] == f"{url}#roster"
    assert banner(lead_pages, enrolled) == "Priya (LA-77) enrolled"
    enrolment_id = lead_pages.get(url).text.split("/enrolments/")[1].split("/withdraw")[0]
    withdrawn = post(
        lead_pages,
        f"/enrolments/{enrolment_id}/withdraw",
        {**date_fields("date", "2026-10-01"), "reason": "Moved"},
    )
    assert banner(lead_pages, withdrawn) == "Priya (LA-77) withdrawn"


def test_a_refused_enrolment_shows_no_banner(
    lead_pages: PageClient, cohort: dict[str, Any]
) -> None:
    refused = post(lead_pages, f"/cohorts/{cohort['id']}/enrolments", {"child_id": ""})
    assert refused.status_code == 422
    assert NOTICE_COOKIE not in refused.headers.get("set-cookie", "")
    assert "govuk-notification-banner--success" not in refused.text


def test_changing_a_user_says_so(admin_pages: PageClient, people: People) -> None:
    response = post(
        admin_pages,
        f"/admin/users/{people.mentor.id}",
        {"name": "Jo Mentor", "role": "mentor", "active": "yes"},
    )
    assert response.headers["location"] == "/admin/users"
    assert banner(admin_pages, response) == "Jo Mentor&#39;s account is saved."


def test_saving_the_settings_says_so(admin_pages: PageClient, db: Session) -> None:
    page = admin_pages.get("/admin/organisation")
    assert page.status_code == 200
    response = post(
        admin_pages,
        "/admin/organisation",
        {
            "holiday_region": "england",
            "dosage_threshold": "0.75",
            "dbs_renewal_years": "3",
            "mentoring_hours_min": "2",
            "mentoring_hours_max": "4",
            "session_checklist": "",
        },
    )
    assert response.headers["location"] == "/admin/organisation"
    assert banner(admin_pages, response) == "Settings saved."


def test_signing_out_says_so_on_the_sign_in_page(lead_pages: PageClient) -> None:
    response = post(lead_pages, "/logout", {})
    assert response.headers["location"] == "/login"
    assert banner(lead_pages, response) == "You have been signed out."
    # Signed out indeed.
    assert lead_pages.get("/").headers["location"] == "/login"
