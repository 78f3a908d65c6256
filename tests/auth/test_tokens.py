"""API tokens: issuing, using, revoking and expiring them; one answer for every wrong sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from sqlmodel import Session

from app.auth import security
from app.auth.models import ApiToken
from tests.support.auth import (
    TOKEN_URL,
    WRONG,
    api_token_row,
    assert_problem,
    audit_events,
    bearer,
    count,
    me_status,
    request_token,
    save,
    token_for,
)
from tests.support.people import PASSWORD, People


def test_token_for_the_right_password(client: TestClient, people: People, db: Session) -> None:
    response = request_token(client, people.lead.email)
    assert response.status_code == 200
    body = response.json()
    # A lead must set up two-step sign-in (the default requirement): in their grace period.
    assert set(body) == {"access_token", "token_type", "expires_at", "mfa_setup_required"}
    assert body["mfa_setup_required"] is True
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) >= 32
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() == timedelta(0)
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12)
    row = api_token_row(db, body["access_token"])
    assert row.user_id == people.lead.id
    assert body["access_token"] not in row.token_hash
    assert [e.action for e in audit_events(db, entity_id=people.lead.id)][-1] == "issue_token"


def test_oauth2_grant_type_is_accepted(client: TestClient, people: People) -> None:
    response = client.post(
        TOKEN_URL,
        data={"username": people.lead.email, "password": PASSWORD, "grant_type": "password"},
    )
    assert response.status_code == 200


def _wrong_sign_in(client: TestClient, username: str, password: str) -> dict[str, Any]:
    response = request_token(client, username, password)
    body = assert_problem(response, 401, WRONG)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: TestClient, people: People, db: Session
) -> None:
    tokens_before = count(db, ApiToken)
    wrong_password = _wrong_sign_in(client, people.lead.email, "not the password at all")
    unknown_email = _wrong_sign_in(client, "nobody@org-a.example.org", "not the password at all")
    assert wrong_password == unknown_email
    assert count(db, ApiToken) == tokens_before


def test_an_email_holding_a_nul_character_is_nobodys(
    client: TestClient, people: People, db: Session
) -> None:
    # PostgreSQL cannot compare text holding NUL: found by schemathesis as a 422 where the
    # contract says 401.
    tokens_before = count(db, ApiToken)
    nul = _wrong_sign_in(client, "lead\x00@org-a.example.org", PASSWORD)
    assert nul == _wrong_sign_in(client, "nobody@org-a.example.org", PASSWORD)
    assert count(db, ApiToken) == tokens_before


def test_email_is_case_insensitive(client: TestClient, people: People) -> None:
    token = token_for(client, "  LEAD@Org-A.Example.ORG ")
    assert client.get("/api/v1/me", headers=bearer(token)).json()["id"] == people.lead.id


def test_deactivated_user_gets_no_token(client: TestClient, people: People, db: Session) -> None:
    save(db, people.mentor, active=False)
    _wrong_sign_in(client, people.mentor.email, PASSWORD)


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"username": "lead@org-a.example.org"},
        {"password": "x"},
        {"username": "", "password": ""},
    ],
)
def test_missing_fields_are_422(client: TestClient, people: People, form: dict[str, str]) -> None:
    assert_problem(client.post(TOKEN_URL, data=form), 422)


def test_me(client: TestClient, people: People) -> None:
    token = token_for(client, people.facilitator.email)
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "id": people.facilitator.id,
        "email": "facilitator@org-a.example.org",
        "name": people.facilitator.name,
        "role": "facilitator",
        "org_id": people.org.id,
    }


def test_logout_revokes_the_token(client: TestClient, people: People, db: Session) -> None:
    token = token_for(client, people.lead.email)
    other = token_for(client, people.lead.email)
    response = client.post("/api/v1/auth/logout", headers=bearer(token))
    assert response.status_code == 204
    assert response.content == b""
    assert me_status(client, token) == 401
    assert api_token_row(db, token).revoked_at is not None
    assert me_status(client, other) == 200  # only the token used was revoked
    assert audit_events(db, entity_id=people.lead.id)[-1].action == "revoke_token"
    assert_problem(client.post("/api/v1/auth/logout", headers=bearer(token)), 401)


def test_expired_token_is_refused(client: TestClient, people: People, db: Session) -> None:
    token = token_for(client, people.lead.email)
    save(db, api_token_row(db, token), expires_at=datetime.now(UTC) - timedelta(seconds=1))
    response = client.get("/api/v1/me", headers=bearer(token))
    assert_problem(response, 401, "The token is invalid, expired or revoked.")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer " + "x" * 43, "Bearer a b"])
def test_garbage_token_is_refused(client: TestClient, people: People, header: str) -> None:
    assert_problem(client.get("/api/v1/me", headers={"Authorization": header}), 401)


def test_no_token_is_a_401_problem(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert_problem(response, 401, "Sign in to continue.")
    assert response.headers["www-authenticate"] == "Bearer"


# Timing ------------------------------------------------------------------------------------


class CountingHasher:
    """The real hasher, noting each check it makes and the hash it checks against."""

    def __init__(self, real: PasswordHash) -> None:
        self.real = real
        self.calls: list[tuple[str, str]] = []

    def hash(self, password: str) -> str:
        return str(self.real.hash(password))

    def verify(self, password: str, hashed: str) -> bool:
        self.calls.append(("verify", hashed))
        return bool(self.real.verify(password, hashed))

    def verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
        self.calls.append(("verify_and_update", hashed))
        return self.real.verify_and_update(password, hashed)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(security._hasher())
    monkeypatch.setattr(security, "_hasher", lambda: counting)
    return counting


@pytest.mark.parametrize(
    ("who", "method"),
    [("unknown", "verify"), ("known", "verify_and_update"), ("deactivated", "verify_and_update")],
)
def test_every_sign_in_runs_one_argon2_check(
    client: TestClient, people: People, db: Session, hasher: CountingHasher, who: str, method: str
) -> None:
    """An unknown email costs the same hash check as a known one, so timing tells nothing."""
    save(db, people.mentor, active=False)
    email = {
        "unknown": "nobody@org-a.example.org",
        "known": people.lead.email,
        "deactivated": people.mentor.email,
    }[who]
    _wrong_sign_in(client, email, "not the password at all")
    ((called, hashed),) = hasher.calls
    assert called == method
    assert hashed.startswith("$argon2id$")
