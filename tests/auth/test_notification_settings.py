"""Each person's email choices: GET/PUT /api/v1/me/notifications and the page
/account/notifications (issue 16, point 5)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.mail.kinds import KINDS, Kind
from tests.support.people import People, Signed

URL = "/api/v1/me/notifications"
EVERY_KIND = {kind.value for kind in Kind}


def _events(db: Session, user: User) -> list[AuditEvent]:
    return list(
        db.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "user",
                AuditEvent.entity_id == user.id,
                AuditEvent.action == "update",
            )
        ).all()
    )


def test_everyone_sees_every_kind_with_its_default(signed: Signed, people: People) -> None:
    for role in ("admin", "lead", "facilitator", "mentor"):
        response = signed.api(people.by_role(role)).get(URL)
        assert response.status_code == 200, response.text
        email = response.json()["email"]
        assert set(email) == EVERY_KIND
        assert email == {kind.value: info.default for kind, info in KINDS.items()}


def test_a_partial_put_changes_only_the_kinds_named_and_is_audited(
    db: Session, signed: Signed, people: People
) -> None:
    api = signed.api(people.mentor)
    response = api.put(URL, json={"email": {"visit_reminder": False}})
    assert response.status_code == 200, response.text
    assert response.json()["email"]["visit_reminder"] is False
    assert response.json()["email"]["new_match"] is True
    response = api.put(URL, json={"email": {"new_match": False}})
    assert response.status_code == 200, response.text
    email = api.get(URL).json()["email"]
    assert (email["visit_reminder"], email["new_match"], email["dbs_expiring"]) == (
        False,
        False,
        True,
    )
    db.refresh(people.mentor)
    assert people.mentor.notification_email == {"visit_reminder": False, "new_match": False}
    events = _events(db, people.mentor)
    assert len(events) == 2
    assert events[-1].changes["notification_email"] == [
        {"visit_reminder": False},
        {"visit_reminder": False, "new_match": False},
    ]
    # The same choice again changes nothing and writes no event.
    assert api.put(URL, json={"email": {"new_match": False}}).status_code == 200
    assert len(_events(db, people.mentor)) == 2
    # Turning it back on.
    assert api.put(URL, json={"email": {"new_match": True}}).json()["email"]["new_match"]


def test_an_always_sent_kind_may_be_left_on(signed: Signed, people: People) -> None:
    response = signed.api(people.lead).put(URL, json={"email": {"invitation": True}})
    assert response.status_code == 200, response.text
    assert response.json()["email"]["invitation"] is True


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"email": {"carrier_pigeon": False}}, "There is no kind of email called 'carrier_pigeon'"),
        ({"email": {"invitation": False}}, "Invitation to Tandem is always sent"),
        ({"email": {"password_reset": False}}, "Password reset link is always sent"),
        ({"email": {"new_match": "no"}}, None),
        ({"email": {"new_match": 0}}, None),
        ({"email": {"new_match": None}}, None),
        ({"email": ["new_match"]}, None),
        ({"email": {"new_match": False}, "sms": {}}, None),
        ({}, None),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(
    db: Session, signed: Signed, people: People, body: dict[str, Any], words: str | None
) -> None:
    api = signed.api(people.mentor)
    # A good choice alongside a bad one is not kept either.
    if isinstance(body.get("email"), dict):
        body = {**body, "email": {"visit_reminder": False, **body["email"]}}
    response = api.put(URL, json=body)
    assert response.status_code == 422, response.text
    if words:
        assert words in response.text
    assert api.get(URL).json()["email"]["visit_reminder"] is True
    db.refresh(people.mentor)
    assert people.mentor.notification_email == {}
    assert _events(db, people.mentor) == []


def test_someone_signed_out_gets_401(client: TestClient) -> None:
    assert client.get(URL).status_code == 401
    assert client.put(URL, json={"email": {"new_match": False}}).status_code == 401


# The page ------------------------------------------------------------------------------------


def test_the_page_shows_the_kinds_of_the_persons_role(signed: Signed, people: People) -> None:
    page = signed.pages(people.mentor).get("/account/notifications")
    assert page.status_code == 200
    text = page.text
    assert 'value="visit_reminder"' in text
    assert 'value="new_match"' in text
    assert 'value="weekly_digest"' not in text
    assert 'value="safeguarding_concern"' not in text
    assert 'value="invitation"' not in text  # always sent: listed, no box
    assert 'id="always-sent"' in text
    assert "Password reset link" in text
    assert '<label class="govuk-label govuk-checkboxes__label" for="email">' in text
    assert text.count(" checked") == sum(
        1 for info in KINDS.values() if "mentor" in info.roles and not info.always
    )
    lead = signed.pages(people.lead).get("/account/notifications").text
    assert 'value="weekly_digest"' in lead
    assert 'value="safeguarding_concern"' in lead
    assert 'value="visit_reminder"' not in lead
    # In the account bar of every page.
    assert 'href="/account/notifications"' in signed.pages(people.facilitator).get("/").text


def test_saving_the_page_turns_off_what_is_left_clear(
    db: Session, signed: Signed, people: People
) -> None:
    pages = signed.pages(people.mentor)
    form = {"csrf_token": pages.csrf_token, "email": ["new_match", "dbs_expiring"]}
    response = pages.post("/account/notifications", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/notifications"
    shown = pages.get("/account/notifications")
    assert "Your email choices are saved." in shown.text
    assert 'value="visit_reminder" aria-describedby="email-visit_reminder-item-hint">' in shown.text
    db.refresh(people.mentor)
    email = signed.api(people.mentor).get(URL).json()["email"]
    assert (email["visit_reminder"], email["new_match"], email["dbs_expiring"]) == (
        False,
        True,
        True,
    )
    # Another role's kinds keep their value; nothing ticked turns every box off.
    response = pages.post("/account/notifications", data={"csrf_token": pages.csrf_token})
    assert response.status_code == 303
    email = signed.api(people.mentor).get(URL).json()["email"]
    assert not email["new_match"]
    assert not email["dbs_expiring"]
    assert email["weekly_digest"] is True
    assert email["invitation"] is True


def test_a_made_up_kind_on_the_page_is_shown_as_an_error(
    db: Session, signed: Signed, people: People
) -> None:
    pages = signed.pages(people.mentor)
    form = {"csrf_token": pages.csrf_token, "email": ["new_match", "carrier_pigeon"]}
    response = pages.post("/account/notifications", data=form)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert '<a href="#email">There is no kind of email called' in response.text
    assert 'id="email-error"' in response.text
    db.refresh(people.mentor)
    assert people.mentor.notification_email == {}


def test_the_page_needs_a_csrf_token_and_a_signed_in_person(
    anon: TestClient, signed: Signed, people: People, db: Session
) -> None:
    assert anon.get("/account/notifications").status_code == 303
    pages = signed.pages(people.mentor)
    response = pages.post("/account/notifications", data={"email": ["new_match"]})
    assert response.status_code == 403
    db.refresh(people.mentor)
    assert people.mentor.notification_email == {}
