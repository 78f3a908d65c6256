"""The lead's mentoring pages in a browser at tablet width: the mentors, a child's suggested
mentors with the printable shortlist, making a match, and the match page's forms. Each page
must pass axe. The test makes its own mentors and child through the API, so it does not
depend on what the demo holds."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.programmes.models import FHF_PT_NAME
from tests.support.browser import DEMO_LOGINS, DEMO_PASSWORD, PHONE, BrowserPage, assert_accessible
from tests.support.clock import LONDON

pytestmark = pytest.mark.e2e


class Api:
    """A bearer-token client for the live server's JSON API."""

    def __init__(self, base_url: str, role: str) -> None:
        self.base_url = base_url
        body = urllib.parse.urlencode(
            {"username": DEMO_LOGINS[role], "password": DEMO_PASSWORD}
        ).encode()
        token = self._send("POST", "/api/v1/auth/token", body, "application/x-www-form-urlencoded")
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}

    def _send(self, method: str, path: str, body: bytes | None, content_type: str | None) -> Any:
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        for key, value in getattr(self, "headers", {}).items():
            request.add_header(key, value)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("POST", path, json.dumps(body).encode(), "application/json")

    def get(self, path: str) -> Any:
        return self._send("GET", path, None, None)


def _ready_mentor(admin: Api, lead: Api, name: str, **profile: Any) -> dict[str, Any]:
    user = admin.post(
        "/api/v1/users",
        {
            "email": f"e2e-{uuid.uuid4().hex[:8]}@example.org",
            "name": name,
            "role": "mentor",
            "password": "an e2e mentor password",
        },
    )
    mentor: dict[str, Any] = lead.post(
        "/api/v1/mentors",
        {
            "user_id": user["id"],
            "dbs_checked_on": "2026-01-10",
            "barred_list_checked": True,
            "references_checked": True,
            "interviewed_on": "2026-01-20",
            "training_completed_on": "2026-02-01",
            **profile,
        },
    )
    return mentor


@pytest.fixture
def setup(live_server: str) -> dict[str, Any]:
    """Two ready mentors who share the child's interests, and a child with no mentor."""
    admin, lead = Api(live_server, "admin"), Api(live_server, "lead")
    tag = uuid.uuid4().hex[:6]
    first = _ready_mentor(
        admin,
        lead,
        f"Zed{tag} Quartermaine",
        interests=["skateboarding", "origami"],
        about="I build paper dragons",
        availability="Saturday mornings",
    )
    second = _ready_mentor(
        admin, lead, f"Yas{tag} Underhill", interests=["origami"], about="I love cats"
    )
    child = lead.post(
        "/api/v1/children",
        {
            "reference": f"E2E-{tag}",
            "first_name": "Robin",
            "date_of_birth": "2016-03-01",
            "placement_type": "foster",
            "interests": ["skateboarding", "origami"],
            "consent_given_by": "Social worker",
            "consent_given_on": "2026-09-01",
        },
    )
    return {"first": first, "second": second, "child": child, "tag": tag}


def test_mentors_page_lists_readiness_and_passes_axe(
    page: Page, js_errors: list[str], setup: dict[str, Any]
) -> None:
    page.goto("/mentors")
    expect(page.locator("h1")).to_have_text("Mentors")
    row = page.locator("tr", has_text=setup["first"]["name"])
    expect(row.get_by_text("Ready", exact=True)).to_be_visible()
    expect(row).to_contain_text("0 of 2")
    expect(row).to_contain_text("Checked 10 January 2026")
    expect(page.get_by_role("button", name="Add a mentor profile")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=setup["first"]["name"]).click()
    expect(page.locator("h1")).to_have_text(setup["first"]["name"])
    expect(page.get_by_text("Every safer-recruitment check is done")).to_be_visible()
    assert_accessible(page)
    page.goto("/mentors/new")
    assert_accessible(page)
    assert js_errors == []


