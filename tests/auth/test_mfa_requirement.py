"""The organisation's requirement: who must use two-step sign-in, the grace period (from when
it first applied to them), what happens after it (tokens refused, a password sign-in taken
to set-up and nowhere else), single sign-on never forced, and the settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import mfa
from app.auth import service as auth_service
from app.auth.models import Role, User
from tests.auth.mfa_support import code_at, turn_on
from tests.support.auth import (
    assert_page,
    assert_problem,
    assert_redirect,
    audit_events,
    bearer,
    hidden_csrf,
    reload,
    request_token,
    save,
    sign_in,
)
from tests.support.clock import Clock
from tests.support.people import PASSWORD, PageClient, People, Signed

SETUP_PAGE = "/account/security"


def token_body(client: TestClient, user: User) -> dict[str, object]:
    response = request_token(client, user.email)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def overdue(db: Session, user: User) -> None:
    """Covered since long ago: the grace period has ended."""
    stamp = auth_service.now() - timedelta(days=30)
    save(db, user, mfa_required_since=stamp, mfa_setup_due=stamp + timedelta(days=14))


def test_default_roles_are_asked_others_are_not(client: TestClient, people: People) -> None:
    for user in (people.admin, people.lead):
        assert token_body(client, user)["mfa_setup_required"] is True
    for user in (people.facilitator, people.mentor):
        assert "mfa_setup_required" not in token_body(client, user)


@pytest.mark.clock("2027-03-10T10:00")
def test_grace_period_day_13_and_day_15(
    client: TestClient, people: People, db: Session, clock: Clock
) -> None:
    token_body(client, people.lead)  # day 0: the requirement first applies to them
    lead = reload(db, people.lead)
    assert lead.mfa_required_since is not None
    assert abs(lead.mfa_required_since - clock.now) < timedelta(seconds=5)
    assert lead.mfa_setup_due == lead.mfa_required_since + timedelta(days=14)
    clock.shift(timedelta(days=13))
    assert token_body(client, people.lead)["mfa_setup_required"] is True
    # Signing in again does not move the start.
    assert reload(db, people.lead).mfa_setup_due == lead.mfa_setup_due
    clock.shift(timedelta(days=2))
    refused = assert_problem(request_token(client, people.lead.email), 401, mfa.SETUP_NEEDED)
    assert refused["mfa_setup_required"] is True


@pytest.mark.clock("2027-03-10T10:00")
def test_the_last_minute_of_grace(client: TestClient, people: People, clock: Clock) -> None:
    token_body(client, people.lead)
    clock.shift(timedelta(days=14) - timedelta(minutes=1))
    assert token_body(client, people.lead)["mfa_setup_required"] is True
    clock.shift(timedelta(minutes=2))
    assert request_token(client, people.lead.email).status_code == 401


@pytest.mark.clock("2027-03-10T10:00")
def test_api_tokens_stop_working_after_grace(
    client: TestClient, people: People, clock: Clock
) -> None:
    token_body(client, people.lead)
    clock.shift(timedelta(days=13, hours=23))
    token = str(token_body(client, people.lead)["access_token"])
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    clock.shift(timedelta(hours=2))  # the token is 2 hours old, the grace period over
    refused = assert_problem(client.get("/api/v1/me", headers=bearer(token)), 401)
    assert refused["mfa_setup_required"] is True


def test_with_mfa_on_the_requirement_is_met(
    client: TestClient, people: People, db: Session
) -> None:
    secret, _ = turn_on(db, people.lead)
    overdue(db, people.lead)
    response = client.post(
        "/api/v1/auth/token",
        data={"username": people.lead.email, "password": PASSWORD, "otp": code_at(secret)},
    )
    assert response.status_code == 200, response.text
    assert "mfa_setup_required" not in response.json()


def test_requirement_per_role(client: TestClient, people: People, signed: Signed) -> None:
    admin = signed.api(people.admin)
    response = admin.patch("/api/v1/organisation", json={"require_mfa_for": ["mentor"]})
    assert response.status_code == 200, response.text
    assert response.json()["require_mfa_for"] == ["mentor"]
    assert token_body(client, people.mentor)["mfa_setup_required"] is True
    assert "mfa_setup_required" not in token_body(client, people.lead)


def test_no_grace_days_refuses_at_once(client: TestClient, people: People, signed: Signed) -> None:
    signed.api(people.admin).patch("/api/v1/organisation", json={"mfa_grace_days": 0})
    refused = assert_problem(request_token(client, people.lead.email), 401)
    assert refused["mfa_setup_required"] is True
    assert "mfa_setup_required" not in token_body(client, people.mentor)


def test_a_setting_change_starts_and_ends_grace_periods(
    people: People, signed: Signed, db: Session
) -> None:
    admin = signed.api(people.admin)
    admin.patch("/api/v1/organisation", json={"require_mfa_for": ["admin", "mentor"]})
    mentor, lead = reload(db, people.mentor), reload(db, people.lead)
    assert mentor.mfa_required_since is not None
    assert mentor.mfa_setup_due == mentor.mfa_required_since + timedelta(days=14)
    assert (lead.mfa_required_since, lead.mfa_setup_due) == (None, None)
    admin.patch("/api/v1/organisation", json={"mfa_grace_days": 30})
    mentor = reload(db, people.mentor)
    assert mentor.mfa_required_since is not None
    assert mentor.mfa_setup_due == mentor.mfa_required_since + timedelta(days=30)
    (event,) = [e for e in audit_events(db, entity="organisation") if "mfa_grace_days" in e.changes]
    assert event.changes["mfa_grace_days"] == [14, 30]


def test_a_new_role_starts_the_grace_period(signed: Signed, people: People, db: Session) -> None:
    response = signed.api(people.admin).patch(
        f"/api/v1/users/{people.facilitator.id}", json={"role": "lead"}
    )
    assert response.status_code == 200, response.text
    user = reload(db, people.facilitator)
    assert user.mfa_setup_due is not None


@pytest.mark.parametrize(
    "body",
    [
        {"require_mfa_for": ["wizard"]},
        {"require_mfa_for": "admin"},
        {"mfa_grace_days": 91},
        {"mfa_grace_days": -1},
        {"mfa_grace_days": "14"},
        {"mfa_grace_days": True},
    ],
)
def test_settings_refuse_bad_values(
    signed: Signed, people: People, db: Session, body: dict[str, object]
) -> None:
    assert_problem(signed.api(people.admin).patch("/api/v1/organisation", json=body), 422)
    org = reload(db, people.org)
    assert (org.require_mfa_for, org.mfa_grace_days) == (["admin", "lead"], 14)


def test_only_an_admin_changes_the_settings(signed: Signed, people: People) -> None:
    lead = signed.api(people.lead)
    assert_problem(lead.patch("/api/v1/organisation", json={"require_mfa_for": []}), 403)
    body = lead.get("/api/v1/organisation").json()
    assert (body["require_mfa_for"], body["mfa_grace_days"]) == (["admin", "lead"], 14)


def test_roles_are_kept_in_order_once_each(signed: Signed, people: People) -> None:
    admin = signed.api(people.admin)
    body = admin.patch(
        "/api/v1/organisation", json={"require_mfa_for": ["mentor", "admin", "mentor"]}
    ).json()
    assert body["require_mfa_for"] == ["admin", "mentor"]


# Pages -------------------------------------------------------------------------------------


def test_banner_during_grace(app: FastAPI, anon: TestClient, people: People, db: Session) -> None:
    assert_redirect(sign_in(anon, people.lead.email), "/")
    due = reload(db, people.lead).mfa_setup_due
    assert due is not None
    html = assert_page(anon.get("/account/password"), 200, "Set up two-step sign-in by")
    assert 'href="/account/security"' in html
    assert "24 March 2027" in html
    # Nobody else sees it.
    with TestClient(app, follow_redirects=False) as other:
        sign_in(other, people.mentor.email)
        assert "Set up two-step sign-in by" not in other.get("/account/password").text


def test_after_grace_a_password_sign_in_goes_to_set_up(
    anon: TestClient, people: People, db: Session
) -> None:
    overdue(db, people.lead)
    assert_redirect(sign_in(anon, people.lead.email, next="/curriculum"), SETUP_PAGE)
    # Nowhere else until it is on.
    assert_redirect(anon.get("/curriculum"), SETUP_PAGE)
    refused = assert_problem(anon.get("/api/v1/organisation"), 403)
    assert refused["mfa_setup_required"] is True
    html = assert_page(anon.get(SETUP_PAGE), 200, "the time to set it up has ended")
    # Set it up, from the page.
    response = anon.post(f"{SETUP_PAGE}/setup", data={"csrf_token": hidden_csrf(html)})
    assert response.status_code == 303
    secret = reload(db, people.lead).mfa_secret
    assert secret
    html = anon.get(SETUP_PAGE).text
    response = anon.post(
        f"{SETUP_PAGE}/confirm", data={"csrf_token": hidden_csrf(html), "code": code_at(secret)}
    )
    assert_page(response, 200, "Save your recovery codes")
    assert anon.get("/curriculum").status_code == 200


def test_sign_out_is_allowed_while_set_up_is_due(
    anon: TestClient, people: People, db: Session
) -> None:
    overdue(db, people.lead)
    sign_in(anon, people.lead.email)
    csrf = hidden_csrf(anon.get(SETUP_PAGE).text)
    assert_redirect(anon.post("/logout", data={"csrf_token": csrf}), "/login")


def test_a_single_sign_on_with_the_providers_second_factor_never_forces_set_up(
    app: FastAPI, people: People, db: Session
) -> None:
    overdue(db, people.lead)
    raw, session = auth_service.start_session(db, user=people.lead, method="sso_mfa")
    db.commit()
    client = PageClient(app, session_cookie=raw, csrf_token=session.csrf_token)
    response = client.get("/curriculum")
    assert response.status_code == 200
    assert "Set up two-step sign-in by" not in response.text


def test_a_single_sign_on_of_one_factor_is_held_like_a_password(
    app: FastAPI, people: People, db: Session
) -> None:
    """ASVS 5.0 V6.8.4: a provider that does not say a second factor was used counts as one."""
    stamp = auth_service.now() - timedelta(days=1)
    save(db, people.lead, mfa_required_since=stamp, mfa_setup_due=stamp + timedelta(days=14))
    raw, session = auth_service.start_session(db, user=people.lead, method="sso")
    db.commit()
    client = PageClient(app, session_cookie=raw, csrf_token=session.csrf_token)
    assert "Set up two-step sign-in by" in client.get("/curriculum").text
    overdue(db, people.lead)
    assert_redirect(client.get("/curriculum"), SETUP_PAGE)


def test_an_existing_password_session_is_held_once_grace_ends(
    signed: Signed, people: People, db: Session
) -> None:
    pages = signed.pages(people.lead)
    assert pages.get("/curriculum").status_code == 200
    overdue(db, people.lead)
    assert_redirect(pages.get("/curriculum"), SETUP_PAGE)


def test_other_roles_are_untouched(signed: Signed, people: People, db: Session) -> None:
    save(db, people.mentor, role=Role.mentor)
    pages = signed.pages(people.mentor)
    response = pages.get("/account/password")
    assert response.status_code == 200
    assert "Set up two-step sign-in by" not in response.text
