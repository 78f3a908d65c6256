"""What stands for a child in calendar feeds (issue 16, point 6): the organisation's setting,
reference (the default), initials or first name; PATCH /api/v1/organisation and the
"Calendar feeds" fieldset of /admin/organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import CalendarChildLabel
from app.calendar.service import child_label
from tests.support.mentoring import Mentees
from tests.support.people import PageClient, People


def _feed(client: TestClient, api: TestClient) -> str:
    url = api.get("/api/v1/me/calendar").json()["url"]
    response = client.get(url.split("testserver", 1)[1])
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize(
    ("setting", "amira", "ben"),
    [
        (None, "{amira_ref}", "{ben_ref}"),  # the default
        ("reference", "{amira_ref}", "{ben_ref}"),
        ("initials", "A.", "B."),
        ("first_name", "Amira", "Ben"),
    ],
)
def test_the_feed_shows_each_child_as_the_organisation_chose(
    client: TestClient,
    admin_api: TestClient,
    mentees: Mentees,
    setting: str | None,
    amira: str,
    ben: str,
) -> None:
    refs = {"amira_ref": mentees.amira["reference"], "ben_ref": mentees.ben["reference"]}
    amira, ben = amira.format(**refs), ben.format(**refs)
    if setting is not None:
        response = admin_api.patch("/api/v1/organisation", json={"calendar_child_label": setting})
        assert response.status_code == 200, response.text
        assert response.json()["calendar_child_label"] == setting
    else:
        assert admin_api.get("/api/v1/organisation").json()["calendar_child_label"] == "reference"
    mentees.visit(mentees.amira_match, mentees.today + dt.timedelta(days=1), "15:00", "planned")
    text = _feed(client, mentees.mentor_api)
    assert f"SUMMARY:Visit: {amira}" in text
    assert f"Monday group ({amira}\\, {ben}): week 1" in text or (
        f"Monday group ({ben}\\, {amira}): week 1" in text
    )
    if setting != "first_name":
        assert "Amira" not in text
        assert "Ben" not in text


def test_initials_of_a_hyphenated_or_double_first_name() -> None:
    initials = CalendarChildLabel.initials
    assert child_label(initials, reference="R-1", first_name="Zebedee-Unique") == "Z.-U."
    assert child_label(initials, reference="R-1", first_name="anna beth") == "A.B."
    assert child_label(CalendarChildLabel.reference, reference="R-1", first_name="Zed") == "R-1"


@pytest.mark.parametrize("bad", ["nickname", "", 1, None, ["reference"]])
def test_a_bad_setting_is_refused_and_changes_nothing(admin_api: TestClient, bad: object) -> None:
    admin_api.patch("/api/v1/organisation", json={"calendar_child_label": "initials"})
    response = admin_api.patch("/api/v1/organisation", json={"calendar_child_label": bad})
    if bad is None:  # an optional field left null keeps its value, as the other settings do
        assert response.status_code == 200
    else:
        assert response.status_code == 422, response.text
    assert admin_api.get("/api/v1/organisation").json()["calendar_child_label"] == "initials"


def test_only_an_admin_changes_it(lead_api: TestClient, admin_api: TestClient) -> None:
    response = lead_api.patch("/api/v1/organisation", json={"calendar_child_label": "first_name"})
    assert response.status_code == 403
    assert admin_api.get("/api/v1/organisation").json()["calendar_child_label"] == "reference"


def _settings_form() -> dict[str, str]:
    return {
        "holiday_region": "england",
        "dosage_threshold": "0.75",
        "dbs_renewal_years": "3",
        "mentoring_hours_min": "2",
        "mentoring_hours_max": "4",
    }


def test_the_settings_page_has_a_calendar_feeds_fieldset(
    db: Session, admin_pages: PageClient, people: People
) -> None:
    page = admin_pages.get("/admin/organisation")
    assert page.status_code == 200
    assert '<h2 class="govuk-fieldset__heading">Calendar feeds</h2>' in page.text
    assert (
        'id="calendar_child_label" name="calendar_child_label" type="radio" value="reference"'
        in (page.text)
    )
    assert (
        'value="reference" aria-describedby="calendar_child_label-item-hint" checked' in page.text
    )
    form = {
        **_settings_form(),
        "csrf_token": admin_pages.csrf_token,
        "calendar_child_label": "initials",
    }
    response = admin_pages.post("/admin/organisation", data=form)
    assert response.status_code == 303, response.text
    db.refresh(people.org)
    assert people.org.calendar_child_label == CalendarChildLabel.initials
    # A form without the field (an older page) keeps the setting.
    form.pop("calendar_child_label")
    assert admin_pages.post("/admin/organisation", data=form).status_code == 303
    db.refresh(people.org)
    assert people.org.calendar_child_label == CalendarChildLabel.initials


def test_a_made_up_setting_on_the_page_is_an_error_beside_the_fieldset(
    db: Session, admin_pages: PageClient, people: People
) -> None:
    form = {
        **_settings_form(),
        "csrf_token": admin_pages.csrf_token,
        "calendar_child_label": "nickname",
    }
    response = admin_pages.post("/admin/organisation", data=form)
    assert response.status_code == 422
    assert (
        '<a href="#calendar_child_label">Choose what stands for a child in calendar feeds</a>'
        in (response.text)
    )
    assert 'id="calendar_child_label-error"' in response.text
    db.refresh(people.org)
    assert people.org.calendar_child_label == CalendarChildLabel.reference
