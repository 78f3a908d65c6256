"""The fidelity dashboard in a browser at tablet width, with the demo's mid-year cohort: the
figures, the charts, sorting, the flag count in the navigation, the drill-downs and the
printable report. Each page must pass axe; a phone must not scroll the page sideways."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import PHONE, BrowserPage, assert_accessible

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/tandem-fidelity-screenshots")


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_dashboard_and_its_drill_downs_pass_axe(page: Page, js_errors: list[str]) -> None:
    page.goto("/fidelity")
    expect(page.get_by_role("heading", level=1, name="Fidelity")).to_be_visible()
    # The demo's programme has data: figures beside the trials, and charts.
    expect(page.get_by_text("Trials: 92%").first).to_be_visible()
    assert page.locator("figure.tandem-chart svg").count() == 3
    # The flag count arrives in the navigation (htmx) with words for screen readers.
    badge = page.locator(".govuk-service-navigation .tandem-nav-count")
    expect(badge).to_be_visible()
    assert re.fullmatch(r"\d+ flags?", " ".join((badge.text_content() or "").split()))
    assert_accessible(page)
    _shot(page, "dashboard-tablet")

    # Sorting by a column: the header says so.
    page.locator("#cohorts").scroll_into_view_if_needed()
    page.get_by_role("link", name=re.compile("^Attendance")).first.click()
    expect(page.locator('th[aria-sort="ascending"]')).to_have_count(1)
    assert_accessible(page)

    # A cohort, week by week.
    page.locator('a[href^="/fidelity/cohorts/"]').first.click()
    expect(page.get_by_text("Attendance at each session").first).to_be_visible()
    assert_accessible(page)
    _shot(page, "cohort-tablet")

    # A child, from the cohort's children.
    page.locator('a[href^="/fidelity/children/"]').first.click()
    expect(page.get_by_role("heading", name="Dosage")).to_be_visible()
    assert_accessible(page)

    # A mentor, from the dashboard.
    page.goto("/fidelity")
    mentors = page.locator('a[href^="/fidelity/mentors/"]')
    if mentors.count():
        mentors.first.click()
        expect(page.get_by_text("Mentoring hours per mentee by week").first).to_be_visible()
        assert_accessible(page)
        _shot(page, "mentor-tablet")

    # The printable report, printed: no navigation.
    page.goto("/fidelity/report")
    expect(page.get_by_role("heading", level=1, name=re.compile("Fidelity report"))).to_be_visible()
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.locator(".tandem-fidelity-date")).to_be_hidden()
    _shot(page, "report-print")
    page.emulate_media(media="screen")
    assert js_errors == []


def test_a_bad_date_is_an_error_the_page_explains(page: Page, js_errors: list[str]) -> None:
    page.goto("/fidelity")
    page.locator("#as_of").fill("31")
    page.locator("#as_of-month").fill("2")
    page.locator("#as_of-year").fill("2026")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    expect(page.locator("#as_of")).to_have_value(re.compile(r"^\d+$"))  # today, re-shown
    assert_accessible(page)
    # The browser logs the page's own 422 status; nothing else may go wrong.
    assert [e for e in js_errors if "status of 422" not in e] == []


def test_the_dashboard_fits_a_phone(pages: BrowserPage, js_errors: list[str]) -> None:
    page = pages.new(PHONE)
    page.goto("/fidelity")
    expect(page.get_by_role("heading", level=1, name="Fidelity")).to_be_visible()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, overflow
    assert_accessible(page)
    _shot(page, "dashboard-phone")
    assert js_errors == []


def test_a_facilitator_sees_their_cohorts(pages: BrowserPage, js_errors: list[str]) -> None:
    page = pages.new(PHONE, role="facilitator")
    page.goto("/fidelity")
    expect(page.get_by_text("Your cohorts")).to_be_visible()
    assert page.locator("#mentors").count() == 0
    assert_accessible(page)
    assert js_errors == []
