"""A user who still mentors open matches, or facilitates a cohort with sessions to come,
cannot be deactivated or given another role (API.md "Reliability"): the refusal names what
must be moved first, and changes nothing. Their name can still be changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session, col, delete

from app.auth.models import Role, User
from app.cohorts.models import CohortFacilitator
from tests.support.auth import assert_page, assert_problem, audit_events, post_form, reload
from tests.support.clock import Clock
from tests.support.mentoring import DAY, MakeMentor, Programme, make_match, mentor_user
from tests.support.people import People, Signed


@pytest.fixture
def jo(
    make_mentor: MakeMentor,
    make_child: Any,
    lead_api: TestClient,
    db: Session,
    today: dt.date,
) -> User:
    """Jo Mentor, with open matches with Ben and Amira and an ended one with Cara."""
    mentor = make_mentor(name="Jo Mentor", max_caseload=3)
    for name in ("Ben", "Amira"):
        make_match(lead_api, make_child(first_name=name)["id"], mentor["user_id"], today)
    ended = make_match(
        lead_api, make_child(first_name="Cara")["id"], mentor["user_id"], today - 30 * DAY
    )
    response = lead_api.post(
        f"/api/v1/matches/{ended['id']}/end",
        json={"end_date": today.isoformat(), "reason": "planned"},
    )
    assert response.status_code == 200, response.text
    return mentor_user(db, mentor)


def sessions_to_come(lead_api: TestClient, programme: Programme, today: dt.date) -> int:
    return sum(
        s["date"] >= today.isoformat() and s["status"] == "scheduled"
        for s in programme.sessions(lead_api)
    )


def patch(api: TestClient, user: User, **body: Any) -> Any:
    return api.patch(f"/api/v1/users/{user.id}", json=body)


def assert_unchanged(db: Session, user: User, name: str, role: Role) -> None:
    user = reload(db, user)
    assert (user.name, user.role, user.active) == (name, role, True)
    assert audit_events(db, action="update", entity="user") == []


JO_REFUSED = "Jo Mentor still has 2 open matches (Amira, Ben): end the matches first."


@pytest.mark.parametrize("body", [{"active": False}, {"role": "facilitator"}])
def test_mentor_with_open_matches_is_refused(
    admin_api: TestClient, jo: User, db: Session, body: dict[str, Any]
) -> None:
    assert_problem(patch(admin_api, jo, name="Jo Renamed", **body), 409, JO_REFUSED)
    assert_unchanged(db, jo, "Jo Mentor", Role.mentor)


def test_facilitator_with_sessions_to_come_is_refused(
    admin_api: TestClient,
    lead_api: TestClient,
    people: People,
    programme: Programme,
    db: Session,
    today: dt.date,
) -> None:
    to_come = sessions_to_come(lead_api, programme, today)
    assert to_come > 1
    expected = (
        f"Facilitator of Org A still facilitates Monday group ({to_come} sessions to come): "
        "change the cohort's facilitators first."
    )
    for body in ({"active": False}, {"role": "lead"}):
        assert_problem(patch(admin_api, people.facilitator, **body), 409, expected)
    assert_unchanged(db, people.facilitator, "Facilitator of Org A", Role.facilitator)


def test_both_are_named_at_once(
    admin_api: TestClient,
    lead_api: TestClient,
    jo: User,
    programme: Programme,
    db: Session,
    today: dt.date,
) -> None:
    db.add(
        CohortFacilitator(cohort_id=programme.cohort["id"], user_id=jo.id or 0, org_id=jo.org_id)
    )
    db.commit()
    to_come = sessions_to_come(lead_api, programme, today)
    assert_problem(
        patch(admin_api, jo, active=False),
        409,
        "Jo Mentor still has 2 open matches (Amira, Ben) and facilitates Monday group "
        f"({to_come} sessions to come): end the matches and change the cohort's "
        "facilitators first.",
    )


def test_the_name_can_still_change(admin_api: TestClient, jo: User, db: Session) -> None:
    response = patch(admin_api, jo, name="Jo Mentor-Smith", role="mentor", active=True)
    assert response.status_code == 200, response.text
    assert reload(db, jo).name == "Jo Mentor-Smith"
    (event,) = audit_events(db, action="update", entity="user")
    assert event.changes == {"name": ["Jo Mentor", "Jo Mentor-Smith"]}


def test_once_moved_the_change_is_allowed(
    admin_api: TestClient,
    lead_api: TestClient,
    jo: User,
    people: People,
    programme: Programme,
    db: Session,
    clock: Clock,
) -> None:
    for match in lead_api.get("/api/v1/matches").json():
        if match["mentor_id"] == jo.id and match.get("end_date") is None:
            ended = lead_api.post(
                f"/api/v1/matches/{match['id']}/end",
                json={"end_date": clock.today.isoformat(), "reason": "planned"},
            )
            assert ended.status_code == 200, ended.text
    assert patch(admin_api, jo, active=False).status_code == 200
    assert reload(db, jo).active is False

    # The facilitators are taken off the cohort (there is no endpoint for it yet).
    db.exec(
        delete(CohortFacilitator).where(col(CohortFacilitator.user_id) == people.facilitator.id)
    )
    db.commit()
    assert patch(admin_api, people.facilitator, role="lead").status_code == 200


def test_sessions_that_are_over_do_not_hold_anyone(
    signed: Signed,
    lead_api: TestClient,
    people: People,
    programme: Programme,
    clock: Clock,
) -> None:
    last = programme.last_date(lead_api)
    # 23:00 in London on the last session's day: still today there (and in UTC), to come.
    clock.move_to(dt.datetime.combine(last, dt.time(23, 0)))
    assert_problem(patch(signed.api(people.admin), people.facilitator, active=False), 409)
    # 00:30 the next day in London, still the last day in UTC (British Summer Time): over.
    clock.move_to(dt.datetime.combine(last + DAY, dt.time(0, 30)))
    assert clock.now.astimezone(dt.UTC).date() == last
    response = patch(signed.api(people.admin), people.facilitator, active=False)
    assert response.status_code == 200, response.text


def test_users_page_shows_the_refusal_and_changes_nothing(
    signed: Signed, people: People, jo: User, db: Session
) -> None:
    pages = signed.pages(people.admin)
    form = {"name": "Jo Renamed", "role": "mentor", "active": "no"}
    response = post_form(pages, f"/admin/users/{jo.id}", form)
    assert_page(response, 409, "There is a problem", str(escape(JO_REFUSED)))
    assert 'value="Jo Renamed"' in response.text  # what they typed is kept
    assert_unchanged(db, jo, "Jo Mentor", Role.mentor)


@pytest.mark.parametrize("role", ["lead", "facilitator", "mentor"])
def test_only_an_admin_of_the_organisation(
    signed: Signed, people: People, jo: User, db: Session, role: str
) -> None:
    api = signed.api(people.by_role(role))
    assert_problem(patch(api, jo, active=False), 403)
    assert_problem(patch(api, jo, name="Jo"), 403)
    other_admin = signed.api(people.other_admin)
    assert_problem(patch(other_admin, jo, active=False), 404)
    assert_unchanged(db, jo, "Jo Mentor", Role.mentor)
