"""Property: however sessions are cancelled or closed, a cohort keeps exactly its 30
lessons, in order, at most one a week, never on a closed day, and every cancelled
occurrence stays on record."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from app.cohorts import rescheduling, service, shared
from app.cohorts.models import GroupSession, SessionStatus
from app.cohorts.schemas import ClosureCreate, CohortCreate
from tests.support.clock import Clock
from tests.support.people import People

actions = st.lists(
    st.one_of(
        st.tuples(st.just("cancel"), st.integers(1, 30)),
        st.tuples(st.just("close"), st.integers(0, 300), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.awkward_days
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=actions)
def test_lessons_survive_any_cancellations_and_closures(
    db: Session,
    people: People,
    curriculum_id: int,
    clock: Clock,
    steps: list[tuple[Any, ...]],
) -> None:
    # Four weeks before today's week, so the plan and its closures run across the awkward
    # days (Christmas, bank holidays, 29 February, the clock change).
    first = clock.today - dt.timedelta(days=clock.today.weekday(), weeks=4)
    second = db.exec(
        select(type(people.facilitator)).where(
            type(people.facilitator).email == "f2@org-a.example.org"
        )
    ).first()
    if second is None:
        second = people.add(people.facilitator.role, email="f2@org-a.example.org")
    nested = db.begin_nested()
    try:
        cohort = service.create_cohort(
            db,
            actor=people.lead,
            data=CohortCreate(
                name="Property group",
                curriculum_id=curriculum_id,
                start_date=first,
                start_time=dt.time(16),
                venue="Hall",
                facilitator_ids=[people.facilitator.id or 0, second.id or 0],
            ),
        )
        cancelled_ids: set[int] = set()
        for step in steps:
            live = service.sessions_of(db, actor=people.lead, cohort_id=cohort.id or 0)
            if step[0] == "cancel":
                target = next(
                    (s for s in live if s.week == step[1] and s.status == SessionStatus.scheduled),
                    None,
                )
                if target is not None:
                    rescheduling.cancel_session(
                        db,
                        actor=people.lead,
                        session_id=target.id or 0,
                        version=target.version,
                        reason="x",
                    )
                    cancelled_ids.add(target.id or 0)
            else:
                start = first + dt.timedelta(days=step[1])
                rescheduling.create_closure(
                    db,
                    actor=people.lead,
                    data=ClosureCreate(
                        date=start,
                        end_date=start + dt.timedelta(days=step[2]),
                        reason="closed",
                        cohort_id=cohort.id,
                    ),
                )
        db.expire_all()
        rows = list(db.exec(select(GroupSession).where(GroupSession.cohort_id == cohort.id)).all())
        live_rows = sorted(
            (r for r in rows if r.status != SessionStatus.cancelled), key=lambda r: r.week
        )
        assert [r.week for r in live_rows] == list(range(1, 31))
        dates = [r.date for r in live_rows]
        assert dates == sorted(dates)
        assert all(b - a >= dt.timedelta(days=7) for a, b in pairwise(dates))
        closed = service.closed_days(
            db, org=shared.organisation(db, people.lead.org_id), cohort_id=cohort.id
        )
        assert not any(d in closed for d in dates)
        on_record = {r.id for r in rows if r.status == SessionStatus.cancelled}
        assert cancelled_ids <= on_record
    finally:
        nested.rollback()
