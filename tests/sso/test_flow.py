"""Single sign-on end to end against a real OpenID provider (panva's oidc-provider on
node): Tandem's pages in a TestClient, the provider's pages through httpx2."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from app.auth.models import Role, SsoLogin, User, WebSession
from app.auth.sso import PROBLEMS
from app.auth.views import SSO_COOKIE
from tests.sso.conftest import ConfigureSso
from tests.sso.provider import Provider, query, sign_in_at_provider
from tests.support.auth import audit_events, count, hidden_csrf, reload, save
from tests.support.clock import Clock
from tests.support.people import PageClient, People
from tests.support.served import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sso-provider")]

CALLBACK = "http://testserver/login/sso/callback"


def start(anon: TestClient, email: str, next: str | None = None) -> Response:
    page = anon.get("/login/sso" + (f"?next={next}" if next else ""))
    assert page.status_code == 200
    form = {"email": email, "csrf_token": hidden_csrf(page.text)}
    if next:
        form["next"] = next
    return anon.post("/login/sso", data=form)


def to_provider(anon: TestClient, provider: Provider, email: str, next: str | None = None) -> str:
    response = start(anon, email, next)
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.startswith(f"{provider.issuer}/auth?")
    return location


def back_from_provider(anon: TestClient, provider: Provider, sub: str, email: str) -> str:
    """Start at Tandem, sign in at the provider as `sub`: the callback address it sends
    the browser to."""
    return sign_in_at_provider(to_provider(anon, provider, email), sub, stop_at=CALLBACK)


def finish(anon: TestClient, callback: str) -> Response:
    return anon.get(callback.removeprefix("http://testserver"))


def refused_with(response: Response, code: str) -> None:
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?sso={code}"


def test_a_verified_known_user_signs_in(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session, people: People
) -> None:
    configure_sso(provider.issuer)
    authorize = to_provider(anon, provider, "lead@org-a.example.org", next="/children")
    sent = query(authorize)
    assert sent["login_hint"] == "lead@org-a.example.org"
    assert sent["code_challenge_method"] == "S256"
    assert sent["scope"] == "openid email profile"
    assert sent["redirect_uri"] == CALLBACK
    assert len(sent["state"]) >= 43
    assert len(sent["nonce"]) >= 43
    cookie = anon.cookies.get(SSO_COOKIE)
    assert cookie
    # Only hashes are stored: neither the state nor the browser's cookie.
    login = db.exec(select(SsoLogin)).one()
    assert sent["state"] not in login.state_hash
    assert cookie not in login.browser_hash

    callback = sign_in_at_provider(authorize, "lead", stop_at=CALLBACK)
    response = finish(anon, callback)

    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"] == "/children"
    assert anon.get("/children").status_code == 200
    assert SSO_COOKIE not in anon.cookies
    assert count(db, SsoLogin) == 0
    event = audit_events(db, entity_id=people.lead.id)[-1]
    assert event.action == "sign_in"
    assert event.changes == {"method": [None, "sso"]}


def test_the_email_may_come_in_the_id_token_itself(
    anon: TestClient, configure_sso: ConfigureSso, db: Session, people: People
) -> None:
    """Entra ID puts the email in the ID token; oidc-provider by default only in userinfo
    (the other tests)."""
    provider = Provider(email_in_id_token=True)
    provider.start()
    try:
        configure_sso(provider.issuer)
        callback = back_from_provider(anon, provider, "lead", "lead@org-a.example.org")
        assert finish(anon, callback).headers["location"] == "/"
        anon.cookies.clear()  # signed out: another person on this browser
        unverified = back_from_provider(anon, provider, "unverified", "mentor@org-a.example.org")
        refused_with(finish(anon, unverified), "unverified")
    finally:
        provider.stop()


def test_the_email_is_matched_whatever_its_case(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso
) -> None:
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "admin", "admin@org-a.example.org")
    response = finish(anon, callback)
    assert response.headers["location"] == "/"
    assert anon.get("/admin/users").status_code == 200


def _refused_and_nothing_changed(anon: TestClient, db: Session, callback: str, code: str) -> None:
    sessions = count(db, WebSession)
    response = finish(anon, callback)
    refused_with(response, code)
    assert count(db, WebSession) == sessions
    page = anon.get(response.headers["location"])
    assert page.status_code == 200
    assert PROBLEMS[code].replace("'", "&#39;") in page.text
    assert "govuk-error-summary" in page.text
    assert anon.get("/children").status_code == 303  # not signed in


def test_an_unverified_email_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session, people: People
) -> None:
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "unverified", "mentor@org-a.example.org")
    _refused_and_nothing_changed(anon, db, callback, "unverified")
    event = audit_events(db, entity_id=people.mentor.id)[-1]
    assert event.action == "sign_in_refused"
    assert event.changes["reason"][1] == "email not verified by the provider"


def test_an_unverified_email_is_accepted_when_the_organisation_trusts_its_provider(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso
) -> None:
    """email_verified false is a "no", even when trusting: only a missing claim is trusted."""
    configure_sso(provider.issuer, trust_provider_emails=True)
    callback = back_from_provider(anon, provider, "unverified", "mentor@org-a.example.org")
    refused_with(finish(anon, callback), "unverified")


def test_an_email_unknown_to_tandem_is_refused_and_no_account_is_made(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session
) -> None:
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "stranger", "nobody@org-a.example.org")
    users = count(db, User)
    _refused_and_nothing_changed(anon, db, callback, "no_account")
    assert count(db, User) == users


def test_an_inactive_user_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session, people: People
) -> None:
    configure_sso(provider.issuer)
    save(db, people.facilitator, active=False)
    callback = back_from_provider(anon, provider, "inactive", "facilitator@org-a.example.org")
    _refused_and_nothing_changed(anon, db, callback, "no_account")
    assert reload(db, people.facilitator).active is False
    assert audit_events(db, entity_id=people.facilitator.id)[-1].action == "sign_in_refused"


def test_a_user_of_another_organisation_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session, people: People
) -> None:
    """Organisation A's provider vouches for an address that belongs to a user of B."""
    configure_sso(provider.issuer)
    visitor = people.add(Role.lead, org=people.other_org, email="visitor@org-a.example.org")
    db.commit()
    callback = back_from_provider(anon, provider, "visitor", "visitor@org-a.example.org")
    _refused_and_nothing_changed(anon, db, callback, "no_account")
    event = audit_events(db, entity_id=visitor.id)[-1]
    assert (event.action, event.org_id) == ("sign_in_refused", people.other_org.id)


