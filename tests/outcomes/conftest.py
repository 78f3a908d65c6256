"""Two small measures written here (the real ones under outcomes/ are loaded elsewhere): one
entered as scores (two subscales and a derived total, two informants) and one entered item by
item (three items, 0 to 4, a percentage), and a programme whose dates the windows read:
a Monday group from 4 January 2027, ten weeks to 8 March, with one child enrolled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session

from app.outcomes.models import Measure
from app.outcomes.schemas import MeasureFile
from tests.outcomes.report_support import only_test_measures
from tests.support.builder import Builder
from tests.support.people import People

NORMS = {"sd": 4.0, "reliability": 0.8, "source": {"citation": "A test source, 2020"}}

SCORES_MEASURE: dict[str, Any] = {
    "key": "kids_scores",
    "version": 1,
    "name": "Kids scores",
    "licence": {"name": "Test", "item_text_allowed": False},
    "informants": {"carer": "Carer", "self": "Child (self-report)"},
    "entry": "scores",
    "scales": [
        {
            "key": "worry",
            "name": "Worry",
            "min": 0,
            "max": 10,
            "higher_is": "worse",
            "norms": {"carer": NORMS, "self": NORMS},
        },
        {
            "key": "mood",
            "name": "Mood",
            "min": 0,
            "max": 10,
            "higher_is": "worse",
            "norms": {"carer": NORMS, "self": NORMS},
        },
        {
            "key": "total",
            "name": "Total difficulties",
            "min": 0,
            "max": 20,
            "higher_is": "worse",
            "derived": "sum_of_scales",
            "from_scales": ["worry", "mood"],
            "norms": {"carer": NORMS, "self": NORMS},
        },
    ],
}

ITEMS_MEASURE: dict[str, Any] = {
    "key": "feel_good",
    "version": 1,
    "name": "Feel good",
    "licence": {"name": "Open", "item_text_allowed": True},
    "informants": {"self": "Child (self-report)"},
    "entry": "items",
    "items": [
        {"key": "cheerful", "text": "I have felt cheerful"},
        {"key": "calm", "text": "I have felt calm"},
        {"key": "active", "text": "I have felt active"},
    ],
    "item_scale": {"min": 0, "max": 4, "labels": {0: "Never", 4: "All of the time"}},
    "scales": [
        {
            "key": "percent",
            "name": "Wellbeing",
            "min": 0,
            "max": 100,
            "higher_is": "better",
            "derived": "sum_of_items",
            "multiplier": 100 / 12,
            "norms": {"self": NORMS},
        },
    ],
    "timepoints": ["baseline", "end"],
}


def add_measure(db: Session, data: dict[str, Any]) -> MeasureFile:
    only_test_measures(db)
    definition = MeasureFile.model_validate(data)
    db.add(
        Measure(
            key=definition.key,
            version=definition.version,
            name=definition.name,
            content_hash="0" * 64,
            definition=definition.model_dump(mode="json"),
            loaded_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        )
    )
    db.flush()
    return definition


@pytest.fixture
def measures(db: Session) -> tuple[MeasureFile, MeasureFile]:
    return add_measure(db, SCORES_MEASURE), add_measure(db, ITEMS_MEASURE)


FIRST = dt.date(2027, 1, 4)  # a Monday
WEEKS = 10
LAST = FIRST + dt.timedelta(weeks=WEEKS - 1)  # 8 March 2027


@dataclass
class Programme:
    build: Builder
    cohort_id: int
    child_id: int
    session_ids: list[int]


@pytest.fixture
def build(db: Session, people: People, curriculum_id: int) -> Builder:
    return Builder(db, people, curriculum_id)


@pytest.fixture
def programme(db: Session, people: People, build: Builder, measures: Any) -> Programme:
    cohort = build.cohort(FIRST, facilitators=[people.facilitator.id])
    sessions = [
        build.session(cohort, week + 1, FIRST + dt.timedelta(weeks=week)) for week in range(WEEKS)
    ]
    child = build.child("Ada")
    build.enrol(child, cohort, dt.date(2027, 1, 1))
    db.commit()
    return Programme(build, cohort, child, sessions)
