"""An admin adds a user without a password: an invitation email with a single-use link
(72 hours) lets them choose their own (issue 16, point 1)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import AccountLink, Role, User
from app.auth.security import token_digest
from tests.support.auth import (
    assert_page,
    assert_problem,
    assert_redirect,
    audit_events,
    count,
    error_fields,
    post_form,
    request_token,
    user_by_email,
)
from tests.support.clock import Clock
from tests.support.links import NEW_PASSWORD, RESET_URL, last_token, link_token, outbox
from tests.support.people import PageClient, People

NEW = {"email": "Nia@Org-A.example.org", "name": "Nia New", "role": "mentor"}
NIA = "nia@org-a.example.org"


def invited_user(admin_api: TestClient, db: Session) -> User:
    response = admin_api.post("/api/v1/users", json=NEW)
    assert response.status_code == 201, response.text
    user = user_by_email(db, NIA)
    assert user is not None
    return user


def test_adding_without_a_password_sends_an_invitation(
    admin_api: TestClient, people: People, db: Session
) -> None:
    user = invited_user(admin_api, db)
    assert user.password_hash is None
    (message,) = outbox(db, "invitation")
    assert message.to_address == NIA
    assert message.user_id == user.id
    assert message.subject == "You are invited to Tandem for Org A"
    body = message.body_text
    assert "Admin of Org A has added you to Tandem for Org A." in body
    # The expiry as people read it: 72 hours from 10:00 on Wednesday 10 March 2027.
    assert "until 13 March 2027 at 10am (72 hours)" in body
    assert "sign in with this email address: nia@org-a.example.org" in body
    token = link_token(message)
    link = db.exec(select(AccountLink).where(AccountLink.token_hash == token_digest(token))).one()
    assert (link.purpose, link.user_id, link.created_by) == ("invitation", user.id, people.admin.id)
    assert link.expires_at - link.created_at == timedelta(hours=72)
    (event,) = audit_events(db, action="invite", entity_id=user.id)
    assert event.actor_id == people.admin.id
    assert token not in str(event.changes)


def test_an_invited_user_cannot_sign_in_by_password(
    admin_api: TestClient, client: TestClient, db: Session
) -> None:
    invited_user(admin_api, db)
    for guess in ("a long enough password", "x", "!"):
        assert request_token(client, NIA, guess).status_code == 401


def test_accepting_the_invitation_sets_the_first_password(
    admin_api: TestClient, client: TestClient, db: Session
) -> None:
    user = invited_user(admin_api, db)
    token = last_token(db, "invitation", NIA)
    response = client.post(RESET_URL, json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 204, response.text
    assert request_token(client, NIA, NEW_PASSWORD).status_code == 200
    (event,) = audit_events(db, action="accept_invitation", entity_id=user.id)
    assert (event.actor_id, event.changes) == (user.id, {"password": "set"})
    assert NEW_PASSWORD not in str([e.changes for e in audit_events(db)])
    # A first password is no change to warn about.
    assert outbox(db, "password_changed") == []
    again = client.post(RESET_URL, json={"token": token, "password": "another new passphrase"})
    body = assert_problem(again, 422)
    assert "already been used" in error_fields(body)["token"]


def test_an_invitation_works_for_72_hours(
    admin_api: TestClient, client: TestClient, db: Session, clock: Clock
) -> None:
    invited_user(admin_api, db)
    token = last_token(db, "invitation", NIA)
    clock.shift(timedelta(hours=71, minutes=59))
    assert client.get(f"/account/reset/{token}").status_code == 200
    clock.shift(timedelta(minutes=2))
    response = client.post(RESET_URL, json={"token": token, "password": NEW_PASSWORD})
    assert "has expired" in error_fields(assert_problem(response, 422))["token"]
    assert_page(client.get(f"/account/reset/{token}"), 400, "This link cannot be used")


def test_an_existing_address_is_409_and_sends_nothing(
    admin_api: TestClient, people: People, db: Session
) -> None:
    users = count(db, User)
    response = admin_api.post("/api/v1/users", json={**NEW, "email": "LEAD@org-a.example.org"})
    assert_problem(response, 409)
    assert count(db, User) == users
    assert outbox(db) == []


def test_a_refused_password_sends_no_invitation(admin_api: TestClient, db: Session) -> None:
    response = admin_api.post("/api/v1/users", json={**NEW, "password": "short"})
    assert_problem(response, 422)
    assert user_by_email(db, NIA) is None
    assert outbox(db) == []


def test_a_user_added_with_a_password_gets_no_invitation(
    admin_api: TestClient, db: Session
) -> None:
    response = admin_api.post("/api/v1/users", json={**NEW, "password": "a long enough password"})
    assert response.status_code == 201
    assert outbox(db) == []


def test_sending_again_ends_the_older_invitation(
    admin_api: TestClient, client: TestClient, db: Session
) -> None:
    user = invited_user(admin_api, db)
    first = last_token(db, "invitation", NIA)
    response = admin_api.post(f"/api/v1/users/{user.id}/password-reset")
    assert response.status_code == 202
    assert response.json() == {"sent": "invitation"}
    assert outbox(db, "password_reset") == []
    second = last_token(db, "invitation", NIA)
    assert second != first
    old = client.post(RESET_URL, json={"token": first, "password": NEW_PASSWORD})
    assert "newer one was sent" in error_fields(assert_problem(old, 422))["token"]
    new = client.post(RESET_URL, json={"token": second, "password": NEW_PASSWORD})
    assert new.status_code == 204


def test_pages_add_a_user_by_invitation(
    admin_pages: PageClient, people: People, db: Session
) -> None:
    form = {"name": "Nia New", "email": NIA, "role": "mentor", "password": ""}
    response = post_form(admin_pages, "/admin/users", form)
    assert_redirect(response, "/admin/users")
    user = user_by_email(db, NIA)
    assert user is not None
    assert user.role == Role.mentor
    assert user.password_hash is None
    assert len(outbox(db, "invitation", NIA)) == 1
    html = assert_page(
        admin_pages.get("/admin/users"),
        200,
        f"Nia New has been added. We have sent an invitation to {NIA}.",
        "Invited",
    )
    assert html.count("govuk-tag--blue") == 1  # Nia only: the others have passwords
    assert_page(
        admin_pages.get(f"/admin/users/{user.id}"),
        200,
        "has not chosen a password yet",
        "Send the invitation again",
        f'action="/admin/users/{user.id}/password-reset"',
    )
    resend = post_form(admin_pages, f"/admin/users/{user.id}/password-reset", {})
    assert_redirect(resend, f"/admin/users/{user.id}")
    assert_page(
        admin_pages.get(resend.headers["location"]),
        200,
        f"We have sent Nia New a new invitation at {NIA}.",
    )
    assert len(outbox(db, "invitation", NIA)) == 2


def test_the_new_user_form_says_the_password_is_optional(admin_pages: PageClient) -> None:
    assert_page(
        admin_pages.get("/admin/users/new"),
        200,
        "First password (optional)",
        "we will email them an invitation",
    )