def test_an_address_outside_the_providers_domains_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session
) -> None:
    """The person typed an organisation A address, then signed in at the provider as
    someone of organisation B's domain."""
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "outsider", "lead@org-a.example.org")
    _refused_and_nothing_changed(anon, db, callback, "no_account")


def test_a_state_is_used_once(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session
) -> None:
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "lead", "lead@org-a.example.org")
    cookie = anon.cookies.get(SSO_COOKIE)
    assert finish(anon, callback).headers["location"] == "/"
    anon.cookies.clear()
    anon.cookies.set(SSO_COOKIE, cookie or "")
    _refused_and_nothing_changed(anon, db, callback, "expired")


def test_a_missing_or_wrong_state_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session
) -> None:
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "lead", "lead@org-a.example.org")
    params = query(callback)
    without_state = f"{CALLBACK}?code={params['code']}"
    refused_with(finish(anon, without_state), "expired")
    wrong = callback.replace(params["state"], "x" * 43)
    refused_with(finish(anon, wrong), "expired")
    assert count(db, WebSession) == 0


def test_the_state_belongs_to_the_browser_that_started(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session
) -> None:
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "lead", "lead@org-a.example.org")
    anon.cookies.clear()
    anon.cookies.set(SSO_COOKIE, "another-browser")
    _refused_and_nothing_changed(anon, db, callback, "expired")


