"""Passwords made only of words about Tandem, the work it is used for, or the person's own
email address are refused on every way of setting one (ASVS 5.0 V6.2.11; the list is
app/auth/security.py CONTEXT_WORDS, documented in docs/security.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.security import CONTEXTUAL, is_contextual, password_problem
from tests.support.auth import assert_problem, change_password, error_fields, reload
from tests.support.people import PASSWORD, People, Signed

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "jo.bloggs@hillshire.gov.uk"


@pytest.mark.parametrize(
    "password",
    [
        "Tandem2026!!!!",
        "tandemtandem",
        "MentorMentor1!",
        "Fostering 2027!!",
        "ChildrenServices1!",
        "jobloggs12345",  # the person's own name
        "Hillshire2027!",  # their organisation's domain
    ],
)
def test_context_words_alone_are_refused(password: str) -> None:
    assert is_contextual(password, EMAIL)
    assert password_problem(password, EMAIL) == CONTEXTUAL


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "my tandem bicycle is red",  # a context word among others is fine
        "mentor of the year 1998 in spring",
        "1234567890987654",  # no letters: the common-password list judges it
        "J0 Bl0ggs Hillshire",  # "jblggshillshire" once the digits go: not only words
    ],
)
def test_other_passwords_are_not_refused_for_context(password: str) -> None:
    assert not is_contextual(password, EMAIL)


def test_the_test_suites_passwords_are_not_contextual() -> None:
    found: set[str] = set()
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "app" / "demo").rglob("*.py")]:
        found |= set(re.findall(r'PASSWORD\w* = "([^"]{12,})"', path.read_text()))
    emails = ["admin@org-a.example.org", "lead@org-a.example.org", "lead@demo.tandem.example.org"]
    assert not [(p, e) for p in found for e in emails if is_contextual(p, e)]


def test_adding_a_user_with_a_contextual_password_is_refused(admin_api: TestClient) -> None:
    body = {
        "email": "c@org-a.example.org",
        "name": "C",
        "role": "mentor",
        "password": "Tandem2026!!",
    }
    response = assert_problem(admin_api.post("/api/v1/users", json=body), 422)
    assert error_fields(response)["password"] == CONTEXTUAL


def test_changing_to_a_contextual_password_is_refused(
    signed: Signed, people: People, db: Session
) -> None:
    before = people.lead.password_hash
    response = change_password(signed.pages(people.lead), PASSWORD, "MentoringMentor99")
    assert response.status_code == 422
    assert "easy to guess" in response.text
    assert reload(db, people.lead).password_hash == before
