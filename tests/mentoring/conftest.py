"""Mentoring's own fixtures: the evening, and a mentor's caseload of programme children. The
fixtures other directories share too (today, make_mentor, programme, mentees) are in
tests/support/fixtures.py, the classes and helpers in tests/support/mentoring.py."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.support.clock import LONDON, Clock
from tests.support.mentoring import (
    Caseload,
    MakeMentor,
    Programme,
    make_match,
    mentor_user,
)
from tests.support.people import Signed


@pytest.fixture
def evening(clock: Clock) -> None:
    """Late on the test's day (23:45 in London): a visit logged today as completed or missed
    has ended by then, as it must have before it can be logged."""
    clock.move_to(dt.datetime.combine(clock.today, dt.time(23, 45), tzinfo=LONDON))


@pytest.fixture
def caseload(
    lead_api: TestClient,
    signed: Signed,
    db: Session,
    programme: Programme,
    make_mentor: MakeMentor,
) -> Caseload:
    mentor = make_mentor(name="Jo Mentor")
    other = make_mentor(name="Sam Mentor")
    matches = [
        make_match(lead_api, child["id"], mentor["user_id"], programme.start)
        for child in programme.children[:2]
    ]
    other_match = make_match(
        lead_api, programme.children[2]["id"], other["user_id"], programme.start
    )
    return Caseload(
        mentor,
        signed.api(mentor_user(db, mentor)),
        matches,
        other,
        signed.api(mentor_user(db, other)),
        other_match,
    )
