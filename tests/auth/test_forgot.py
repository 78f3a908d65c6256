""" "Forgot your password?": the same answer for every address, a link only to a known,
active account, and limits per account and per client address (issue 16, point 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import links
from app.auth.deps import CSRF_COOKIE
from app.auth.service import now
from tests.support.auth import (
    assert_error_summary,
    assert_page,
    assert_problem,
    assert_redirect,
    audit_events,
    hidden_csrf,
    request_token,
    save,
)
from tests.support.clock import Clock
from tests.support.links import FORGOT_URL, NEW_PASSWORD, last_token, outbox
from tests.support.people import PASSWORD, People, Signed

LEAD = "lead@org-a.example.org"
SENT = "If that address has an account, we have sent a link. It works for an hour."


def forgot(client: TestClient, email: str) -> int:
    response = client.post(FORGOT_URL, json={"email": email})
    if response.status_code == 202:
        assert response.content == b""
    return response.status_code


def test_a_known_address_gets_a_link(client: TestClient, people: People, db: Session) -> None:
    assert forgot(client, "  Lead@Org-A.example.org ") == 202
    (message,) = outbox(db, "password_reset")
    assert message.to_address == LEAD
    assert "Someone asked to reset the password of your Tandem account at Org A" in (
        message.body_text
    )
    assert "If you did not ask for this, you can ignore this email" in message.body_text
    (event,) = audit_events(db, action="send_reset", entity_id=people.lead.id)
    assert event.actor_id is None
    token = last_token(db, "password_reset", LEAD)
    reset = client.post("/api/v1/auth/reset", json={"token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 204
    assert request_token(client, LEAD, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "email", ["nobody@org-a.example.org", "not an address", "x" * 254, "a\x00b@example.org"]
)
def test_any_other_address_gets_the_same_answer_and_nothing_is_sent(
    client: TestClient, people: People, db: Session, email: str
) -> None:
    assert forgot(client, email) == 202
    assert outbox(db) == []


def test_a_deactivated_account_gets_nothing(
    client: TestClient, people: People, db: Session
) -> None:
    save(db, people.lead, active=False)
    assert forgot(client, LEAD) == 202
    assert outbox(db) == []
    (event,) = audit_events(db, action="refuse_reset", entity_id=people.lead.id)
    assert event.changes == {"reason": "deactivated"}


def test_an_invited_person_can_ask_for_a_link_too(
    admin_api: TestClient, client: TestClient, db: Session
) -> None:
    body = {"email": "nia@org-a.example.org", "name": "Nia", "role": "mentor"}
    assert admin_api.post("/api/v1/users", json=body).status_code == 201
    assert forgot(client, "nia@org-a.example.org") == 202
    token = last_token(db, "password_reset", "nia@org-a.example.org")
    reset = client.post("/api/v1/auth/reset", json={"token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 204


@pytest.mark.parametrize("body", [{}, {"email": ""}, {"email": 5}, {"email": "x" * 255}])
def test_a_malformed_body_is_422(client: TestClient, body: dict[str, object]) -> None:
    assert_problem(client.post(FORGOT_URL, json=body), 422)


def test_at_most_three_reset_emails_an_hour_per_account(
    client: TestClient, people: People, db: Session, clock: Clock
) -> None:
    for _ in range(links.RESET_EMAILS_PER_HOUR + 2):
        assert forgot(client, LEAD) == 202  # the same answer past the limit
    assert len(outbox(db, "password_reset", LEAD)) == links.RESET_EMAILS_PER_HOUR
    assert len(audit_events(db, action="refuse_reset", entity_id=people.lead.id)) == 2
    clock.shift(timedelta(minutes=61))
    assert forgot(client, LEAD) == 202
    assert len(outbox(db, "password_reset", LEAD)) == links.RESET_EMAILS_PER_HOUR + 1


def test_an_address_asking_too_often_is_slowed(
    client: TestClient, people: People, db: Session, clock: Clock
) -> None:
    for n in range(links.FORGOT_PER_ADDRESS_PER_HOUR):
        assert forgot(client, f"nobody{n}@example.org") == 202
    clock.shift(timedelta(minutes=10))
    response = client.post(FORGOT_URL, json={"email": LEAD})
    assert_problem(response, 429, links.FORGOT_TOO_OFTEN)
    # The oldest request leaves the hour's window 50 minutes from now.
    assert int(response.headers["retry-after"]) == pytest.approx(50 * 60, abs=5)
    assert outbox(db) == []  # a refused request sends nothing, even to a real account
    clock.shift(timedelta(minutes=51))
    assert forgot(client, LEAD) == 202
    assert len(outbox(db, "password_reset", LEAD)) == 1


# Pages ------------------------------------------------------------------------------------


def forgot_page(client: TestClient, email: str) -> tuple[int, str]:
    page = client.get("/account/forgot")
    response = client.post(
        "/account/forgot", data={"email": email, "csrf_token": hidden_csrf(page.text)}
    )
    return response.status_code, response.text


def test_the_sign_in_page_links_to_forgot(anon: TestClient) -> None:
    html = assert_page(anon.get("/login"), 200, 'href="/account/forgot"', "Forgot your password?")
    assert "ask your organisation" not in html


def test_the_forgot_page_answers_the_same_for_every_address(
    anon: TestClient, people: People, db: Session
) -> None:
    assert_page(anon.get("/account/forgot"), 200, 'for="email"', "Send me a link")
    known = forgot_page(anon, LEAD)
    unknown = forgot_page(anon, "nobody@org-a.example.org")
    assert known[0] == unknown[0] == 200
    assert SENT in known[1]
    assert known[1].replace(LEAD, "") == unknown[1].replace("nobody@org-a.example.org", "")
    assert len(outbox(db, "password_reset")) == 1


def test_the_forgot_page_with_errors(anon: TestClient, people: People, db: Session) -> None:
    page = anon.get("/account/forgot")
    blank = anon.post("/account/forgot", data={"email": "", "csrf_token": hidden_csrf(page.text)})
    assert_error_summary(blank, 422, "email", "Enter your email address")
    expired = anon.post("/account/forgot", data={"email": LEAD, "csrf_token": "wrong"})
    assert expired.status_code == 403
    assert "This page had expired" in expired.text
    assert outbox(db) == []


def test_the_forgot_page_when_slowed(
    anon: TestClient, people: People, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(links, "FORGOT_PER_ADDRESS_PER_HOUR", 1)
    assert forgot_page(anon, "nobody@example.org")[0] == 200
    status, html = forgot_page(anon, LEAD)
    assert status == 429
    assert links.FORGOT_TOO_OFTEN in html
    assert outbox(db) == []


def test_signed_in_people_may_use_the_forgot_page(
    signed: Signed, people: People, db: Session
) -> None:
    pages = signed.pages(people.lead)
    response = pages.post("/account/forgot", data={"email": LEAD, "csrf_token": pages.csrf_token})
    assert_page(response, 200, SENT)


def test_the_reset_pages(anon: TestClient, people: People, db: Session) -> None:
    assert forgot(anon, LEAD) == 202
    token = last_token(db, "password_reset", LEAD)
    url = f"/account/reset/{token}"
    page = anon.get(url)
    assert_page(page, 200, "Choose a new password", LEAD, 'autocomplete="new-password"')
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    csrf = hidden_csrf(page.text)
    weak = anon.post(url, data={"password": "password1234", "csrf_token": csrf})
    assert_error_summary(weak, 422, "password", "list of common passwords")
    assert weak.headers["referrer-policy"] == "no-referrer"
    blank = anon.post(url, data={"password": "", "csrf_token": csrf})
    assert_error_summary(blank, 422, "password", "Enter a new password")
    forged = anon.post(url, data={"password": NEW_PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 403
    done = anon.post(url, data={"password": NEW_PASSWORD, "csrf_token": csrf})
    assert_redirect(done, "/login")
    assert "Your password has been changed" in anon.get("/login").text
    assert request_token(anon, LEAD, NEW_PASSWORD).status_code == 200
    again = anon.post(url, data={"password": "another new passphrase", "csrf_token": csrf})
    assert_page(again, 400, "This link cannot be used", "already been used", "/account/forgot")
    assert again.headers["referrer-policy"] == "no-referrer"
    assert_page(anon.get(url), 400, "already been used")


def test_the_invitation_page(admin_api: TestClient, anon: TestClient, db: Session) -> None:
    body = {"email": "nia@org-a.example.org", "name": "Nia", "role": "mentor"}
    assert admin_api.post("/api/v1/users", json=body).status_code == 201
    url = f"/account/reset/{last_token(db, 'invitation', 'nia@org-a.example.org')}"
    page = assert_page(anon.get(url), 200, "Choose your password", "Welcome to Tandem")
    done = anon.post(url, data={"password": NEW_PASSWORD, "csrf_token": hidden_csrf(page)})
    assert_redirect(done, "/login")
    assert "Your password is set. Sign in with it." in anon.get("/login").text


def test_an_unknown_or_expired_link_page(
    anon: TestClient, people: People, db: Session, clock: Clock
) -> None:
    assert_page(anon.get("/account/reset/nonsense"), 400, links.LINK_UNKNOWN.split(".")[0])
    assert forgot(anon, LEAD) == 202
    token = last_token(db, "password_reset", LEAD)
    clock.shift(timedelta(minutes=61))
    html = assert_page(anon.get(f"/account/reset/{token}"), 400, "has expired")
    assert "admin to send it again" in html
    anon.cookies.set(CSRF_COOKIE, "t" * 43)
    post = anon.post(
        f"/account/reset/{token}", data={"password": NEW_PASSWORD, "csrf_token": "t" * 43}
    )
    assert post.status_code == 400
    assert request_token(anon, LEAD, PASSWORD).status_code == 200


def test_a_reset_from_a_signed_in_browser_signs_it_out(
    signed: Signed, client: TestClient, people: People, db: Session
) -> None:
    pages = signed.pages(people.lead)
    assert forgot(client, LEAD) == 202
    url = f"/account/reset/{last_token(db, 'password_reset', LEAD)}"
    assert pages.get(url).status_code == 200
    done = pages.post(url, data={"password": NEW_PASSWORD, "csrf_token": pages.csrf_token})
    assert_redirect(done, "/login")
    assert pages.get("/account/password").status_code == 303


def test_the_reset_page_when_another_tab_used_the_link_first(
    anon: TestClient, people: People, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert forgot(anon, LEAD) == 202
    url = f"/account/reset/{last_token(db, 'password_reset', LEAD)}"
    csrf = hidden_csrf(anon.get(url).text)
    found, calls = links.find, []

    def other_tab_meanwhile(session: Session, raw: str) -> links.Usable:
        usable = found(session, raw)
        calls.append(raw)
        if len(calls) == 2:  # the check inside links.use: the other tab commits first
            save(session, usable.link, used_at=now())
        return usable

    monkeypatch.setattr(links, "find", other_tab_meanwhile)
    response = anon.post(url, data={"password": NEW_PASSWORD, "csrf_token": csrf})
    assert_page(response, 400, "This link cannot be used", "already been used")
    assert request_token(anon, LEAD, PASSWORD).status_code == 200
