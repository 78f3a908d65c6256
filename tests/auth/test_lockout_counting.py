"""How failed sign-ins are counted (issue 13): each attempt is added to the account's
count, atomically and committed, before its password is checked, so parallel guesses can
neither be lost nor check more passwords than the limit. The real races are in
test_lockout_races.py; these show the order of things in one process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.auth import signin
from app.auth.models import User
from app.auth.security import verify_password
from tests.support.auth import (
    WRONG,
    assert_error_summary,
    assert_problem,
    audit_events,
    change_password,
    reload,
    request_token,
    save,
    sign_in,
)
from tests.support.clock import Clock
from tests.support.people import PASSWORD, PageClient, People

BAD = "not the password at all"
LOCKED = "This account is locked after too many failed sign-ins. Try again later."


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch, db: Session, people: People) -> list[int]:
    """The lead's failed_logins as the database holds it at each password check."""
    seen: list[int] = []

    def spy(password: str, password_hash: str | None) -> tuple[bool, str | None]:
        seen.append(db.exec(select(User.failed_logins).where(User.id == people.lead.id)).one())
        return verify_password(password, password_hash)

    monkeypatch.setattr(signin, "verify_password", spy)
    return seen


def test_each_attempt_is_counted_before_its_password_is_checked(
    client: TestClient, people: People, db: Session, checks: list[int]
) -> None:
    codes = [request_token(client, people.lead.email, BAD).status_code for _ in range(7)]
    assert codes == [401] * 5 + [429] * 2
    # Counted first (1, not 0, at the first check), and no check once the limit is reached.
    assert checks == [1, 2, 3, 4, 5]
    assert len(audit_events(db, action="lock")) == 1


def test_a_failure_counted_meanwhile_is_not_lost(
    client: TestClient, people: People, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request's attempt lands while this one checks its password: both count (the
    old read-add-write in Python wrote 1 over the other's 2)."""
    raise_count = "UPDATE user_account SET failed_logins = failed_logins + 1 WHERE id = :id"

    def meanwhile(password: str, password_hash: str | None) -> tuple[bool, str | None]:
        db.execute(text(raise_count), {"id": people.lead.id})
        db.commit()
        return verify_password(password, password_hash)

    monkeypatch.setattr(signin, "verify_password", meanwhile)
    assert request_token(client, people.lead.email, BAD).status_code == 401
    assert reload(db, people.lead).failed_logins == 2


def test_the_right_password_on_the_last_attempt_signs_in(
    client: TestClient, people: People, db: Session
) -> None:
    """The attempt that reaches the limit locks the account before it is checked; if its
    password is right it signs in and the lock is gone, with nothing in the audit."""
    assert [request_token(client, people.lead.email, BAD).status_code for _ in range(4)] == [
        401
    ] * 4
    assert request_token(client, people.lead.email).status_code == 200
    user = reload(db, people.lead)
    assert (user.failed_logins, user.locked_until) == (0, None)
    assert audit_events(db, action="lock") == []


def test_a_lock_that_has_ended_starts_the_count_again(
    client: TestClient, people: People, db: Session, clock: Clock
) -> None:
    for _ in range(5):
        request_token(client, people.lead.email, BAD)
    assert_problem(request_token(client, people.lead.email), 429, LOCKED)
    clock.shift(timedelta(minutes=15, seconds=1))
    codes = [request_token(client, people.lead.email, BAD).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert len(audit_events(db, action="lock")) == 2


@pytest.mark.parametrize(
    ("who", "password"),
    [
        ("nobody@org-a.example.org", PASSWORD),  # unknown email
        ("lead@org-a.example.org", BAD),  # wrong password
        ("mentor@org-a.example.org", PASSWORD),  # inactive user, right password
    ],
)
def test_one_answer_for_every_wrong_combination(
    client: TestClient, anon: TestClient, people: People, db: Session, who: str, password: str
) -> None:
    save(db, people.mentor, active=False)
    assert_problem(request_token(client, who, password), 401, WRONG)
    assert_error_summary(sign_in(anon, who, password), 401, "email", WRONG)
    if who != "nobody@org-a.example.org":
        user = db.exec(select(User).where(User.email == who)).one()
        assert reload(db, user).failed_logins == 2


def test_a_right_current_password_is_not_held_against_anyone(
    lead_pages: PageClient, client: TestClient, people: People, db: Session
) -> None:
    """Changing the password counts the current one like a sign-in, but a right one
    clears the count even when the new password is refused."""
    for _ in range(6):
        assert change_password(lead_pages, PASSWORD, "short").status_code == 422
    assert reload(db, people.lead).failed_logins == 0
    assert request_token(client, people.lead.email).status_code == 200
