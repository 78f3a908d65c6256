"""Changing your own password at /account/password."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.support.auth import (
    PASSWORD_URL,
    assert_error_summary,
    assert_no_secrets,
    assert_page,
    assert_to_sign_in,
    audit_events,
    change_password,
    me_status,
    reload,
    request_token,
    token_for,
)
from tests.support.people import PASSWORD, PageClient, People, Signed

NEW = "a different and long passphrase"


def test_form(lead_pages: PageClient) -> None:
    assert_page(
        lead_pages.get(PASSWORD_URL),
        200,
        'name="current_password"',
        'name="new_password"',
        'name="csrf_token"',
    )


def test_form_needs_sign_in(anon: TestClient) -> None:
    assert_to_sign_in(anon, PASSWORD_URL)


@pytest.mark.parametrize(
    ("current", "new", "field", "message"),
    [
        ("wrong current password", NEW, "current_password", "Your current password is wrong"),
        (PASSWORD, "too short", "new_password", "Password must be at least 12 characters"),
        (PASSWORD, "x" * 129, "new_password", "Password must be 128 characters or fewer"),
        (PASSWORD, "Lead@Org-A.example.org", "new_password", "must not be the same as the email"),
        (PASSWORD, PASSWORD, "new_password", "Choose a password you are not using now"),
        ("", "", "current_password", "Your current password is wrong"),
    ],
)
def test_refused_change_leaves_everything_as_it_was(
    lead_pages: PageClient,
    client: TestClient,
    people: People,
    db: Session,
    current: str,
    new: str,
    field: str,
    message: str,
) -> None:
    hash_before = people.lead.password_hash
    events = len(audit_events(db))
    assert_error_summary(change_password(lead_pages, current, new), 422, field, message)
    assert reload(db, people.lead).password_hash == hash_before
    assert len(audit_events(db)) == events
    assert request_token(client, people.lead.email).status_code == 200


def test_both_fields_wrong_shows_both_errors(lead_pages: PageClient) -> None:
    html = assert_error_summary(
        change_password(lead_pages, "wrong current password", "short"),
        422,
        "current_password",
        "Your current password is wrong",
    )
    assert '<a href="#new_password">Password must be at least 12 characters</a>' in html


def test_change_needs_the_csrf_token(lead_pages: PageClient, people: People, db: Session) -> None:
    hash_before = people.lead.password_hash
    assert change_password(lead_pages, PASSWORD, NEW, csrf=False).status_code == 403
    assert reload(db, people.lead).password_hash == hash_before


def test_change_password(signed: Signed, client: TestClient, people: People, db: Session) -> None:
    here = signed.pages(people.lead)
    elsewhere = signed.pages(people.lead)
    old_token = token_for(client, people.lead.email)
    someone_else = signed.pages(people.mentor)

    response = change_password(here, PASSWORD, NEW)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/password"
    response = here.get(response.headers["location"])
    assert_page(response, 200, "Your password has been changed")
    assert "There is a problem" not in response.text

    assert request_token(client, people.lead.email, PASSWORD).status_code == 401
    assert me_status(client, token_for(client, people.lead.email, NEW)) == 200
    assert me_status(client, old_token) == 401
    assert_to_sign_in(elsewhere)
    assert_page(here.get("/curriculum"), 200)
    assert_page(someone_else.get("/curriculum"), 200)

    (event,) = audit_events(db, action="change_password")
    assert (event.entity, event.entity_id, event.actor_id) == (
        "user",
        people.lead.id,
        people.lead.id,
    )
    assert event.changes == {"password": "changed"}
    assert_no_secrets(
        [e.changes for e in audit_events(db)], NEW, reload(db, people.lead).password_hash, old_token
    )


def test_guessing_the_current_password_locks_the_account(
    lead_pages: PageClient, client: TestClient, people: People
) -> None:
    for _ in range(5):
        change_password(lead_pages, "a wrong guess at it", NEW)
    response = change_password(lead_pages, PASSWORD, NEW)
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.text
    assert int(response.headers["Retry-After"]) > 0
    # Locked for signing in too, and the password did not change.
    assert request_token(client, people.lead.email, NEW).status_code != 200