def test_suggestions_shortlist_match_and_match_page(
    page: Page, js_errors: list[str], setup: dict[str, Any]
) -> None:
    child, first, second = setup["child"], setup["first"], setup["second"]
    page.goto(f"/children/{child['id']}")
    page.get_by_role("link", name="Find a mentor for Robin").click()
    expect(page.locator("h1")).to_have_text("Find a mentor for Robin")
    # The demo runs two programmes: the shortlist is for the one chosen.
    page.get_by_label("Programme", exact=True).select_option(label=FHF_PT_NAME)
    page.get_by_role("button", name="Show mentors for this programme").click()
    card = page.locator(".govuk-summary-card", has_text=first["name"])
    expect(card).to_contain_text("shares interests: skateboarding, origami")
    expect(card).to_contain_text(re.compile(r"\d+% match"))
    assert_accessible(page)

    # The printable shortlist: first names only, no scores; print leaves off the navigation.
    page.get_by_label(f"Put on the shortlist: {first['name']}").check()
    page.get_by_label(f"Put on the shortlist: {second['name']}").check()
    page.get_by_role("button", name="Make a printable shortlist").click()
    expect(page.locator("h1")).to_contain_text("Hello Robin!")
    shortlist = page.locator(".tandem-shortlist")
    expect(shortlist).to_contain_text(f"Zed{setup['tag']}")
    expect(shortlist).to_contain_text("I build paper dragons")
    expect(shortlist).to_contain_text("Saturday mornings")
    expect(shortlist).not_to_contain_text("Quartermaine")
    expect(shortlist).not_to_contain_text("Underhill")
    expect(shortlist).not_to_contain_text("%")
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.locator(".govuk-back-link")).to_be_hidden()
    expect(shortlist).to_be_visible()
    page.emulate_media(media="screen")
    page.go_back()

    # Making the match through the form, as the young person chose.
    page.get_by_label(first["name"], exact=True).check()
    page.get_by_label("The young person chose this mentor").check()
    page.get_by_role("button", name="Match mentor").click()
    expect(page).to_have_url(re.compile(r"/matches/\d+"))
    expect(page.get_by_text("The match has been made.")).to_be_visible()
    expect(page.locator("h1")).to_have_text(f"Robin and {first['name']}")
    expect(page.get_by_text("the young person chose this mentor")).to_be_visible()
    assert_accessible(page)

    # A check-in with nobody ticked: the error summary takes focus and links to the field.
    page.get_by_role("button", name="Record check-in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Say who the check-in was with")
    assert_accessible(page)
    page.get_by_role("checkbox", name="The mentor").check()
    page.get_by_label("Notes (optional)").fill("Off to a good start")
    page.get_by_role("button", name="Record check-in").click()
    expect(page.get_by_text("The check-in has been recorded.")).to_be_visible()
    expect(page.get_by_text("Off to a good start")).to_be_visible()

    # The weekly visit plan, until a date (the child is in no group).
    page.get_by_label("Day of the week").select_option("6")
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Length in minutes").fill("120")
    # Eight weeks on from the server's today (it runs at this process's travelled clock).
    last = dt.datetime.now(LONDON).date() + dt.timedelta(weeks=8)
    until = page.locator("#until-input")
    until.get_by_label("Day").fill(str(last.day))
    until.get_by_label("Month").fill(str(last.month))
    until.get_by_label("Year").fill(str(last.year))
    page.get_by_role("button", name="Plan visits").click()
    expect(page.get_by_text("The weekly visits have been planned.")).to_be_visible()
    expect(page.get_by_text("Saturdays at 10am for 2 hours")).to_be_visible()
    expect(page.locator("#visits ~ .tandem-table-scroll .govuk-tag--blue").first).to_have_text(
        "Planned"
    )
    assert_accessible(page)

    page.goto("/matches")
    expect(page.locator("tr", has_text=first["name"])).to_contain_text("Robin")
    assert_accessible(page)
    # Chromium logs the refused check-in's 422 as a console error; nothing else may appear.
    assert [e for e in js_errors if "status of 422" not in e] == []


def test_match_page_at_phone_width_has_no_axe_violations(
    pages: BrowserPage, js_errors: list[str], setup: dict[str, Any]
) -> None:
    page = pages.new(PHONE)
    page.goto(f"/children/{setup['child']['id']}/match")
    expect(page.locator("h1")).to_have_text("Find a mentor for Robin")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page)
    page.goto("/mentors")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page)
    assert js_errors == []
