"""Single sign-on settings (API and the admin page), the sign-in page's first step, and the
rules that need no provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import sso
from app.auth.models import SsoConfig, SsoLogin
from app.config import get_settings
from tests.sso.conftest import ConfigureSso
from tests.support.auth import (
    assert_error_summary,
    assert_page,
    assert_problem,
    audit_events,
    count,
    error_fields,
    hidden_csrf,
    post_form,
)
from tests.support.people import PageClient, People

URL = "/api/v1/organisation/sso"
GOOD: dict[str, Any] = {
    "enabled": True,
    "issuer": "https://login.microsoftonline.com/7d2c5d47-0000-4000-8000-000000000000/v2.0",
    "client_id": "0f8c3a2e-1111-4222-8333-444455556666",
    "domains": ["Org-A.example.org", "@social.org-a.example.org", "org-a.example.org"],
}
Secrets = Callable[[dict[str, str]], None]


def test_an_admin_sees_empty_settings_first(admin_api: TestClient) -> None:
    body = admin_api.get(URL).json()
    assert body == {
        "enabled": False,
        "issuer": "",
        "client_id": "",
        "domains": [],
        "button_label": "Sign in with your organisation's account",
        "trust_provider_emails": False,
        "trust_provider_mfa": False,
        "client_secret_set": False,
        "redirect_uri": "http://testserver/login/sso/callback",
    }


def test_an_admin_sets_the_provider(
    admin_api: TestClient, db: Session, people: People, secrets: Secrets
) -> None:
    response = admin_api.put(URL, json=GOOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["domains"] == ["org-a.example.org", "social.org-a.example.org"]
    assert body["enabled"] is True
    assert body["client_secret_set"] is False
    event = audit_events(db, entity="sso_config")[-1]
    assert event.action == "create"
    assert event.changes["issuer"] == [None, GOOD["issuer"]]

    secrets({str(people.org.id): "the real secret"})
    body = admin_api.get(URL).json()
    assert body["client_secret_set"] is True
    assert "the real secret" not in json.dumps(body)

    changed = admin_api.put(URL, json={**GOOD, "enabled": False, "button_label": "Council login"})
    assert changed.json()["button_label"] == "Council login"
    assert audit_events(db, entity="sso_config")[-1].changes == {
        "enabled": [True, False],
        "button_label": ["Sign in with your organisation's account", "Council login"],
    }


def test_another_organisation_secret_does_not_count(
    admin_api: TestClient, people: People, secrets: Secrets
) -> None:
    secrets({str(people.other_org.id): "theirs"})
    assert admin_api.get(URL).json()["client_secret_set"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"issuer": "http://login.example.org"}, "issuer"),
        ({"issuer": "login.example.org"}, "issuer"),
        ({"issuer": "https://login.example.org/?tenant=1"}, "issuer"),
        ({"issuer": ""}, "issuer"),
        ({"issuer": "https://[::1"}, "issuer"),
        ({"client_id": "  "}, "client_id"),
        ({"domains": []}, "domains"),
        ({"domains": ["council"]}, "domains"),
        ({"domains": ["name@council.gov.uk"]}, "domains"),
        ({"domains": ["-bad-.gov.uk"]}, "domains"),
        ({"domains": "council.gov.uk"}, "domains"),
        ({"domains": [f"d{n}.gov.uk" for n in range(21)]}, "domains"),
        ({"button_label": "x" * 81}, "button_label"),
        ({"client_secret": "never here"}, "client_secret"),
        ({"enabled": "perhaps"}, "enabled"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    admin_api: TestClient, db: Session, change: dict[str, Any], field: str
) -> None:
    admin_api.put(URL, json={**GOOD, "enabled": False})
    before = admin_api.get(URL).json()
    body = assert_problem(admin_api.put(URL, json={**GOOD, **change}), 422)
    assert field in error_fields(body)
    assert admin_api.get(URL).json() == before


def test_plain_http_to_this_machine_is_allowed_outside_production(
    admin_api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = {**GOOD, "issuer": "http://127.0.0.1:8080"}
    assert admin_api.put(URL, json=local).status_code == 200
    assert sso.issuer_problem("http://localhost:9000/realms/tandem") is None
    monkeypatch.setenv("TANDEM_ENVIRONMENT", "production")
    get_settings.cache_clear()
    assert sso.issuer_problem("http://127.0.0.1:8080") == "The issuer URL must start with https://"
    assert sso.issuer_problem("https://login.example.org") is None


def test_a_domain_of_another_organisation_is_a_conflict(
    admin_api: TestClient, signed: Any, people: People
) -> None:
    theirs = signed.api(people.other_admin)
    assert theirs.put(URL, json={**GOOD, "domains": ["org-b.example.org", "shared.example.org"]})
    body = assert_problem(
        admin_api.put(URL, json={**GOOD, "domains": ["org-a.example.org", "shared.example.org"]}),
        409,
    )
    assert body["detail"] == (
        "shared.example.org is already used for single sign-on by another organisation"
    )
    assert admin_api.get(URL).json()["domains"] == []


def test_only_admins_see_or_change_the_settings(signed: Any, people: People) -> None:
    for user in (people.lead, people.facilitator, people.mentor):
        client = signed.api(user)
        assert client.get(URL).status_code == 403
        assert client.put(URL, json=GOOD).status_code == 403


# The admin page ---------------------------------------------------------------------------


def test_the_page_says_what_to_register_and_whether_the_secret_is_there(
    admin_pages: PageClient, people: People, secrets: Secrets
) -> None:
    html = assert_page(
        admin_pages.get("/admin/sso"),
        200,
        "http://testserver/login/sso/callback",
        "Not set",
        f"""TANDEM_SSO_CLIENT_SECRETS='{{"{people.org.id}": "the secret"}}'""",
    )
    assert "Check the provider" in html
    secrets({str(people.org.id): "s3cr3t-value"})
    html = assert_page(admin_pages.get("/admin/sso"), 200, "Set in the environment")
    assert "s3cr3t-value" not in html
    assert '<a class="govuk-link" href="/admin/sso">' in admin_pages.get("/admin/organisation").text


def test_an_admin_saves_the_settings_on_the_page(admin_pages: PageClient, db: Session) -> None:
    form = {
        "enabled": "yes",
        "issuer": GOOD["issuer"],
        "client_id": GOOD["client_id"],
        "domains": "org-a.example.org\nsocial.org-a.example.org",
        "button_label": "",
        "trust_provider_emails": "yes",
    }
    response = post_form(admin_pages, "/admin/sso", form)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/sso"
    page = admin_pages.get("/admin/sso")
    assert "Single sign-on settings saved. Single sign-on is on." in page.text
    config = db.exec(select(SsoConfig)).one()
    assert config.domains == ["org-a.example.org", "social.org-a.example.org"]
    assert config.trust_provider_emails is True
    assert config.button_label == "Sign in with your organisation's account"


def test_the_page_shows_every_problem_and_saves_nothing(
    admin_pages: PageClient, db: Session
) -> None:
    form = {"enabled": "yes", "issuer": "http://idp.example.org", "client_id": "", "domains": "x"}
    response = post_form(admin_pages, "/admin/sso", form)
    html = assert_error_summary(response, 422, "issuer", "The issuer URL must start with https://")
    assert '<a href="#client_id">' in html
    assert '<a href="#domains">' in html
    assert "http://idp.example.org" in html  # what was typed, shown again
    assert count(db, SsoConfig) == 0
    missing = post_form(admin_pages, "/admin/sso", {"issuer": GOOD["issuer"]})
    assert_error_summary(
        missing, 422, "enabled", "Choose whether people can sign in with single sign-on"
    )


def test_the_page_shows_a_conflict_by_the_domains(
    admin_pages: PageClient, signed: Any, people: People
) -> None:
    signed.api(people.other_admin).put(URL, json={**GOOD, "domains": ["shared.example.org"]})
    form = {**GOOD, "enabled": "yes", "domains": "shared.example.org"}
    assert_error_summary(
        post_form(admin_pages, "/admin/sso", form),
        409,
        "domains",
        "shared.example.org is already used for single sign-on by another organisation",
    )


def test_checking_without_settings_says_to_save_first(admin_pages: PageClient) -> None:
    assert_page(
        admin_pages.get("/admin/sso/check"),
        200,
        "Problem with the provider",
        "Save the provider",
    )


# Signing in: the first step ------------------------------------------------------------------


def _start(anon: TestClient, email: str, **extra: str) -> Any:
    page = anon.get("/login/sso")
    return anon.post(
        "/login/sso", data={"email": email, "csrf_token": hidden_csrf(page.text), **extra}
    )


NOT_SET_UP = "Single sign-on is not set up for that address. Sign in with your password."


def test_the_sign_in_page_links_to_single_sign_on(anon: TestClient) -> None:
    html = assert_page(anon.get("/login?next=/children"), 200)
    assert (
        'href="/login/sso?next=/children"' in html or 'href="/login/sso?next=%2Fchildren"' in html
    )
    assert_page(anon.get("/login/sso"), 200, "Work email address", "Sign in with your password")


def test_the_link_says_what_the_organisation_chose(
    anon: TestClient, configure_sso: ConfigureSso, db: Session
) -> None:
    config = configure_sso("http://127.0.0.1:9")
    config.button_label = "Sign in with your Example Council account"
    db.add(config)
    db.commit()
    assert "Sign in with your Example Council account</a>" in anon.get("/login").text
    config.enabled = False
    db.add(config)
    db.commit()
    assert "Sign in with your organisation&#39;s account</a>" in anon.get("/login").text


def test_an_address_whose_domain_has_no_single_sign_on_is_told_so(
    anon: TestClient, configure_sso: ConfigureSso, db: Session
) -> None:
    configure_sso("http://127.0.0.1:9")
    for email in ("someone@elsewhere.example.org", "lead@org-b.example.org"):
        assert_error_summary(_start(anon, email), 400, "email", NOT_SET_UP)
    assert count(db, SsoLogin) == 0


def test_the_same_answer_whether_or_not_the_account_exists(
    anon: TestClient, db: Session, people: People
) -> None:
    """Without single sign-on for the domain: known and unknown addresses alike."""
    known = _start(anon, "lead@org-a.example.org")
    unknown = _start(anon, "nobody-here@org-a.example.org")
    assert_error_summary(known, 400, "email", NOT_SET_UP)
    assert_error_summary(unknown, 400, "email", NOT_SET_UP)


def test_a_turned_off_or_secretless_provider_is_not_used(
    anon: TestClient, configure_sso: ConfigureSso, db: Session, secrets: Secrets
) -> None:
    config = configure_sso("http://127.0.0.1:9")
    secrets({})
    assert_error_summary(_start(anon, "lead@org-a.example.org"), 400, "email", NOT_SET_UP)
    config.enabled = False
    db.add(config)
    db.commit()
    assert_error_summary(_start(anon, "lead@org-a.example.org"), 400, "email", NOT_SET_UP)


def test_bad_input_on_the_first_step(anon: TestClient) -> None:
    assert_error_summary(_start(anon, ""), 400, "email", "Enter your work email address")
    response = _start(anon, "not an address")
    assert_error_summary(
        response,
        400,
        "email",
        "Enter an email address in the correct format, like name@example.org",
    )
    forged = anon.post("/login/sso", data={"email": "lead@org-a.example.org"})
    assert_page(forged, 403, "This page had expired. Sign in again.")


def test_a_signed_in_person_is_sent_on(admin_pages: PageClient) -> None:
    response = admin_pages.get("/login/sso?next=/children")
    assert response.status_code == 303
    assert response.headers["location"] == "/children"


def test_the_sign_in_page_explains_a_refusal_by_its_key_only(anon: TestClient) -> None:
    html = assert_page(anon.get("/login?sso=unverified"), 200, "There is a problem")
    assert "has not confirmed your email address" in html
    html = assert_page(anon.get("/login?sso=<script>"), 200)
    assert "There is a problem" not in html


def test_a_callback_without_anything_goes_back_to_sign_in(anon: TestClient) -> None:
    response = anon.get("/login/sso/callback")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?sso=expired"
    long = anon.get("/login/sso/callback?state=" + "s" * 5000 + "&code=c")
    assert long.headers["location"] == "/login?sso=expired"


# The rules on the provider's claims -----------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "trust", "verified"),
    [
        ({"email_verified": True}, False, True),
        ({"email_verified": "true"}, False, True),
        ({"email_verified": False}, False, False),
        ({}, False, False),
        ({"xms_edov": True}, False, True),  # Entra ID: the domain is verified in the tenant
        ({"xms_edov": "1"}, False, True),
        ({"xms_edov": False}, False, False),
        ({}, True, True),  # the organisation trusts its provider's addresses
        ({"email_verified": False}, True, False),  # but never against the provider's "no"
    ],
)
def test_which_addresses_count_as_verified(
    claims: dict[str, Any], trust: bool, verified: bool
) -> None:
    assert sso.email_verified(claims, trust_provider=trust) is verified


def test_the_single_sign_on_form_may_send_the_browser_to_the_providers_only(
    anon: TestClient, configure_sso: ConfigureSso
) -> None:
    """Browsers check the redirect after a form's post against the page's form-action."""
    assert "form-action 'self';" in anon.get("/login/sso").headers["content-security-policy"]
    configure_sso("https://login.microsoftonline.com/tenant-id/v2.0")
    policy = anon.get("/login/sso").headers["content-security-policy"]
    assert "form-action 'self' https://login.microsoftonline.com;" in policy
    assert "form-action 'self';" in anon.get("/login").headers["content-security-policy"]


def test_a_very_long_next_address_is_not_kept(
    anon: TestClient, configure_sso: ConfigureSso, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_sso("http://127.0.0.1:9")
    document = {
        "issuer": "http://127.0.0.1:9",
        "authorization_endpoint": "http://127.0.0.1:9/auth",
        "token_endpoint": "http://127.0.0.1:9/token",
        "jwks_uri": "http://127.0.0.1:9/jwks",
    }
    monkeypatch.setattr(sso, "discover", lambda issuer, fresh=False: document)
    response = _start(anon, "lead@org-a.example.org", next="/children?" + "x" * 3000)
    assert response.status_code == 303
    assert db.exec(select(SsoLogin)).one().target == "/"
