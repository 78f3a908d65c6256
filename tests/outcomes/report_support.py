"""Rows for the outcomes-report tests, inserted straight: a measure defined here (not the
files under outcomes/, which another part of issue 17 loads), children, enrolments, lessons
and assessments for organisation A."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col

from app.outcomes.models import Assessment, Measure, Timepoint
from app.outcomes.schemas import MeasureFile
from tests.support.builder import Builder

NOW = dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)

# A made-up measure: one scale where higher is worse (with norms and a high band for the
# carer) and one where higher is better (norms for the carer only).
DEFINITION: dict[str, Any] = {
    "key": "test_measure",
    "version": 1,
    "name": "Test Measure",
    "licence": {"name": "Test", "item_text_allowed": False},
    "informants": {"carer": "Carer", "child": "Child"},
    "entry": "scores",
    "scales": [
        {
            "key": "difficulties",
            "name": "Difficulties",
            "min": 0,
            "max": 40,
            "higher_is": "worse",
            "norms": {
                "carer": {
                    "sd": 5.0,
                    "reliability": 0.8,
                    "source": {"citation": "A made-up source for tests, 2027"},
                    "bands": [
                        {"name": "Average", "min": 0, "max": 16},
                        {"name": "High", "min": 17, "max": 40, "high": True},
                    ],
                },
                "child": {
                    "sd": 5.0,
                    "reliability": 0.8,
                    "source": {"citation": "A made-up source for tests, 2027"},
                },
            },
        },
        {
            "key": "wellbeing",
            "name": "Wellbeing",
            "min": 0,
            "max": 100,
            "higher_is": "better",
            "norms": {
                "carer": {
                    "sd": 10.0,
                    "reliability": 0.9,
                    "source": {"citation": "A made-up source for tests, 2027"},
                }
            },
        },
    ],
}
MEASURE = MeasureFile.model_validate(DEFINITION)
# SE of difference: difficulties 5 x sqrt(2) x sqrt(0.2) = 3.162 (reliable beyond 6.20);
# wellbeing 10 x sqrt(2) x sqrt(0.1) = 4.472 (reliable beyond 8.77).


def only_test_measures(db: Session) -> None:
    """The suite's database holds the real measures (outcomes/, loaded by
    tests/support/databases.py): a test written around its own measure sees only its own
    (the test's transaction is rolled back, so the real ones come back after it)."""
    db.execute(delete(Measure).where(col(Measure.key).in_(("sdq", "who5"))))


def add_measure(db: Session, definition: dict[str, Any] | None = None) -> None:
    data = definition or DEFINITION
    only_test_measures(db)
    db.execute(
        insert(Measure).values(
            key=data["key"],
            version=data["version"],
            name=data["name"],
            content_hash="0" * 64,
            definition=data,
            loaded_at=NOW,
        )
    )


def assess(
    db: Session,
    org_id: int,
    child_id: int,
    timepoint: Timepoint,
    scores: dict[str, float],
    *,
    informant: str = "carer",
    completed_on: dt.date = dt.date(2027, 1, 10),
    measure: str = "test_measure",
) -> None:
    db.execute(
        insert(Assessment).values(
            org_id=org_id,
            child_id=child_id,
            measure_key=measure,
            measure_version=1,
            informant=informant,
            timepoint=timepoint,
            completed_on=completed_on,
            scores=scores,
            items={},
            created_at=NOW,
            updated_at=NOW,
            version=1,
        )
    )


def paired(
    build: Builder,
    pairs: list[tuple[float, float]],
    *,
    cohort_id: int | None = None,
    scale: str = "difficulties",
    informant: str = "carer",
) -> list[int]:
    """A child per (baseline, end) pair, enrolled in `cohort_id` if given."""
    children = []
    for before, after in pairs:
        child = build.child()
        if cohort_id is not None:
            build.enrol(child, cohort_id, dt.date(2026, 9, 1))
        other = "wellbeing" if scale == "difficulties" else "difficulties"
        assess(
            build.db,
            build.org_id,
            child,
            Timepoint.baseline,
            {scale: before, other: 10},
            informant=informant,
        )
        assess(
            build.db,
            build.org_id,
            child,
            Timepoint.end,
            {scale: after, other: 10},
            informant=informant,
        )
        children.append(child)
    return children
