"""The emails of signing in: the account was locked (one per lock), the password was
changed (issue 16, point 1)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from tests.support.auth import change_password, request_token
from tests.support.clock import Clock
from tests.support.links import NEW_PASSWORD, outbox
from tests.support.people import PASSWORD, People, Signed

LEAD = "lead@org-a.example.org"


def wrong(client: TestClient, times: int) -> None:
    for n in range(times):
        request_token(client, LEAD, f"wrong guess {n}")


def test_a_lock_sends_one_email(
    client: TestClient, people: People, db: Session, clock: Clock
) -> None:
    limit = get_settings().login_max_failures
    wrong(client, limit - 1)
    assert outbox(db, "account_locked") == []
    wrong(client, 3)  # the one that locks, then refused ones
    (message,) = outbox(db, "account_locked")
    assert message.to_address == LEAD
    assert message.subject == "Your Tandem account was locked"
    assert "You can try again after 10 March 2027 at 10:15am" in message.body_text
    assert "/account/forgot" in message.body_text
    # A later lock is another email.
    clock.shift(timedelta(minutes=16))
    wrong(client, limit)
    assert len(outbox(db, "account_locked")) == 2


def test_a_lock_of_an_unknown_address_sends_nothing(
    client: TestClient, people: People, db: Session
) -> None:
    for n in range(get_settings().login_max_failures + 1):
        request_token(client, "nobody@org-a.example.org", f"guess {n}")
    assert outbox(db) == []


def test_a_person_who_turned_it_off_gets_no_lock_email(
    client: TestClient, people: People, db: Session
) -> None:
    people.lead.notification_email = {"account_locked": False}
    db.add(people.lead)
    db.commit()
    wrong(client, get_settings().login_max_failures)
    assert outbox(db, "account_locked") == []


def test_changing_ones_password_sends_an_email(signed: Signed, people: People, db: Session) -> None:
    response = change_password(signed.pages(people.lead), PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    (message,) = outbox(db, "password_changed")
    assert message.to_address == LEAD
    assert message.subject == "Your Tandem password was changed"
    assert "If it was not you" in message.body_text


def test_a_refused_change_sends_nothing(signed: Signed, people: People, db: Session) -> None:
    assert (
        change_password(signed.pages(people.lead), "wrong password!", NEW_PASSWORD).status_code
        == 422
    )
    assert outbox(db, "password_changed") == []
