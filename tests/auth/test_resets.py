"""Reset links: an admin sends one, the person uses it once within the hour, and every
session and token of theirs ends (issue 16, point 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from app.auth import links
from app.auth.models import AccountLink
from app.auth.security import token_digest
from app.auth.service import now
from tests.support.auth import (
    assert_problem,
    audit_events,
    error_fields,
    me_status,
    post_form,
    reload,
    request_token,
    save,
    token_for,
)
from tests.support.clock import Clock
from tests.support.links import NEW_PASSWORD, RESET_URL, last_token, outbox
from tests.support.people import PASSWORD, PageClient, People, Signed

MENTOR = "mentor@org-a.example.org"


def reset(client: TestClient, token: str, password: str = NEW_PASSWORD) -> int:
    return client.post(RESET_URL, json={"token": token, "password": password}).status_code


@pytest.fixture
def token(admin_api: TestClient, people: People, db: Session) -> str:
    response = admin_api.post(f"/api/v1/users/{people.mentor.id}/password-reset")
    assert response.status_code == 202, response.text
    assert response.json() == {"sent": "reset"}
    return last_token(db, "password_reset", MENTOR)


def test_an_admin_sends_a_reset_email(token: str, people: People, db: Session) -> None:
    (message,) = outbox(db, "password_reset")
    assert message.to_address == MENTOR
    assert message.subject == "Reset your Tandem password"
    assert (
        "Admin of Org A, your organisation's Tandem admin, has sent you a link" in message.body_text
    )
    assert "until 10 March 2027 at 11am (1 hour)" in message.body_text
    (event,) = audit_events(db, action="send_reset", entity_id=people.mentor.id)
    assert event.actor_id == people.admin.id
    assert token not in str(event.changes)


def test_using_the_link_sets_the_password_and_ends_every_session(
    token: str, client: TestClient, signed: Signed, people: People, db: Session
) -> None:
    api_token = token_for(client, MENTOR)
    pages = signed.pages(people.mentor)
    save(db, people.mentor, failed_logins=3, locked_until=now() + timedelta(minutes=10))
    assert reset(client, token) == 204
    assert me_status(client, api_token) == 401
    assert pages.get("/account/password").status_code == 303  # signed out
    mentor = reload(db, people.mentor)
    assert (mentor.failed_logins, mentor.locked_until) == (0, None)
    assert request_token(client, MENTOR, PASSWORD).status_code == 401
    assert request_token(client, MENTOR, NEW_PASSWORD).status_code == 200
    (event,) = audit_events(db, action="reset_password", entity_id=mentor.id)
    assert (event.actor_id, event.changes) == (mentor.id, {"password": "changed"})
    (changed,) = outbox(db, "password_changed")
    assert changed.to_address == MENTOR
    assert "was changed on 10 March 2027" in changed.body_text
    assert "/account/forgot" in changed.body_text


def test_a_link_works_once(token: str, client: TestClient) -> None:
    assert reset(client, token) == 204
    response = client.post(RESET_URL, json={"token": token, "password": "another new passphrase"})
    body = assert_problem(response, 422)
    assert error_fields(body)["token"] == links.LINK_USED
    assert request_token(client, MENTOR, NEW_PASSWORD).status_code == 200


def test_of_two_tabs_at_once_one_wins(
    token: str, client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other tab uses the link between this request's check and its update."""
    found = links.find

    def other_tab_meanwhile(session: Session, raw: str) -> links.Usable:
        usable = found(session, raw)
        session.execute(
            update(AccountLink)
            .where(col(AccountLink.token_hash) == token_digest(raw))
            .values(used_at=now())
        )
        return usable

    monkeypatch.setattr(links, "find", other_tab_meanwhile)
    response = client.post(RESET_URL, json={"token": token, "password": NEW_PASSWORD})
    assert error_fields(assert_problem(response, 422))["token"] == links.LINK_USED
    assert outbox(db, "password_changed") == []


