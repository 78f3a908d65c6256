"""Rows for the life-event and evaluators' file tests, inserted directly (many children, no
cohort capacity in the way): an enrolled child, an event, an assessment."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

from sqlmodel import Session

from app.children.models import Child, PlacementType
from app.cohorts.models import Enrolment
from app.outcomes.models import Assessment, EventKind, LifeEvent, Timepoint


def enrolled_child(
    db: Session,
    *,
    org_id: int,
    cohort_id: int,
    start: dt.date,
    reference: str,
    first_name: str = "Sam",
    born: dt.date = dt.date(2016, 3, 1),
    placement: PlacementType = PlacementType.foster,
) -> int:
    now = datetime.now(UTC)
    child = Child(
        org_id=org_id,
        reference=reference,
        first_name=first_name,
        date_of_birth=born,
        placement_type=placement,
        consent_given_by="Social worker",
        consent_given_on=dt.date(2026, 9, 1),
        created_at=now,
        updated_at=now,
    )
    db.add(child)
    db.flush()
    assert child.id is not None
    db.add(
        Enrolment(
            org_id=org_id, child_id=child.id, cohort_id=cohort_id, start_date=start, created_at=now
        )
    )
    db.flush()
    return child.id


def event(db: Session, *, org_id: int, child_id: int, kind: EventKind, day: dt.date) -> None:
    db.add(
        LifeEvent(
            org_id=org_id, child_id=child_id, kind=kind, date=day, created_at=datetime.now(UTC)
        )
    )
    db.flush()


def assessment(
    db: Session,
    *,
    org_id: int,
    child_id: int,
    measure: str,
    informant: str,
    timepoint: Timepoint,
    on: dt.date,
    scores: dict[str, float],
) -> None:
    now = datetime.now(UTC)
    db.add(
        Assessment(
            org_id=org_id,
            child_id=child_id,
            measure_key=measure,
            measure_version=1,
            informant=informant,
            timepoint=timepoint,
            completed_on=on,
            scores=scores,
            created_at=now,
            updated_at=now,
        )
    )
    db.flush()