def test_a_sign_in_older_than_ten_minutes_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session, clock: Clock
) -> None:
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "lead", "lead@org-a.example.org")
    clock.shift(dt.timedelta(minutes=11))
    _refused_and_nothing_changed(anon, db, callback, "expired")


def test_a_nonce_mismatch_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session
) -> None:
    configure_sso(provider.issuer)
    authorize = to_provider(anon, provider, "lead@org-a.example.org")
    login = db.exec(select(SsoLogin)).one()
    save(db, login, nonce="n" * 43)  # as if the ID token answered another sign-in
    callback = sign_in_at_provider(authorize, "lead", stop_at=CALLBACK)
    _refused_and_nothing_changed(anon, db, callback, "invalid")


def test_an_answer_naming_another_issuer_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session
) -> None:
    """RFC 9207: the provider names itself in its answer; another name is a mix-up."""
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "lead", "lead@org-a.example.org")
    assert query(callback)["iss"] == provider.issuer
    mixed = callback.replace("iss=http", "iss=https")
    _refused_and_nothing_changed(anon, db, mixed, "invalid")


def test_a_wrong_client_secret_is_refused(
    anon: TestClient,
    provider: Provider,
    configure_sso: ConfigureSso,
    db: Session,
    people: People,
    secrets: Callable[[dict[str, str]], None],
) -> None:
    configure_sso(provider.issuer)
    callback = back_from_provider(anon, provider, "lead", "lead@org-a.example.org")
    secrets({str(people.org.id): "not the secret"})
    _refused_and_nothing_changed(anon, db, callback, "refused")


def test_the_provider_saying_no_is_refused(
    anon: TestClient, provider: Provider, configure_sso: ConfigureSso, db: Session
) -> None:
    configure_sso(provider.issuer)
    authorize = to_provider(anon, provider, "lead@org-a.example.org")
    state = query(authorize)["state"]
    denied = f"{CALLBACK}?error=access_denied&state={state}"
    _refused_and_nothing_changed(anon, db, denied, "refused")
    assert count(db, SsoLogin) == 0  # used up


def test_a_provider_that_is_down_gets_a_clear_message(
    anon: TestClient, configure_sso: ConfigureSso, db: Session
) -> None:
    configure_sso(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    response = start(anon, "lead@org-a.example.org")
    assert response.status_code == 503
    assert PROBLEMS["unavailable"].replace("'", "&#39;") in response.text
    assert count(db, SsoLogin) == 0


def test_a_provider_that_goes_down_mid_sign_in_gets_a_clear_message(
    anon: TestClient, configure_sso: ConfigureSso, db: Session
) -> None:
    provider = Provider()
    provider.start()
    try:
        configure_sso(provider.issuer)
        callback = back_from_provider(anon, provider, "lead", "lead@org-a.example.org")
    finally:
        provider.stop()
    _refused_and_nothing_changed(anon, db, callback, "unavailable")


def test_checking_the_provider_reports_what_it_found(
    provider: Provider, configure_sso: ConfigureSso, admin_pages: PageClient
) -> None:
    configure_sso(provider.issuer)
    html = admin_pages.get("/admin/sso/check").text
    assert "Provider checked" in html
    assert "its discovery document and signing keys are in order" in html
    assert f"{provider.issuer}/auth" in html
    assert f"{provider.issuer}/token" in html


def test_checking_a_provider_that_is_down_says_so(
    configure_sso: ConfigureSso, admin_pages: PageClient
) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"
    configure_sso(issuer)
    html = admin_pages.get("/admin/sso/check").text
    assert "Problem with the provider" in html
    assert f"Tandem could not fetch {issuer}/.well-known/openid-configuration" in html


def test_checking_a_provider_that_calls_itself_something_else(
    provider: Provider, configure_sso: ConfigureSso, admin_pages: PageClient
) -> None:
    configure_sso(provider.issuer + "/")
    html = admin_pages.get("/admin/sso/check").text
    assert "Problem with the provider" in html
    assert "The provider answered, but the provider calls itself" in html
