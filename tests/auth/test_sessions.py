"""Browser sessions: the sign-in form, cookies, expiry, signing out, and CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.deps import CSRF_COOKIE, SESSION_COOKIE
from app.auth.models import WebSession
from tests.support.auth import (
    WRONG,
    Setting,
    assert_error_summary,
    assert_page,
    assert_problem,
    assert_redirect,
    assert_to_sign_in,
    audit_events,
    bearer,
    browser,
    cookie_attributes,
    count,
    csrf_header,
    hidden_csrf,
    me_status,
    post_form,
    reload,
    save,
    set_cookies,
    sign_in,
    token_for,
    web_session_of,
)
from tests.support.people import PASSWORD, PageClient, People, Signed

# The sign-in form ---------------------------------------------------------------------------


def test_sign_in_page_has_a_csrf_field_matching_its_cookie(anon: TestClient) -> None:
    page = assert_page(anon.get("/login"), 200, 'name="email"', 'name="password"')
    token = hidden_csrf(page)
    assert len(token) >= 32
    assert anon.cookies.get(CSRF_COOKIE) == token
    again = anon.get("/login")
    assert hidden_csrf(again.text) == token  # the same token for the life of the cookie


def test_next_is_kept_in_the_form(anon: TestClient) -> None:
    page = anon.get("/login", params={"next": "/curriculum"}).text
    assert 'name="next" value="/curriculum"' in page
    assert 'name="next" value="/"' in anon.get("/login", params={"next": "//evil.example"}).text


@pytest.mark.parametrize(
    ("next", "location"),
    [
        (None, "/"),
        ("/curriculum", "/curriculum"),
        ("/curriculum?week=2", "/curriculum?week=2"),
        ("https://evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_sign_in_goes_to_a_local_next_only(
    anon: TestClient, people: People, next: str | None, location: str
) -> None:
    assert_redirect(sign_in(anon, people.lead.email, next=next), location)


def test_session_cookie_flags(anon: TestClient, people: People, db: Session) -> None:
    response = sign_in(anon, people.lead.email)
    cookies = set_cookies(response)
    flags = cookie_attributes(cookies[SESSION_COOKIE])
    assert {"httponly", "samesite=lax", "path=/", "max-age=43200"} <= flags
    assert "secure" not in flags
    assert "max-age=0" in cookie_attributes(cookies[CSRF_COOKIE])  # the sign-in token is spent
    raw = anon.cookies.get(SESSION_COOKIE)
    assert raw
    assert raw not in web_session_of(db, people.lead).token_hash
    assert audit_events(db, entity_id=people.lead.id)[-1].action == "sign_in"
    assert_page(anon.get("/curriculum"), 200)


def test_secure_cookies_setting(app: FastAPI, people: People, setting: Setting) -> None:
    setting("SECURE_COOKIES", "true")
    with browser(app, base_url="https://testserver") as client:
        login = client.get("/login")
        assert "secure" in cookie_attributes(set_cookies(login)[CSRF_COOKIE])
        response = sign_in(client, people.lead.email)
        assert_redirect(response, "/")
        assert "secure" in cookie_attributes(set_cookies(response)[SESSION_COOKIE])


def test_wrong_password_page(anon: TestClient, people: People, db: Session) -> None:
    sessions = count(db, WebSession)
    response = sign_in(anon, "Lead@org-a.example.org", "not the password at all")
    html = assert_error_summary(response, 401, "email", WRONG)
    assert 'value="Lead@org-a.example.org"' in html  # kept, so they need not type it again
    assert "not the password at all" not in html
    assert SESSION_COOKIE not in anon.cookies
    assert count(db, WebSession) == sessions
    assert reload(db, people.lead).failed_logins == 1


def test_missing_fields_page(anon: TestClient, people: People) -> None:
    response = sign_in(anon, "", "")
    html = assert_error_summary(response, 400, "email", "Enter your email address")
    assert '<a href="#password">Enter your password</a>' in html
    assert 'id="password-error"' in html


@pytest.mark.parametrize("csrf", [None, "", "wrong"])
def test_sign_in_without_the_form_token_is_refused(
    anon: TestClient, people: People, db: Session, csrf: str | None
) -> None:
    anon.get("/login")
    form = {"email": people.lead.email, "password": PASSWORD}
    if csrf is not None:
        form["csrf_token"] = csrf
    response = anon.post("/login", data=form)
    assert_page(response, 403, "There is a problem", "This page had expired. Sign in again.")
    assert SESSION_COOKIE not in anon.cookies
    assert count(db, WebSession) == 0
    assert reload(db, people.lead).failed_logins == 0


def test_sign_in_without_the_csrf_cookie_is_refused(app: FastAPI, people: People) -> None:
    with browser(app) as first, browser(app) as second:
        token = hidden_csrf(first.get("/login").text)
        form = {"email": people.lead.email, "password": PASSWORD, "csrf_token": token}
        assert second.post("/login", data=form).status_code == 403


def test_signed_in_visit_to_the_sign_in_page_goes_on(signed: Signed, people: People) -> None:
    pages = signed.pages(people.lead)
    assert_redirect(pages.get("/login", params={"next": "/curriculum"}), "/curriculum")
    assert_redirect(pages.get("/login", params={"next": "https://evil.example"}), "/")


# Pages that need a session -----------------------------------------------------------------


def test_pages_send_strangers_to_sign_in(anon: TestClient) -> None:
    assert_to_sign_in(anon, "/curriculum")
    assert_to_sign_in(anon, "/admin/users?added=3")
    assert_redirect(anon.get("/"), "/login")


def test_htmx_requests_are_told_where_to_sign_in(anon: TestClient) -> None:
    response = anon.get("/curriculum", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/login?next=%2Fcurriculum"


def test_sign_in_then_come_back(anon: TestClient, people: People) -> None:
    location = anon.get("/curriculum").headers["location"]
    next = location.split("next=")[1].replace("%2F", "/")
    assert_redirect(sign_in(anon, people.lead.email, next=next), "/curriculum")


def test_idle_session_expires(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.lead)
    session = web_session_of(db, people.lead)
    save(db, session, last_seen_at=datetime.now(UTC) - timedelta(minutes=30))
    assert_page(pages.get("/curriculum"), 200)
    assert reload(db, session).last_seen_at > datetime.now(UTC) - timedelta(minutes=1)
    save(db, session, last_seen_at=datetime.now(UTC) - timedelta(minutes=61))
    assert_to_sign_in(pages)
    assert pages.get("/api/v1/me").status_code == 401


def test_session_expires_after_its_lifetime(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.lead)
    save(db, web_session_of(db, people.lead), expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert_to_sign_in(pages)


def test_unknown_session_cookie(anon: TestClient) -> None:
    anon.cookies.set(SESSION_COOKIE, "not-a-session")
    assert_to_sign_in(anon)


# Signing out --------------------------------------------------------------------------------


def test_sign_out(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.lead)
    raw = pages.cookies.get(SESSION_COOKIE)
    assert raw
    response = post_form(pages, "/logout", {})
    assert_redirect(response, "/login")
    assert "max-age=0" in cookie_attributes(set_cookies(response)[SESSION_COOKIE])
    assert reload(db, web_session_of(db, people.lead)).revoked_at is not None
    assert audit_events(db, entity_id=people.lead.id)[-1].action == "sign_out"
    pages.cookies.set(SESSION_COOKIE, raw)  # a copy of the cookie no longer works either
    assert_to_sign_in(pages)


@pytest.mark.parametrize("form", [{}, {"csrf_token": "wrong"}])
def test_sign_out_needs_the_csrf_token(
    signed: Signed, people: People, db: Session, form: dict[str, str]
) -> None:
    pages = signed.pages(people.lead)
    assert_page(pages.post("/logout", data=form), 403, "Form expired")
    assert reload(db, web_session_of(db, people.lead)).revoked_at is None
    assert_page(pages.get("/curriculum"), 200)


def test_api_logout_with_a_session_ends_it(signed: Signed, people: People, db: Session) -> None:
    pages = signed.pages(people.lead)
    assert_problem(pages.post("/api/v1/auth/logout"), 403)
    response = pages.post(
        "/api/v1/auth/logout",
        headers=csrf_header(pages),
    )
    assert response.status_code == 204
    assert_to_sign_in(pages)


def test_deactivation_ends_sessions_and_tokens_at_once(
    signed: Signed, people: People, client: TestClient, admin_api: TestClient, db: Session
) -> None:
    pages = signed.pages(people.mentor)
    token = token_for(client, people.mentor.email)
    assert_page(pages.get("/curriculum"), 200)
    assert me_status(client, token) == 200

    response = admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"active": False})
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert_to_sign_in(pages)
    assert me_status(client, token) == 401
    assert reload(db, web_session_of(db, people.mentor)).revoked_at is not None

    # Reactivated, they must sign in again: the old credentials stay revoked.
    admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"active": True})
    assert me_status(client, token) == 401
    assert_to_sign_in(pages)
    assert me_status(client, token_for(client, people.mentor.email)) == 200


# CSRF on the API when the cookie is the credential --------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "wrong"}])
def test_cookie_api_writes_need_the_csrf_header(
    admin_pages: PageClient, people: People, db: Session, headers: dict[str, str]
) -> None:
    events = len(audit_events(db))
    response = admin_pages.patch(
        f"/api/v1/users/{people.mentor.id}", json={"name": "Renamed"}, headers=headers
    )
    assert_problem(response, 403)
    assert reload(db, people.mentor).name == "Mentor of Org A"
    assert len(audit_events(db)) == events
    created = admin_pages.post(
        "/api/v1/users",
        json={
            "email": "new@org-a.example.org",
            "name": "New",
            "role": "mentor",
            "password": "a long enough password",
        },
        headers=headers,
    )
    assert_problem(created, 403)


def test_cookie_api_writes_work_with_the_csrf_header(
    admin_pages: PageClient, people: People, db: Session
) -> None:
    response = admin_pages.patch(
        f"/api/v1/users/{people.mentor.id}",
        json={"name": "Renamed"},
        headers=csrf_header(admin_pages),
    )
    assert response.status_code == 200
    assert reload(db, people.mentor).name == "Renamed"


def test_cookie_api_reads_need_no_csrf(admin_pages: PageClient, people: People) -> None:
    assert admin_pages.get("/api/v1/me").json()["id"] == people.admin.id


def test_bearer_writes_need_no_csrf(admin_api: TestClient, people: People, db: Session) -> None:
    response = admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"name": "Renamed"})
    assert response.status_code == 200
    assert reload(db, people.mentor).name == "Renamed"


def test_bad_bearer_is_not_rescued_by_a_session(admin_pages: PageClient, people: People) -> None:
    response = admin_pages.get("/api/v1/me", headers=bearer("garbage"))
    assert_problem(response, 401)
