"""A session that ends while the register is being filled keeps the work (issue 15, point
11): the save goes to sign-in, and after it the register is back with its answers and a
message, saved only when the facilitator saves."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.web import KEPT_MESSAGE
from tests.support.browser import DEMO_LOGINS, DEMO_PASSWORD, TABLET, BrowserPage

pytestmark = pytest.mark.e2e
LONDON = ZoneInfo("Europe/London")


def _api(base: str, path: str, token: str | None = None, *, body: Any = None) -> Any:
    data, headers = None, {}
    if path == "/api/v1/auth/token":
        data = urllib.parse.urlencode(body).encode()
    elif body is not None:
        data, headers = json.dumps(body).encode(), {"Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, headers=headers)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def last_session(live_server: str) -> dict[str, Any]:
    """An unrecorded session, already started, of a cohort of demo facilitator 1's with two
    children (made through the API)."""
    login = {"username": DEMO_LOGINS["lead"], "password": DEMO_PASSWORD}
    token = _api(live_server, "/api/v1/auth/token", body=login)["access_token"]
    today = dt.datetime.now(LONDON).date()
    facilitators = [f["id"] for f in _api(live_server, "/api/v1/cohorts/1", token)["facilitators"]]
    start = today - dt.timedelta(days=today.weekday() + 13)  # a Tuesday, two weeks back
    cohort = _api(
        live_server,
        "/api/v1/cohorts",
        token,
        body={
            "name": "Expiry test group",
            "curriculum_id": _api(live_server, "/api/v1/curricula", token)[0]["id"],
            "start_date": start.isoformat(),
            # Before test_register_truth's group, which meets on the same Tuesdays at 10:00
            # with the same facilitators on the same server: a clash would be refused.
            "start_time": "08:00",
            "venue": "Youth centre",
            "facilitator_ids": facilitators,
        },
    )
    for n, name in enumerate(("Dee", "Eli")):
        child = _api(
            live_server,
            "/api/v1/children",
            token,
            body={
                "reference": f"E2E-EXP-{n}",
                "first_name": name,
                "date_of_birth": (start - dt.timedelta(days=3650)).isoformat(),
                "placement_type": "foster",
                "consent_given_by": "Social worker",
                "consent_given_on": start.isoformat(),
            },
        )
        _api(
            live_server,
            f"/api/v1/cohorts/{cohort['id']}/enrolments",
            token,
            body={"child_id": child["id"], "start_date": start.isoformat()},
        )
    session: dict[str, Any] = next(s for s in cohort["sessions"] if s["date"] < today.isoformat())
    return session


def test_the_register_comes_back_after_signing_in_again(
    pages: BrowserPage, live_server: str, last_session: dict[str, Any], js_errors: list[str]
) -> None:
    url = f"/sessions/{last_session['id']}"
    page = pages.new(TABLET, role="facilitator")
    page.goto(url)
    for radio in page.locator('input[value="present"]').all():
        radio.check()
    absent = page.locator('input[value="absent"]').nth(1)
    absent.check()
    for radio in page.locator('input[value="delivered"]').all():
        radio.check()
    page.locator('input[name^="facilitator-"]').first.check()
    page.locator("textarea").last.fill("Eli was at a contact visit.")

    # The session ends (signed out in another tab, so the server has ended it), while this
    # tab still holds its cookie: the server knows whose it was, and that it has ended.
    ended = next(c for c in page.context.cookies() if c["name"] == "tandem_session")
    other = page.context.new_page()
    other.goto(f"{live_server}/")
    other.get_by_role("button", name="Sign out").click()
    other.wait_for_url("**/login*")
    other.close()
    page.context.add_cookies(
        [{"name": "tandem_session", "value": ended["value"], "url": live_server}]
    )
    page.get_by_role("button", name="Save the session").click()

    page.wait_for_url("**/login?next=*")
    expect(page.get_by_text("We kept what you entered.")).to_be_visible()
    page.get_by_label("Email address").fill(DEMO_LOGINS["facilitator"])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"**{url}")
    expect(page.get_by_text(KEPT_MESSAGE)).to_be_visible()
    expect(page.locator('input[value="absent"]').nth(1)).to_be_checked()
    expect(page.locator('input[value="absent"]:checked')).to_have_count(1)
    expect(page.locator('input[name^="facilitator-"]').first).to_be_checked()
    expect(page.locator("textarea").last).to_have_value("Eli was at a contact visit.")
    expect(page.locator(".govuk-tag--green", has_text="Recorded")).to_have_count(0)

    page.get_by_role("button", name="Save the session").click()
    expect(page.get_by_text("The session is recorded")).to_be_visible()
    expect(page.get_by_text(KEPT_MESSAGE)).to_have_count(0)
    assert not js_errors, js_errors
