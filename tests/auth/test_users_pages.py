"""The admin's user pages: list, add, edit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.auth.models import Role, User
from tests.support.auth import (
    assert_error_summary,
    assert_page,
    assert_redirect,
    assert_to_sign_in,
    audit_events,
    count,
    csrf_of,
    post_form,
    reload,
    user_by_email,
)
from tests.support.people import PageClient, People, Signed

NEW_USER = {
    "name": "Nia New",
    "email": "nia@org-a.example.org",
    "role": "facilitator",
    "password": "a long enough password",
}


def add_user(pages: PageClient, **changes: str) -> Response:
    return post_form(pages, "/admin/users", {**NEW_USER, **changes})


def edit_form(user: User, **values: str) -> dict[str, str]:
    return {"name": user.name, "role": user.role.value, "active": "yes", **values}


def edit_user(pages: PageClient, user: User, **values: str) -> Response:
    return post_form(pages, f"/admin/users/{user.id}", edit_form(user, **values))


def test_users_page_lists_my_organisation(admin_pages: PageClient, people: People) -> None:
    html = assert_page(
        admin_pages.get("/admin/users"),
        200,
        "4 users in your organisation",
        "Mentor of Org A",
        "lead@org-a.example.org",
        f'href="/admin/users/{people.mentor.id}"',
        'href="/admin/users/new"',
    )
    assert "Org B" not in html


def test_new_user_form(admin_pages: PageClient) -> None:
    assert_page(
        admin_pages.get("/admin/users/new"),
        200,
        f'name="csrf_token" value="{csrf_of(admin_pages)}"',
        'name="email"',
        'name="password"',
        '<option value="facilitator" selected>',
    )


def test_add_user(admin_pages: PageClient, people: People, db: Session) -> None:
    response = add_user(admin_pages, email="Nia@Org-A.example.org")
    user = user_by_email(db, "nia@org-a.example.org")
    assert user is not None
    assert_redirect(response, "/admin/users")
    assert (user.name, user.role, user.org_id) == ("Nia New", Role.facilitator, people.org.id)
    assert len(audit_events(db, action="create", entity_id=user.id)) == 1
    assert_page(admin_pages.get(response.headers["location"]), 200, "Nia New has been added.")


@pytest.mark.parametrize(
    ("changes", "status", "field", "message"),
    [
        ({"password": "short"}, 422, "password", "Password must be at least 12 characters"),
        (
            {"password": "nia@org-a.example.org"},
            422,
            "password",
            "Password must not be the same as the email address",
        ),
        ({"email": "nia at org-a"}, 422, "email", "An email address must have an @-sign."),
        ({"role": "owner"}, 422, "role", "Choose a role"),
        ({"role": ""}, 422, "role", "Choose a role"),
        ({"email": "LEAD@org-a.example.org"}, 409, "email", "already exists"),
    ],
)
def test_refused_add_creates_nothing(
    admin_pages: PageClient,
    people: People,
    db: Session,
    changes: dict[str, str],
    status: int,
    field: str,
    message: str,
) -> None:
    users, events = count(db, User), len(audit_events(db))
    html = assert_error_summary(add_user(admin_pages, **changes), status, field, message)
    assert 'value="Nia New"' in html  # what was typed is kept ...
    assert NEW_USER["password"] not in html  # ... except the password
    assert count(db, User) == users
    assert len(audit_events(db)) == events


def test_add_without_csrf_is_refused(admin_pages: PageClient, db: Session) -> None:
    users = count(db, User)
    assert_page(post_form(admin_pages, "/admin/users", NEW_USER, csrf=False), 403, "Form expired")
    assert count(db, User) == users


def test_edit_form(admin_pages: PageClient, people: People) -> None:
    assert_page(
        admin_pages.get(f"/admin/users/{people.mentor.id}"),
        200,
        "mentor@org-a.example.org",
        'value="Mentor of Org A"',
        '<option value="mentor" selected>',
        'value="yes" checked',
    )


def test_edit_user(admin_pages: PageClient, people: People, db: Session) -> None:
    response = edit_user(admin_pages, people.mentor, name="Mo Mentor", role="lead", active="no")
    assert_redirect(response, "/admin/users")
    user = reload(db, people.mentor)
    assert (user.name, user.role, user.active) == ("Mo Mentor", Role.lead, False)
    (event,) = audit_events(db, action="update")
    assert event.changes == {
        "active": [True, False],
        "name": ["Mentor of Org A", "Mo Mentor"],
        "role": ["mentor", "lead"],
    }
    assert "Deactivated" in admin_pages.get("/admin/users").text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"role": "owner"}, "role", "Choose a role"),
        ({"name": ""}, "name", "Enter the person's name"),
        ({"name": "   "}, "name", "Enter the person's name"),
        ({"active": "maybe"}, "active", "Choose whether the account is active"),
    ],
)
def test_refused_edit_changes_nothing(
    admin_pages: PageClient,
    people: People,
    db: Session,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    assert_error_summary(edit_user(admin_pages, people.mentor, **values), 422, field, message)
    user = reload(db, people.mentor)
    assert (user.name, user.role, user.active) == ("Mentor of Org A", Role.mentor, True)
    assert audit_events(db, action="update") == []


def test_edit_cannot_remove_the_last_admin(
    admin_pages: PageClient, people: People, db: Session
) -> None:
    response = edit_user(admin_pages, people.admin, active="no")
    assert_page(response, 409, "There is a problem", "at least one active admin")
    assert reload(db, people.admin).active is True


def test_edit_without_csrf_is_refused(admin_pages: PageClient, people: People, db: Session) -> None:
    url, form = f"/admin/users/{people.mentor.id}", edit_form(people.mentor, name="X")
    assert post_form(admin_pages, url, form, csrf=False).status_code == 403
    assert reload(db, people.mentor).name == "Mentor of Org A"


def test_other_organisations_user_is_not_found(
    admin_pages: PageClient, people: People, db: Session
) -> None:
    assert_page(admin_pages.get(f"/admin/users/{people.other_lead.id}"), 404, "Page not found")
    response = edit_user(admin_pages, people.other_lead, name="Hijacked")
    assert_page(response, 404, "Page not found")
    assert reload(db, people.other_lead).name == "Lead of Org B"


@pytest.mark.parametrize("role", ["lead", "facilitator", "mentor"])
def test_only_admins(signed: Signed, people: People, db: Session, role: str) -> None:
    pages = signed.pages(people.by_role(role))
    users = count(db, User)
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{people.mentor.id}"):
        assert_page(pages.get(path), 403, "Your role cannot do this.")
    assert add_user(pages).status_code == 403
    assert edit_user(pages, people.mentor, name="Changed").status_code == 403
    assert count(db, User) == users
    assert reload(db, people.mentor).name == "Mentor of Org A"


def test_strangers_are_sent_to_sign_in(anon: TestClient) -> None:
    assert_to_sign_in(anon, "/admin/users")
    assert_to_sign_in(anon, "/admin/users/new")
