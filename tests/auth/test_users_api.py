"""The organisation's users through the API: admins only, within their own organisation."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.auth.models import Role, User
from tests.support.auth import (
    assert_problem,
    audit_events,
    count,
    error_fields,
    reload,
    user_by_email,
)
from tests.support.people import People, Signed

GOOD = {
    "email": "New.Person@Org-A.example.org",
    "name": "  New Person ",
    "role": "mentor",
    "password": "a long enough password",
}


def create(client: TestClient, **changes: Any) -> Response:
    return client.post("/api/v1/users", json={**GOOD, **changes})


def patch(client: TestClient, user: User, **body: Any) -> Response:
    return client.patch(f"/api/v1/users/{user.id}", json=body)


def test_list_is_only_my_organisation(admin_api: TestClient, people: People) -> None:
    response = admin_api.get("/api/v1/users")
    assert response.status_code == 200
    body = response.json()
    assert {u["email"] for u in body} == {
        "admin@org-a.example.org",
        "lead@org-a.example.org",
        "facilitator@org-a.example.org",
        "mentor@org-a.example.org",
    }
    assert set(body[0]) == {"id", "email", "name", "role", "org_id", "active", "created_at"}
    assert "password_hash" not in response.text


def test_create(admin_api: TestClient, people: People, db: Session) -> None:
    response = create(admin_api)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "new.person@org-a.example.org"
    assert body["name"] == "New Person"
    assert (body["role"], body["org_id"], body["active"]) == ("mentor", people.org.id, True)
    user = user_by_email(db, "new.person@org-a.example.org")
    assert user is not None
    assert user.id == body["id"]
    assert (user.password_hash or "").startswith("$argon2id$")
    (event,) = audit_events(db, action="create", entity="user", entity_id=user.id)
    assert event.actor_id == people.admin.id
    assert event.changes == {
        "email": [None, "new.person@org-a.example.org"],
        "name": [None, "New Person"],
        "role": [None, "mentor"],
    }
    token = admin_api.post(
        "/api/v1/auth/token",
        data={"username": "new.person@org-a.example.org", "password": GOOD["password"]},
    )
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("changes", "status", "field", "says"),
    [
        ({"email": "lead@org-a.example.org"}, 409, None, "already exists"),
        ({"email": "LEAD@ORG-A.EXAMPLE.ORG"}, 409, None, "already exists"),
        ({"email": "admin@org-b.example.org"}, 409, None, "already exists"),
        ({"password": "short"}, 422, "password", "at least 12 characters"),
        ({"password": "x" * 129}, 422, "password", "128 characters or fewer"),
        ({"password": "new.person@org-a.example.org"}, 422, "password", "same as the email"),
        ({"role": "owner"}, 422, "role", ""),
        ({"role": None}, 422, "role", ""),
        ({"email": "not-an-email"}, 422, "email", ""),
        ({"email": "two@@org-a.example.org"}, 422, "email", ""),
        ({"name": ""}, 422, "name", ""),
        ({"name": "   "}, 422, "name", "Enter the person's name"),
        ({"is_admin": True}, 422, "is_admin", ""),
        ({"org_id": 2}, 422, "org_id", ""),
    ],
)
def test_refused_create_adds_nothing(
    admin_api: TestClient,
    people: People,
    db: Session,
    changes: dict[str, Any],
    status: int,
    field: str | None,
    says: str,
) -> None:
    users, events = count(db, User), len(audit_events(db))
    body = assert_problem(create(admin_api, **changes), status)
    if field is None:
        assert says in body["detail"]
    else:
        assert says in error_fields(body)[field]
    assert count(db, User) == users
    assert len(audit_events(db)) == events


def test_missing_fields(admin_api: TestClient, people: People) -> None:
    body = assert_problem(admin_api.post("/api/v1/users", json={}), 422)
    # The password may be left out (issue 16): the person is invited to choose their own.
    assert set(error_fields(body)) == {"email", "name", "role"}


def test_update_name_role_and_active(admin_api: TestClient, people: People, db: Session) -> None:
    response = patch(admin_api, people.mentor, name="Mo Renamed", role="facilitator", active=False)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["role"], body["active"]) == ("Mo Renamed", "facilitator", False)
    user = reload(db, people.mentor)
    assert (user.name, user.role, user.active) == ("Mo Renamed", Role.facilitator, False)
    (event,) = audit_events(db, action="update", entity_id=people.mentor.id)
    assert event.actor_id == people.admin.id
    assert event.changes == {
        "name": ["Mentor of Org A", "Mo Renamed"],
        "role": ["mentor", "facilitator"],
        "active": [True, False],
    }


def test_update_only_what_changed_is_audited(
    admin_api: TestClient, people: People, db: Session
) -> None:
    assert patch(admin_api, people.mentor, role="mentor", name="Mentor of Org A").status_code == 200
    assert patch(admin_api, people.mentor).status_code == 200
    assert audit_events(db, action="update") == []
    patch(admin_api, people.mentor, role="lead", name="Mentor of Org A")
    (event,) = audit_events(db, action="update")
    assert event.changes == {"role": ["mentor", "lead"]}


@pytest.mark.parametrize(
    "body",
    [
        {"role": "owner"},
        {"name": ""},
        {"name": "   "},
        {"active": "perhaps"},
        {"email": "changed@org-a.example.org"},
        {"password_hash": "x"},
    ],
)
def test_refused_update_changes_nothing(
    admin_api: TestClient, people: People, db: Session, body: dict[str, Any]
) -> None:
    assert_problem(patch(admin_api, people.mentor, **body), 422)
    user = reload(db, people.mentor)
    assert (user.name, user.role, user.active) == ("Mentor of Org A", Role.mentor, True)
    assert user.email == "mentor@org-a.example.org"
    assert audit_events(db, action="update") == []


def test_other_organisations_users_are_not_found(
    admin_api: TestClient, people: People, db: Session
) -> None:
    for response in (
        admin_api.get(f"/api/v1/users/{people.other_lead.id}"),
        patch(admin_api, people.other_lead, name="Hijacked"),
        admin_api.get("/api/v1/users/999999"),
    ):
        assert_problem(response, 404)
    assert reload(db, people.other_lead).name == "Lead of Org B"


def test_bad_user_id(admin_api: TestClient, people: People) -> None:
    for path in ("/api/v1/users/0", "/api/v1/users/abc", f"/api/v1/users/{2**31}"):
        assert_problem(admin_api.get(path), 422)


@pytest.mark.parametrize("role", ["lead", "facilitator", "mentor"])
def test_only_admins(signed: Signed, people: People, db: Session, role: str) -> None:
    api = signed.api(people.by_role(role))
    users = count(db, User)
    assert_problem(api.get("/api/v1/users"), 403, "Your role cannot do this.")
    assert_problem(api.get(f"/api/v1/users/{people.mentor.id}"), 403)
    assert_problem(create(api), 403)
    assert_problem(patch(api, people.mentor, name="Changed"), 403)
    assert_problem(patch(api, people.by_role(role), role="admin"), 403)
    assert count(db, User) == users
    assert reload(db, people.mentor).name == "Mentor of Org A"
    assert reload(db, people.by_role(role)).role == Role(role)


def test_strangers_get_401(client: TestClient, people: People) -> None:
    assert_problem(client.get("/api/v1/users"), 401)
    assert_problem(client.post("/api/v1/users", json=GOOD), 401)


@pytest.mark.parametrize("body", [{"active": False}, {"role": "lead"}])
def test_last_active_admin_stays(
    admin_api: TestClient, people: People, db: Session, body: dict[str, Any]
) -> None:
    body_out = assert_problem(patch(admin_api, people.admin, **body), 409)
    assert "at least one active admin" in body_out["detail"]
    admin = reload(db, people.admin)
    assert (admin.role, admin.active) == (Role.admin, True)
    assert audit_events(db, action="update") == []


def test_deactivated_admins_do_not_count(
    admin_api: TestClient, people: People, db: Session
) -> None:
    spare = people.add(Role.admin, email="spare@org-a.example.org")
    spare.active = False
    db.commit()
    assert_problem(patch(admin_api, people.admin, role="lead"), 409)


@pytest.mark.parametrize("body", [{"active": False}, {"role": "lead"}])
def test_one_of_two_admins_can_be_demoted_or_deactivated(
    admin_api: TestClient, people: People, db: Session, body: dict[str, Any]
) -> None:
    second = people.add(Role.admin, email="second@org-a.example.org", name="Second Admin")
    db.commit()
    response = patch(admin_api, second, **body)
    assert response.status_code == 200, response.text
    # ... and then the remaining admin is the last one.
    assert_problem(patch(admin_api, people.admin, **body), 409)


def test_admin_can_step_down_when_another_admin_remains(
    admin_api: TestClient, people: People, db: Session
) -> None:
    people.add(Role.admin, email="second@org-a.example.org", name="Second Admin")
    db.commit()
    response = patch(admin_api, people.admin, role="lead")
    assert response.status_code == 200, response.text
    assert reload(db, people.admin).role == Role.lead


def test_every_field_problem_is_reported_at_once(admin_api: TestClient) -> None:
    response = admin_api.post(
        "/api/v1/users",
        json={"email": "not an email", "name": " ", "role": "mentor", "password": "short"},
    )
    assert response.status_code == 422
    fields = {tuple(e["loc"])[-1] for e in response.json()["errors"]}
    assert fields == {"email", "name", "password"}
