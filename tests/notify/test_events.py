"""Emails queued by an event, in the event's own transaction (issue 16, point 5): a
safeguarding concern to the organisation's leads at once, a new match to the mentor."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role, User
from app.mail.models import OutboxMessage
from app.mail.service import link
from tests.notify.conftest import CHILD, assert_no_child_named, outbox
from tests.support.clock import Clock
from tests.support.fixtures import MakeChild
from tests.support.mentoring import MakeMentor, make_match, mentor_user
from tests.support.people import People, Signed


@pytest.fixture
def matched(
    db: Session,
    lead_api: TestClient,
    signed: Signed,
    make_child: MakeChild,
    make_mentor: MakeMentor,
    today: dt.date,
) -> tuple[dict[str, Any], User, TestClient]:
    """The child Zebedee-Unique matched with a new mentor from a week ago."""
    child = make_child(first_name=CHILD)
    mentor = make_mentor(name="Jo Mentor")
    match = make_match(lead_api, child["id"], mentor["user_id"], today - dt.timedelta(days=7))
    user = mentor_user(db, mentor)
    return {**match, "child": child}, user, signed.api(user)


def test_a_new_match_tells_the_mentor(
    db: Session, matched: tuple[dict[str, Any], User, TestClient], people: People
) -> None:
    match, mentor, _ = matched
    (message,) = outbox(db, "new_match")
    reference = match["child"]["reference"]
    assert (message.user_id, message.to_address) == (mentor.id, mentor.email)
    assert message.subject == f"You have a new mentee ({reference})"
    assert f"{link('/mentor')}\n" in message.body_text
    assert "Hello Jo Mentor" in message.body_text
    assert message.dedupe_key == f"new_match:match:{match['id']}"
    assert_no_child_named(db)


def test_a_refused_match_queues_nothing(
    db: Session, lead_api: TestClient, make_child: MakeChild, people: People, today: dt.date
) -> None:
    child = make_child(first_name=CHILD)
    response = lead_api.post(
        "/api/v1/matches",
        json={"child_id": child["id"], "mentor_id": people.mentor.id, "start_date": str(today)},
    )
    assert response.status_code == 422  # no mentor profile: not a mentor yet
    assert outbox(db) == []


def test_a_mentor_who_turned_new_matches_off_gets_nothing(
    db: Session,
    lead_api: TestClient,
    signed: Signed,
    make_child: MakeChild,
    make_mentor: MakeMentor,
    today: dt.date,
) -> None:
    mentor = make_mentor()
    api = signed.api(mentor_user(db, mentor))
    assert api.put("/api/v1/me/notifications", json={"email": {"new_match": False}}).is_success
    make_match(lead_api, make_child()["id"], mentor["user_id"], today)
    assert outbox(db, "new_match") == []


def _concern(api: TestClient, match_id: int, clock: Clock) -> dict[str, Any]:
    """Yesterday's visit, logged with a concern."""
    response = api.post(
        "/api/v1/visits",
        json={
            "match_id": match_id,
            "date": (clock.today - dt.timedelta(days=1)).isoformat(),
            "start_time": "15:00",
            "duration_minutes": 60,
            "status": "completed",
            "summary": f"{CHILD} said something worrying",
            "safeguarding_concern": True,
        },
    )
    assert response.status_code == 201, response.text
    visit: dict[str, Any] = response.json()
    return visit


def test_a_safeguarding_concern_tells_the_leads_at_once(
    db: Session,
    matched: tuple[dict[str, Any], User, TestClient],
    people: People,
    clock: Clock,
) -> None:
    match, _, api = matched
    second = people.add(Role.lead, email="lead2@org-a.example.org", name="Second Lead")
    retired = people.add(Role.lead, email="lead3@org-a.example.org", name="Retired Lead")
    retired.active = False
    db.add(retired)
    db.commit()
    visit = _concern(api, match["id"], clock)
    messages = outbox(db, "safeguarding_concern")
    # The active leads; not the admin (the organisation has leads), not the retired lead.
    assert sorted(m.user_id or 0 for m in messages) == sorted([people.lead.id or 0, second.id or 0])
    reference = match["child"]["reference"]
    for message in messages:
        assert message.subject == f"Safeguarding concern raised about {reference}"
        assert f"A mentor has raised a safeguarding concern about {reference}" in message.body_text
        assert f"/visits/{visit['id']}#concern-review" in message.body_text
        assert "said something worrying" not in message.body_text  # the summary stays in Tandem
    assert_no_child_named(db)


def test_without_a_lead_the_admins_hear_of_a_concern(
    db: Session,
    matched: tuple[dict[str, Any], User, TestClient],
    people: People,
    clock: Clock,
) -> None:
    match, _, api = matched
    people.lead.active = False
    db.add(people.lead)
    db.commit()
    _concern(api, match["id"], clock)
    (message,) = outbox(db, "safeguarding_concern")
    assert message.user_id == people.admin.id


def test_a_lead_who_turned_concerns_off_gets_none(
    db: Session,
    matched: tuple[dict[str, Any], User, TestClient],
    people: People,
    signed: Signed,
    clock: Clock,
) -> None:
    match, _, api = matched
    lead = signed.api(people.lead)
    assert lead.put(
        "/api/v1/me/notifications", json={"email": {"safeguarding_concern": False}}
    ).is_success
    _concern(api, match["id"], clock)
    assert outbox(db, "safeguarding_concern") == []


def test_a_visit_without_a_concern_tells_no_one(
    db: Session, matched: tuple[dict[str, Any], User, TestClient], clock: Clock
) -> None:
    match, _, api = matched
    response = api.post(
        "/api/v1/visits",
        json={
            "match_id": match["id"],
            "date": (clock.today - dt.timedelta(days=1)).isoformat(),
            "start_time": "15:00",
            "duration_minutes": 60,
            "status": "completed",
        },
    )
    assert response.status_code == 201, response.text
    assert outbox(db, "safeguarding_concern") == []
    assert all(isinstance(m, OutboxMessage) for m in outbox(db))
