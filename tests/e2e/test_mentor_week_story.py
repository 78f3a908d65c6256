"""The mentor's week tells the story, in a browser: a mentor opens the week, opens a catch-up
activity's guidance (and the curriculum at that activity), cancels a planned visit saying who
called it off and why, and undoes it.

The test makes its own mentoring on the demo data: a new mentor (through the API, as the
demo's admin and lead) matched with a demo child with no mentor, marked absent at the
cohort's latest past session (so there is something to catch up on), and a visit planned in
two days."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    TABLET,
    BrowserPage,
    assert_accessible,
)
from tests.support.clock import LONDON

pytestmark = pytest.mark.e2e

MENTOR_EMAIL = "e2e.story.mentor@demo.tandem.example.org"
MENTOR_PASSWORD = "e2e story mentor pass phrase 7"


def _call(base: str, method: str, path: str, body: Any = None, *, token: str = "") -> Any:
    data, kind = None, "application/json"
    if isinstance(body, str):
        data, kind = body.encode(), "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", kind)
    request.add_header("Accept", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from exc


def _token(base: str, email: str, password: str) -> str:
    form = urllib.parse.urlencode({"username": email, "password": password})
    return str(_call(base, "POST", "/api/v1/auth/token", form)["access_token"])


@dataclass
class Story:
    child_name: str
    activity_key: str
    activity_title: str
    visit_day: dt.date
    concern_visit_id: int


@pytest.fixture(scope="module")
def story(live_server: str) -> Story:
    admin = _token(live_server, DEMO_LOGINS["admin"], DEMO_PASSWORD)
    lead = _token(live_server, DEMO_LOGINS["lead"], DEMO_PASSWORD)
    today = dt.datetime.now(LONDON).date()  # the server's clock (tests/support/clocked.py)

    def as_lead(method: str, path: str, body: Any = None) -> Any:
        return _call(live_server, method, path, body, token=lead)

    user = _call(
        live_server,
        "POST",
        "/api/v1/users",
        {"email": MENTOR_EMAIL, "name": "Sol Story", "role": "mentor", "password": MENTOR_PASSWORD},
        token=admin,
    )
    as_lead(
        "POST",
        "/api/v1/mentors",
        {
            "user_id": user["id"],
            "dbs_checked_on": (today - dt.timedelta(days=90)).isoformat(),
            "barred_list_checked": True,
            "references_checked": True,
            "interviewed_on": (today - dt.timedelta(days=80)).isoformat(),
            "training_completed_on": (today - dt.timedelta(days=70)).isoformat(),
        },
    )
    cohort = next(c for c in as_lead("GET", "/api/v1/cohorts") if c["name"] == "Monday group")
    # Matched in the group's programme (FHF-PT): a child may also have an Independent Visitor.
    programme = cohort["programme_id"]
    matched = {
        m["child_id"]
        for m in as_lead("GET", "/api/v1/matches")
        if m["active"] and m["programme_id"] == programme
    }
    sessions = as_lead("GET", f"/api/v1/cohorts/{cohort['id']}/sessions")
    past = [s for s in sessions if s["status"] != "cancelled" and s["date"] < today.isoformat()]
    assert past, "the demo cohort has no past session"
    latest = as_lead("GET", f"/api/v1/sessions/{past[-1]['id']}")
    free = [c for c in latest["roster"] if c["child_id"] not in matched]
    assert free, "every demo child already has a mentor"
    child = free[0]
    as_lead(
        "POST",
        "/api/v1/matches",
        {
            "child_id": child["child_id"],
            "mentor_id": user["id"],
            "programme_id": programme,
            "start_date": sessions[0]["date"],
        },
    )
    # The child missed the latest session (recorded again if it was already).
    stored = {a["child_id"]: a for a in latest.get("attendance") or []}
    as_lead(
        "PUT",
        f"/api/v1/sessions/{latest['id']}/record",
        {
            "version": latest["version"],
            "facilitators_present": latest.get("facilitators_present")
            or [f["id"] for f in cohort["facilitators"]][:2],
            "attendance": [
                {
                    "child_id": c["child_id"],
                    "status": "absent"
                    if c["child_id"] == child["child_id"]
                    else stored.get(c["child_id"], {}).get("status") or "present",
                }
                for c in latest["roster"]
            ],
            "coverage": [
                {"activity_id": a["id"], "status": "delivered"}
                for a in latest["lesson"]["activities"]
            ],
        },
    )
    core = next(a for a in latest["lesson"]["activities"] if a["core"])
    mentor = _token(live_server, MENTOR_EMAIL, MENTOR_PASSWORD)
    day = today + dt.timedelta(days=2)
    match_id = next(
        m["id"] for m in _call(live_server, "GET", "/api/v1/matches", token=mentor) if m["active"]
    )
    _call(
        live_server,
        "POST",
        "/api/v1/visits",
        {
            "match_id": match_id,
            "date": day.isoformat(),
            "start_time": "19:30",
            "duration_minutes": 60,
            "status": "planned",
        },
        token=mentor,
    )
    concern = _call(
        live_server,
        "POST",
        "/api/v1/visits",
        {
            "match_id": match_id,
            "date": (today - dt.timedelta(days=1)).isoformat(),
            "start_time": "10:00",
            "duration_minutes": 60,
            "status": "completed",
            "safeguarding_concern": True,
        },
        token=mentor,
    )
    return Story(child["first_name"], core["key"], core["title"], day, concern["id"])


def _signed_in(pages: BrowserPage) -> Page:
    page = pages.new(TABLET, role=None)
    page.goto("/login")
    page.get_by_label("Email address").fill(MENTOR_EMAIL)
    page.get_by_label("Password").fill(MENTOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_guidance_then_cancel_with_a_reason_and_undo(
    pages: BrowserPage, js_errors: list[str], story: Story
) -> None:
    page = _signed_in(pages)
    page.goto(f"/mentor?date={story.visit_day.isoformat()}")
    expect(page.locator("h1")).to_have_text("My week")
    card = page.locator("section.tandem-mentee", has_text=story.child_name)
    expect(card.get_by_text("Catch up on:")).to_be_visible()

    # A catch-up item opens to the activity's guidance and links to it in the curriculum.
    item = card.locator("details", has_text=story.activity_title).first
    link = item.get_by_role("link", name=f"{story.activity_title} in the curriculum")
    expect(link).to_be_hidden()
    item.locator("summary").click()
    expect(link).to_be_visible()
    assert_accessible(page)
    link.click()
    page.wait_for_url(lambda url: "/curriculum/" in url)
    assert page.url.endswith(f"#activity-{story.activity_key}")
    expect(page.locator(f"#activity-{story.activity_key}")).to_contain_text(story.activity_title)
    page.go_back()

    # Cancel the planned visit: who called it off and why are asked.
    card = page.locator("section.tandem-mentee", has_text=story.child_name)
    card.get_by_role("link", name="Cancel the visit on").first.click()
    expect(page.locator("h1")).to_have_text("Cancel the visit")
    page.get_by_role("button", name="Cancel the visit").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(2)
    assert_accessible(page)
    page.get_by_label("The carer").check()
    page.get_by_label("Why was it called off?").fill("Family birthday party")
    page.get_by_role("button", name="Cancel the visit").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Visit cancelled")
    card = page.locator("section.tandem-mentee", has_text=story.child_name)
    visit = card.locator(".tandem-visit").filter(has_text="Cancelled").first
    expect(visit).to_contain_text("Called off by the carer: Family birthday party")
    assert_accessible(page)

    # Undo: planned again, as it was.
    visit.get_by_role("button", name="Undo the cancelling").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Visit planned again")
    card = page.locator("section.tandem-mentee", has_text=story.child_name)
    again = card.locator(".tandem-visit").filter(has_text="7:30pm").first
    expect(again).to_contain_text("Planned")
    expect(again).not_to_contain_text("Called off")
    # Chromium logs the 422 of the page with the error summary; nothing else may fail.
    unexpected = [e for e in js_errors if "status of 422" not in e]
    assert not unexpected, "JavaScript errors:\n" + "\n".join(unexpected)


def test_a_lead_reviews_a_concern_on_the_visit_page(
    pages: BrowserPage, js_errors: list[str], story: Story
) -> None:
    page = pages.new(TABLET, role="lead")
    page.goto(f"/visits/{story.concern_visit_id}#concern-review")
    expect(page.get_by_role("heading", name="Safeguarding concern")).to_be_visible()
    expect(page.get_by_text("Not reviewed yet")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Record the review").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(3)
    summary.get_by_role("link", name="Write a note").click()
    expect(page.get_by_label("Note")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Discussed with the child's social worker").check()
    page.get_by_label("Note").fill("Called the social worker; a home visit on Friday.")
    page.locator("#review_escalated-no").check()
    page.get_by_role("button", name="Record the review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your review of the safeguarding concern is recorded."
    )
    expect(page.get_by_text("a home visit on Friday")).to_be_visible()
    expect(page.get_by_role("button", name="Record the follow-up")).to_be_visible()
    assert_accessible(page)
    unexpected = [e for e in js_errors if "status of 422" not in e]
    assert not unexpected, "JavaScript errors:\n" + "\n".join(unexpected)