@pytest.mark.parametrize(("minutes", "status"), [(59, 204), (61, 422)])
def test_a_reset_link_works_for_an_hour(
    token: str, client: TestClient, clock: Clock, minutes: int, status: int
) -> None:
    clock.shift(timedelta(minutes=minutes))
    response = client.post(RESET_URL, json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == status, response.text
    if status == 422:
        assert error_fields(response.json())["token"] == links.LINK_EXPIRED
        assert request_token(client, MENTOR, PASSWORD).status_code == 200


def test_a_refused_password_leaves_the_link_usable(
    token: str, client: TestClient, db: Session
) -> None:
    for password, says in [
        ("short", "at least 12 characters"),
        (MENTOR, "same as the email address"),
        ("qwerty123456", "list of common passwords"),
    ]:
        response = client.post(RESET_URL, json={"token": token, "password": password})
        assert says in error_fields(assert_problem(response, 422))["password"]
    assert reset(client, token) == 204


@pytest.mark.parametrize(
    "body",
    [
        {"token": "not-a-token", "password": NEW_PASSWORD},
        {"token": "x" * 200, "password": NEW_PASSWORD},
        {"token": "a\x00b", "password": NEW_PASSWORD},
    ],
)
def test_an_unknown_link_is_refused(client: TestClient, body: dict[str, str]) -> None:
    response = client.post(RESET_URL, json=body)
    assert error_fields(assert_problem(response, 422))["token"] == links.LINK_UNKNOWN


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": "x"},
        {"password": NEW_PASSWORD},
        {"token": "", "password": "x"},
        {"token": "x" * 201, "password": NEW_PASSWORD},
        {"token": 5, "password": NEW_PASSWORD},
        {"token": "x", "password": "y", "extra": 1},
    ],
)
def test_a_malformed_body_is_422(client: TestClient, body: dict[str, object]) -> None:
    assert_problem(client.post(RESET_URL, json=body), 422)


def test_a_newer_reset_ends_the_older(
    admin_api: TestClient, token: str, client: TestClient, people: People, db: Session
) -> None:
    assert admin_api.post(f"/api/v1/users/{people.mentor.id}/password-reset").status_code == 202
    newer = last_token(db, "password_reset", MENTOR)
    assert (
        error_fields(
            client.post(RESET_URL, json={"token": token, "password": NEW_PASSWORD}).json()
        )["token"]
        == links.LINK_EXPIRED
    )
    assert reset(client, newer) == 204


def test_a_deactivated_users_link_stops_working(
    token: str, admin_api: TestClient, client: TestClient, people: People
) -> None:
    assert (
        admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"active": False}).status_code
        == 200
    )
    response = client.post(RESET_URL, json={"token": token, "password": NEW_PASSWORD})
    assert_problem(response, 422)


def test_admin_reset_access(signed: Signed, people: People, db: Session) -> None:
    url = f"/api/v1/users/{people.mentor.id}/password-reset"
    for role in (people.lead, people.facilitator, people.mentor):
        assert_problem(signed.api(role).post(url), 403)
    assert_problem(signed.api(people.other_admin).post(url), 404)
    assert_problem(signed.api(people.admin).post("/api/v1/users/999999/password-reset"), 404)
    assert outbox(db) == []


def test_admin_reset_of_a_deactivated_user_is_409(
    admin_api: TestClient, people: People, db: Session
) -> None:
    save(db, people.mentor, active=False)
    body = assert_problem(admin_api.post(f"/api/v1/users/{people.mentor.id}/password-reset"), 409)
    assert "deactivated" in body["detail"]
    assert outbox(db) == []


def test_admin_reset_on_the_pages(admin_pages: PageClient, people: People, db: Session) -> None:
    url = f"/admin/users/{people.mentor.id}"
    page = admin_pages.get(url)
    assert "Send password reset" in page.text
    response = post_form(admin_pages, f"{url}/password-reset", {})
    assert response.status_code == 303
    assert response.headers["location"] == url
    assert f"We have sent a reset link to {MENTOR}." in admin_pages.get(url).text
    assert len(outbox(db, "password_reset", MENTOR)) == 1


def test_admin_reset_page_needs_the_form_token(
    admin_pages: PageClient, people: People, db: Session
) -> None:
    response = post_form(
        admin_pages, f"/admin/users/{people.mentor.id}/password-reset", {}, csrf=False
    )
    assert response.status_code == 403
    assert outbox(db) == []


def test_admin_reset_page_for_a_deactivated_user(
    admin_pages: PageClient, people: People, db: Session
) -> None:
    save(db, people.mentor, active=False)
    response = post_form(admin_pages, f"/admin/users/{people.mentor.id}/password-reset", {})
    assert response.status_code == 409
    assert "deactivated" in response.text
    assert "There is a problem" in response.text
    assert outbox(db) == []
