"""Two-step sign-in in a real browser: set it up reading the key off the page, sign out, sign
in with a code from the app (computed with pyotp), and with a recovery code."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DEMO_LOGINS, DEMO_PASSWORD, TABLET, BrowserPage, assert_accessible

pytestmark = pytest.mark.e2e

EMAIL = "two.step@demo.tandem.example.org"
PASSWORD = "a long enough password for e2e"


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


def server_now(page: Page) -> datetime:
    """The server's clock (it runs at the test session's travelled time), from the Date
    header: the codes must be the ones the server expects now."""
    response = page.request.get("/healthz")
    return parsedate_to_datetime(response.headers["date"])


def sign_in_with_password(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


def test_set_up_and_sign_in_with_a_code_and_a_recovery_code(
    pages: BrowserPage, live_server: str
) -> None:
    admin = _api(
        live_server,
        "/api/v1/auth/token",
        body={"username": DEMO_LOGINS["admin"], "password": DEMO_PASSWORD},
    )["access_token"]
    _api(
        live_server,
        "/api/v1/users",
        admin,
        body={"email": EMAIL, "name": "Sam Two-Step", "role": "mentor", "password": PASSWORD},
    )
    page = pages.new(TABLET, role=None)
    sign_in_with_password(page)
    page.wait_for_url(lambda url: "/login" not in url)

    page.get_by_role("link", name="Two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in", level=1)).to_be_visible()
    page.get_by_role("button", name="Set up two-step sign-in").click()
    expect(page.get_by_role("img", name="QR code to scan")).to_be_visible()
    assert_accessible(page)
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)

    # A wrong code first: the error is by the field.
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("#code-error")).to_contain_text("The code is wrong")
    assert_accessible(page)

    confirmed_at = server_now(page)
    page.get_by_label("Code", exact=True).fill(totp.at(confirmed_at))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert_accessible(page)
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have saved my codes").click()
    expect(page.locator("#codes-left")).to_have_text("10 of 10")
    sign_out(page)

    # The password, then the code (the next 30 seconds' code: the last one was used).
    sign_in_with_password(page)
    page.wait_for_url("**/login/code")
    assert_accessible(page)
    page.get_by_label("Code", exact=True).fill(totp.at(server_now(page) + timedelta(seconds=30)))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.get_by_text("Signed in as")).to_be_visible()
    sign_out(page)

    # The password, then a recovery code.
    sign_in_with_password(page)
    page.wait_for_url("**/login/code")
    page.get_by_role("link", name="Use a recovery code instead").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/account/security")
    expect(page.locator("#codes-left")).to_have_text("9 of 10")
    # The wrong code's answer (422, shown as a page) is the one failed load expected.
    unexpected = [e for e in pages.errors if "status of 422" not in e]
    assert not unexpected, unexpected
