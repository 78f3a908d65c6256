"""A forgotten password in the browser, by keyboard, without relying on JavaScript: the
sign-in page's link, the request, the emailed link, a refused password, the new one, and
the used link's page; axe on each page. On a server of its own (tests/support/served.py),
so the shared e2e server's demo passwords stay as they are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from app.db import create_db_engine
from app.mail.models import OutboxMessage
from tests.support.browser import TABLET, BrowserPage, assert_accessible
from tests.support.databases import DatabaseFactory
from tests.support.links import link_token
from tests.support.served import DEMO_LOGINS, Served, serve

pytestmark = pytest.mark.e2e

NEW = "a brand new passphrase"


@pytest.fixture
def server(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Served]:
    with serve(databases, tmp_path) as served:
        yield served


@pytest.fixture
def signed_out(browser: Browser, server: Served) -> Iterator[Page]:
    factory = BrowserPage(browser, server.base_url)
    yield factory.new(TABLET, role=None)
    # Chromium logs a page's own error status (the refused password, the used link).
    status = "Failed to load resource: the server responded with a status of"
    assert [e for e in factory.errors if status not in e] == []
    factory.close()


def emailed_link(server: Served, email: str) -> str:
    engine = create_db_engine(server.database_url)
    try:
        with Session(engine) as db:
            message = db.exec(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "password_reset", OutboxMessage.to_address == email
                )
            ).one()
            return f"/account/reset/{link_token(message)}"
    finally:
        engine.dispose()


def test_a_forgotten_password_by_keyboard(signed_out: Page, server: Served) -> None:
    page, email = signed_out, DEMO_LOGINS["lead"]
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.locator("h1")).to_have_text("Reset your password")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Check your email")
    expect(page.get_by_text("If that address has an account, we have sent a link.")).to_be_visible()
    assert_accessible(page)

    link = emailed_link(server, email)
    response = page.goto(link)
    assert response is not None
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.locator("h1")).to_have_text("Choose a new password")
    assert_accessible(page)
    page.get_by_label("New password").fill("qwerty123456")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("list of common passwords")
    assert_accessible(page)
    page.get_by_label("New password").fill(NEW)
    page.keyboard.press("Enter")
    page.wait_for_url("**/login")
    expect(page.get_by_text("Your password has been changed")).to_be_visible()

    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(NEW)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)

    again = page.goto(link)
    assert again is not None
    assert again.status == 400
    expect(page.locator("h1")).to_have_text("This link cannot be used")
    expect(page.get_by_text("already been used")).to_be_visible()
    assert_accessible(page)
