"""The register in a real browser (issue 12, points 1 and 5): it starts empty, Enter in a
note saves (and so is refused while answers are missing) rather than marking everyone
present, and a stale save names who saved first and when."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    SCREENSHOTS,
    TABLET,
    BrowserPage,
    assert_accessible,
)

pytestmark = pytest.mark.e2e
LONDON = ZoneInfo("Europe/London")


def _api(
    base: str, path: str, token: str | None = None, *, body: Any = None, form: Any = None
) -> Any:
    data, headers = None, {}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
    elif body is not None:
        data, headers = json.dumps(body).encode(), {"Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, headers=headers)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def unrecorded(live_server: str) -> list[dict[str, Any]]:
    """A cohort of demo facilitator 1's that started three weeks ago, none of its sessions
    recorded yet (made through the API, so the tests need nothing of the demo's history)."""
    token = _api(
        live_server,
        "/api/v1/auth/token",
        form={"username": DEMO_LOGINS["lead"], "password": DEMO_PASSWORD},
    )["access_token"]
    today = dt.datetime.now(LONDON).date()
    facilitators = [f["id"] for f in _api(live_server, "/api/v1/cohorts/1", token)["facilitators"]]
    curriculum = _api(live_server, "/api/v1/curricula", token)[0]["id"]
    start = today - dt.timedelta(days=today.weekday() + 20)  # a Tuesday, three weeks back
    cohort = _api(
        live_server,
        "/api/v1/cohorts",
        token,
        body={
            "name": "Register test group",
            "curriculum_id": curriculum,
            "start_date": start.isoformat(),
            "start_time": "10:00",
            "venue": "Library",
            "facilitator_ids": facilitators,
        },
    )
    for n in range(3):
        child = _api(
            live_server,
            "/api/v1/children",
            token,
            body={
                "reference": f"E2E-REG-{n}",
                "first_name": ["Ada", "Bo", "Cy"][n],
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
    sessions = [s for s in cohort["sessions"] if s["date"] < today.isoformat()]
    assert len(sessions) >= 2, sessions
    return sessions


def test_enter_in_a_note_never_marks_everyone_present(
    pages: BrowserPage, unrecorded: list[dict[str, Any]], js_errors: list[str]
) -> None:
    session = unrecorded[0]
    page = pages.new(TABLET, role="facilitator")
    page.goto(f"/sessions/{session['id']}")
    # Nothing is pre-filled as if it happened.
    expect(page.locator("input.govuk-radios__input:checked")).to_have_count(0)
    note = page.locator('input[id$="-note"]').first
    note.fill("Arrived with a cold")
    note.press("Enter")
    # Enter submits the form with its default button, Save: refused, every answer named.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("was there")
    expect(summary).to_contain_text("was delivered")
    assert "everyone_present" not in page.url
    expect(page.locator('input[value="present"]:checked')).to_have_count(0)
    # Enter on a radio is no shortcut either.
    radio = page.locator('input[value="absent"]').first
    radio.check()
    radio.press("Enter")
    expect(summary).to_be_visible()
    expect(page.locator('input[value="present"]:checked')).to_have_count(0)
    # The shortcut sits after the heading, outside the form, and saves nothing.
    page.get_by_role("button", name="Mark everyone present").click()
    expect(page.get_by_text("Nothing is saved yet")).to_be_visible()
    assert page.locator('input[value="present"]:checked').count() > 0
    assert_accessible(page)
    assert not [e for e in js_errors if "422" not in e], js_errors


def test_a_stale_save_names_who_saved_first(
    pages: BrowserPage, unrecorded: list[dict[str, Any]], js_errors: list[str]
) -> None:
    session = unrecorded[1]
    url = f"/sessions/{session['id']}"
    facilitator = pages.new(TABLET, role="facilitator")
    lead = pages.new(TABLET, role="lead")
    for page in (facilitator, lead):
        page.goto(url)
        page.get_by_role("button", name="Mark everyone present").click()
        for radio in page.locator('input[value="delivered"]').all():
            radio.check()
    lead.locator('input[name^="facilitator-"]').first.check()
    lead.locator('input[value="absent"]').first.check()
    facilitator.get_by_role("button", name="Save the session").click()
    expect(facilitator.get_by_text("The session is recorded")).to_be_visible()
    lead.get_by_role("button", name="Save the session").click()
    warning = lead.locator(".govuk-warning-text")
    expect(warning).to_contain_text("Saved by ")
    expect(warning).to_contain_text(" at ")
    expect(lead.get_by_text("Saved by the other person: Present").first).to_be_visible()
    assert_accessible(lead)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lead.screenshot(path=str(SCREENSHOTS / "session-conflict.png"), full_page=True)
    assert not [e for e in js_errors if "409" not in e], js_errors
