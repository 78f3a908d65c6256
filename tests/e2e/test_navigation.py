"""Navigation and the lead's home in a browser, and the visit's length revealing its box."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import TABLET, BrowserPage, assert_accessible, sign_in

pytestmark = pytest.mark.e2e


def test_a_lead_reaches_cohorts_children_and_closures_from_the_navigation(
    pages: BrowserPage, js_errors: list[str]
) -> None:
    page = pages.new(TABLET, role="lead")
    page.goto("/")
    expect(page.get_by_role("heading", name="Needs attention first")).to_be_visible()
    expect(page.get_by_role("heading", name="This week's sessions")).to_be_visible()
    expect(page.get_by_role("button", name="Create a cohort")).to_be_visible()
    assert_accessible(page)
    menu = page.get_by_role("navigation", name="Menu")
    for name, heading in (("Cohorts", "Cohorts"), ("Children", "Children"), ("Closures", "")):
        menu.get_by_role("link", name=name, exact=True).click()
        expect(menu.locator('[aria-current="page"]')).to_have_text(name)
        if heading:
            expect(page.locator("h1")).to_contain_text(heading)
    assert not js_errors, js_errors


def _log_a_visit(page: Page) -> None:
    page.goto("/mentor")
    page.get_by_role("button", name="Log a visit with").first.click()
    expect(page.locator("h1")).to_have_text("Log a visit")


def test_another_length_reveals_the_minutes_box(pages: BrowserPage, js_errors: list[str]) -> None:
    page = pages.new(TABLET, role="mentor")
    _log_a_visit(page)
    box = page.get_by_label("Another length, in minutes")
    expect(box).to_be_hidden()
    length = page.get_by_role("group", name="How long")
    length.get_by_role("radio", name="Another length").check()
    expect(box).to_be_visible()
    box.fill("75")
    length.get_by_role("radio", name="1 hour", exact=True).check()
    expect(box).to_be_hidden()
    assert_accessible(page)
    assert not js_errors, js_errors


def test_without_javascript_the_minutes_box_is_always_there(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(viewport=TABLET, base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "mentor")
        _log_a_visit(page)
        expect(page.get_by_label("Another length, in minutes")).to_be_visible()
    finally:
        context.close()
