"""The dashboard, its exports and every drill-down page run the same number of SQL
statements for an organisation of 10 cohorts and one of 100 (`tandem seed-scale` data on
a database of its own). `make bench` does the same at 1,000 cohorts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.auth.deps import SESSION_COOKIE
from app.auth.models import User
from app.cohorts.models import Cohort, Enrolment
from app.db import create_db_engine, get_db
from app.demo.scale import seed_scale
from app.main import create_app
from app.mentoring.models import Match
from tests.support.databases import DatabaseFactory

AS_OF = dt.date(2026, 11, 26)


@dataclass
class Organisation:
    client: TestClient
    cohort_id: int
    child_id: int
    mentor_id: int


@dataclass
class Scale:
    engine: Engine
    small: Organisation
    large: Organisation


def _signed_in(engine: Engine, app: Any, lead_email: str) -> Organisation:
    with Session(engine) as db:
        lead = db.execute(select(User).where(col(User.email) == lead_email)).scalars().one()
        raw, _ = auth_service.start_session(db, user=lead)
        first = db.execute(
            select(col(Cohort.id), col(Enrolment.child_id))
            .join(Enrolment, col(Enrolment.cohort_id) == col(Cohort.id))
            .where(col(Cohort.org_id) == lead.org_id)
            .order_by(col(Cohort.start_date), col(Enrolment.child_id))
        ).first()
        assert first is not None
        cohort_id, child_id = first
        mentor_id = (
            db.execute(select(col(Match.mentor_id)).where(col(Match.org_id) == lead.org_id))
            .scalars()
            .first()
        )
        db.commit()
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, raw)
    assert mentor_id is not None
    return Organisation(client, cohort_id, child_id, mentor_id)


@pytest.fixture(scope="module")
def scale(databases: DatabaseFactory) -> Iterator[Scale]:
    engine = create_db_engine(databases.migrated("fidelity_scale"))
    small = seed_scale(engine, cohorts=10, seed=3, as_of=AS_OF, password="scale password 1")
    large = seed_scale(engine, cohorts=100, seed=4, as_of=AS_OF, password="scale password 1")
    app = create_app()

    def _db() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as db:
            yield db
            db.commit()

    app.dependency_overrides[get_db] = _db
    yield Scale(
        engine,
        _signed_in(engine, app, small.lead_emails[0]),
        _signed_in(engine, app, large.lead_emails[0]),
    )
    engine.dispose()


def _statements(scale: Scale, org: Organisation, path: str) -> int:
    count = 0

    def before(*_: Any) -> None:
        nonlocal count
        count += 1

    event.listen(scale.engine, "before_cursor_execute", before)
    try:
        response = org.client.get(path.format(**vars(org)) + f"?as_of={AS_OF}")
    finally:
        event.remove(scale.engine, "before_cursor_execute", before)
    assert response.status_code == 200, response.text[:500]
    return count


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/fidelity",
        "/api/v1/fidelity.csv",
        "/api/v1/fidelity.xlsx",
        "/fidelity",
        "/fidelity/report",
        "/fidelity/cohorts/{cohort_id}",
        "/fidelity/children/{child_id}",
        "/fidelity/mentors/{mentor_id}",
    ],
)
def test_the_same_statements_for_10_or_100_cohorts(scale: Scale, path: str) -> None:
    _statements(scale, scale.small, path)  # warm what a first request caches (the flag count)
    _statements(scale, scale.large, path)
    small = _statements(scale, scale.small, path)
    large = _statements(scale, scale.large, path)
    assert small == large, (path, small, large)
