"""Single sign-on in Chromium: a council lead signs in with the organisation's provider (a
real OpenID provider, panva's oidc-provider), and an unverified address is turned away with
the reason on the sign-in page. A server of its own: it needs the client secret in its
environment and its redirect URI in TANDEM_BASE_URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.support.browser import TABLET, assert_accessible
from tests.support.databases import DatabaseFactory
from tests.support.served import DEMO_LOGINS, DEMO_PASSWORD, Served, serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOMAIN = "demo.tandem.example.org"
ACCOUNTS = [
    {"sub": "lead", "email": f"lead@{DOMAIN}", "email_verified": True},
    {"sub": "mentor", "email": f"mentor1@{DOMAIN}", "email_verified": False},
]


@pytest.fixture
def sso_server(databases: DatabaseFactory, tmp_path: Path) -> Iterator[tuple[Served, Provider]]:
    with serve(databases, tmp_path) as served:
        provider = Provider(redirect_uri=f"{served.base_url}/login/sso/callback", accounts=ACCOUNTS)
        provider.start()
        try:
            with served.client("admin") as admin:
                org_id = admin.get("/api/v1/organisation").json()["id"]
                settings = {
                    "enabled": True,
                    "issuer": provider.issuer,
                    "client_id": CLIENT_ID,
                    "domains": [DOMAIN],
                }
                assert admin.put("/api/v1/organisation/sso", json=settings).status_code == 200
            # The secret and the base URL are the server's environment: start it again.
            served.stop()
            served.env["TANDEM_BASE_URL"] = served.base_url
            served.env["TANDEM_SSO_CLIENT_SECRETS"] = json.dumps({str(org_id): CLIENT_SECRET})
            served.start()
            yield served, provider
        finally:
            provider.stop()


def _sign_in_with_sso(page: Page, base_url: str, email: str, sub: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_role("link", name="Sign in with your organisation's account").click()
    page.get_by_label("Work email address").fill(email)
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    # The provider's own (development) sign-in form.
    page.locator("input[name=login]").fill(sub)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()


def test_a_lead_signs_in_with_the_organisations_account(
    browser: Browser, sso_server: tuple[Served, Provider]
) -> None:
    served, _ = sso_server
    context = browser.new_context(viewport=TABLET)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _sign_in_with_sso(page, served.base_url, f"lead@{DOMAIN}", "lead")
        page.wait_for_url(f"{served.base_url}/**")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert "/login" not in page.url

        other = browser.new_context(viewport=TABLET)
        try:
            turned_away = other.new_page()
            turned_away.set_default_timeout(15_000)
            _sign_in_with_sso(turned_away, served.base_url, f"mentor1@{DOMAIN}", "mentor")
            turned_away.wait_for_url(f"{served.base_url}/login?sso=unverified")
            summary = turned_away.locator(".govuk-error-summary")
            expect(summary).to_contain_text("has not confirmed your email address")
            assert_accessible(turned_away)
        finally:
            other.close()
    finally:
        context.close()


def test_an_admin_sets_up_and_checks_the_provider(
    browser: Browser, sso_server: tuple[Served, Provider]
) -> None:
    served, provider = sso_server
    context = browser.new_context(viewport=TABLET, base_url=served.base_url)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login")
        page.get_by_label("Email address").fill(DEMO_LOGINS["admin"])
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto("/admin/organisation")
        page.get_by_role("link", name="Single sign-on").click()
        expect(page.locator("#secret-status")).to_contain_text("Set in the environment")
        expect(page.get_by_label("Issuer URL")).to_have_value(provider.issuer)
        assert_accessible(page)

        page.get_by_label("Button label").fill("Sign in with the council account")
        page.get_by_role("button", name="Save single sign-on settings").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "Single sign-on settings saved. Single sign-on is on."
        )
        page.get_by_label("Email domains").fill("not a domain")
        page.get_by_role("button", name="Save single sign-on settings").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("not an email domain")
        assert_accessible(page)

        page.goto("/admin/sso")
        page.get_by_role("link", name="Check the provider").click()
        expect(page.locator("#check-result")).to_contain_text("Provider checked")
        assert_accessible(page)
    finally:
        context.close()
