"""The pages as a browser sees them: they load, read sensibly, pass axe and work by keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.support.browser import PHONE, SCREENSHOTS, TABLET, BrowserPage, assert_accessible

pytestmark = pytest.mark.e2e

WEEK_LINKS = 'a[href^="/curriculum/1/weeks/"]'
# The h3 headings between the "Activities" h2 and the next h2.
ACTIVITY_HEADINGS = "xpath=//h3[preceding::h2[1][normalize-space()='Activities']]"


def _expected_error_status(errors: list[str], path: str) -> list[str]:
    """Chromium logs the error status of the page itself as a console error; that one is
    expected."""
    return [
        e
        for e in errors
        if not (
            "Failed to load resource: the server responded with a status of" in e
            and re.search(rf"{re.escape(path)}:\d+\)$", e)
        )
    ]


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (None, "/login", 200),
        ("lead", "/", 200),
        ("admin", "/", 200),
        ("facilitator", "/", 200),
        ("mentor", "/", 200),
        ("lead", "/curriculum", 200),
        ("lead", "/curriculum/1/weeks/1", 200),
        ("lead", "/curriculum/1/weeks/30", 200),
        ("lead", "/audit", 200),
        ("lead", "/account/password", 200),
        ("mentor", "/account/sessions", 200),
        ("admin", "/admin/users", 200),
        ("admin", "/admin/users/new", 200),
        ("admin", "/admin/users/1", 200),
        ("admin", "/admin/organisation", 200),
        ("admin", "/admin/email", 200),
        ("lead", "/cohorts", 200),
        ("lead", "/cohorts/new", 200),
        ("lead", "/cohorts/1", 200),
        ("facilitator", "/cohorts/1", 200),
        ("lead", "/sessions/30/change", 200),
        ("lead", "/closures", 200),
        ("facilitator", "/sessions/1", 200),
        ("lead", "/children", 200),
        ("lead", "/children/new", 200),
        ("lead", "/children/1", 200),
        ("lead", "/children/1/edit", 200),
        ("facilitator", "/children", 200),
        ("mentor", "/account/calendar", 200),
        ("lead", "/no-such-page", 404),
        ("mentor", "/admin/users", 403),
    ],
)
def test_page_loads_with_title_one_h1_and_no_axe_violations(
    pages: BrowserPage, js_errors: list[str], role: str | None, path: str, status: int
) -> None:
    page = pages.new(TABLET, role=role)
    response = page.goto(path)
    assert response is not None
    assert response.status == status

    title = page.title()
    assert title.strip(), f"{path} has an empty <title>"
    assert page.locator("h1").count() == 1, f"{path} should have exactly one <h1>"
    expect(page.locator("h1")).not_to_be_empty()

    assert_accessible(page)
    errors = _expected_error_status(js_errors, path) if status >= 400 else js_errors
    assert not errors, "JavaScript errors:\n" + "\n".join(errors)


def test_curriculum_lists_30_weeks(page: Page, js_errors: list[str]) -> None:
    page.goto("/curriculum")

    expect(page.locator(WEEK_LINKS)).to_have_count(30)
    for n in range(1, 31):
        expect(page.get_by_text(f"Week {n}", exact=True)).to_be_visible()
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


def test_curriculum_at_phone_width_has_no_axe_violations(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = pages.new(PHONE)
    page.goto("/curriculum")

    assert_accessible(page)
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


def test_menu_button_toggles_navigation_at_phone_width(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = pages.new(PHONE)
    page.goto("/curriculum")
    button = page.locator(".govuk-service-navigation__toggle")
    nav_list = page.locator("#navigation")

    # GOV.UK Frontend's JS shows the button and collapses the navigation at narrow widths.
    expect(button).to_be_visible()
    expect(button).to_have_text("Menu")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav_list).to_be_hidden()

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav_list).to_be_visible()
    expect(nav_list.get_by_role("link", name="Curriculum")).to_be_visible()
    assert_accessible(page)  # the open menu too

    button.click()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav_list).to_be_hidden()
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


def test_menu_button_is_hidden_at_tablet_width(page: Page, js_errors: list[str]) -> None:
    page.goto("/curriculum")

    expect(page.locator(".govuk-service-navigation__toggle")).to_be_hidden()
    expect(page.locator("#navigation")).to_be_visible()
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


def test_skip_link_and_week_link_work_by_keyboard(page: Page, js_errors: list[str]) -> None:
    page.goto("/curriculum")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # it appears when focused

    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.activeElement?.id === 'main-content' || location.hash === '#main-content'"
    )

    week_link = page.locator('a[href="/curriculum/1/weeks/1"]')
    week_link.focus()
    expect(week_link).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/curriculum/1/weeks/1$"))
    activities = page.locator(ACTIVITY_HEADINGS)
    expect(activities.first).to_be_visible()
    assert activities.count() >= 3, "a week should show at least 3 activities"
    expect(page.locator(".govuk-tag", has_text="Core").first).to_be_visible()
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


def test_first_week_links_to_next_only(page: Page, js_errors: list[str]) -> None:
    page.goto("/curriculum/1/weeks/1")
    pagination = page.get_by_role("navigation", name="Weeks")

    next_link = pagination.get_by_role("link", name=re.compile(r"^Next"))
    expect(next_link).to_have_attribute("href", "/curriculum/1/weeks/2")
    expect(pagination.get_by_role("link", name=re.compile(r"^Previous"))).to_have_count(0)

    with page.expect_navigation():
        next_link.click()
    expect(page).to_have_url(re.compile(r"/curriculum/1/weeks/2$"))
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


def test_last_week_links_to_previous_only(page: Page, js_errors: list[str]) -> None:
    page.goto("/curriculum/1/weeks/30")
    pagination = page.get_by_role("navigation", name="Weeks")

    expect(pagination.get_by_role("link", name=re.compile(r"^Previous"))).to_have_attribute(
        "href", "/curriculum/1/weeks/29"
    )
    expect(pagination.get_by_role("link", name=re.compile(r"^Next"))).to_have_count(0)
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


@pytest.mark.parametrize(("name", "viewport"), [("tablet", TABLET), ("phone", PHONE)])
def test_week_3_screenshot(
    pages: BrowserPage, js_errors: list[str], name: str, viewport: ViewportSize
) -> None:
    """For people to look at (var/screenshots/), not compared with anything."""
    page = pages.new(viewport)
    response = page.goto("/curriculum/1/weeks/3")
    assert response is not None
    assert response.status == 200

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target: Path = SCREENSHOTS / f"week-3-{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 0
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


def test_sign_in_errors_are_summarised_and_accessible(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = pages.new(TABLET, role=None)
    page.goto("/login")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(summary.get_by_role("link", name="Enter your email address")).to_have_attribute(
        "href", "#email"
    )
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    assert not _expected_error_status(js_errors, "/login"), js_errors


def test_signed_out_visitor_is_sent_to_sign_in_and_back(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = pages.new(TABLET, role=None)
    page.goto("/curriculum/1/weeks/2")
    assert "/login?next=" in page.url
    page.get_by_label("Email address").fill("facilitator1@demo.tandem.example.org")
    page.get_by_label("Password").fill("e2e demo password 42")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/curriculum/1/weeks/2")
    expect(page.locator("h1")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert not js_errors, js_errors


def test_closure_form_errors_are_accessible(pages: BrowserPage, js_errors: list[str]) -> None:
    page = pages.new(TABLET, role="lead")
    page.goto("/closures")
    page.get_by_role("button", name="Add closure").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    assert not _expected_error_status(js_errors, "/closures"), js_errors


def test_cohort_term_grid_on_a_phone(pages: BrowserPage, js_errors: list[str]) -> None:
    page = pages.new(PHONE, role="lead")
    page.goto("/cohorts/1")
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    assert page.locator("#sessions + div table tbody tr").count() == 30
    # The page reflows: nothing wider than the phone's screen but the scrolling tables.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "cohort-phone.png"), full_page=True)
    assert not js_errors, js_errors


def test_facilitator_records_a_session_on_a_tablet(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = pages.new(TABLET, role="facilitator")
    page.goto("/sessions/2")
    page.get_by_role("button", name="Mark everyone present").click()
    # The shortcut answers only the empty rows: every child now has an answer.
    expect(page.locator('input[name^="attendance-"]:checked')).to_have_count(9)
    page.get_by_label("Femi Facilitator").check()
    page.get_by_role("button", name="Save the session").click()
    expect(page.get_by_text("The session is recorded")).to_be_visible()
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "session-tablet.png"), full_page=True)
    assert not js_errors, js_errors
