"""Seed-scale outcomes (app/demo/scale/outcomes.py): with a measure loaded, the children get
valid assessments only at timepoints already past and only after their baseline, and life
events; the same seed gives the same rows; and the report over them runs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from app.auth.models import User
from app.curriculum.service import load_path
from app.db import create_db_engine
from app.demo.scale import seed_scale
from app.outcomes import scoring
from app.outcomes.report import service
from tests.outcomes.report_support import MEASURE, add_measure
from tests.support.databases import CURRICULUM, DatabaseFactory

AS_OF = dt.date(2026, 11, 26)
PASSWORD = "scale test password"


@pytest.fixture(scope="module")
def engine(databases: DatabaseFactory) -> Iterator[Engine]:
    engine = create_db_engine(databases.migrated("seed_scale_outcomes"))
    with Session(engine) as db:
        load_path(db, CURRICULUM)
        add_measure(db)
        db.commit()
    yield engine
    engine.dispose()


@pytest.mark.slow
def test_seeded_assessments_and_events(engine: Engine) -> None:
    first = seed_scale(engine, cohorts=4, seed=3, as_of=AS_OF, password=PASSWORD)
    second = seed_scale(engine, cohorts=4, seed=3, as_of=AS_OF, password=PASSWORD)
    assert first.counts["assessment"] > 0
    assert first.counts["life_event"] > 0
    assert second.counts == first.counts
    org_id = first.organisations[0][0]
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                text(
                    "SELECT child_id, informant, timepoint, completed_on, scores FROM assessment"
                    " WHERE org_id = :o"
                ),
                {"o": org_id},
            )
        )
    assert len(rows) == first.counts["assessment"]
    for _child, informant, _timepoint, completed_on, scores in rows:
        day = dt.date.fromisoformat(completed_on) if isinstance(completed_on, str) else completed_on
        assert day <= AS_OF
        values = scores if isinstance(scores, dict) else json.loads(scores)
        assert scoring.score(MEASURE, informant, scores=values) == values  # valid, in range
    with Session(engine) as db:
        lead = db.scalars(select(User).where(col(User.email) == first.lead_emails[0])).one()
        report = service.outcomes(db, actor=lead, as_of=AS_OF)
    assert report.measures
