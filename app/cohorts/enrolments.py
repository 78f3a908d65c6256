"""Enrolments: a child joining a cohort and leaving it, the cohort's roster, who is
expected at a session, and which children a facilitator may see (through their cohorts).

Every function that acts takes the acting user and enforces tenancy and role itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import service as audit
from app.auth.models import User
from app.auth.service import require_staff
from app.children import service as children
from app.children.models import Child
from app.children.service import age_on
from app.cohorts.models import (
    Cohort,
    CohortFacilitator,
    Enrolment,
    EnrolmentStatus,
    enrolled_on,
)
from app.cohorts.schemas import EnrolmentCreate
from app.cohorts.shared import invalid
from app.curriculum.models import Curriculum
from app.exceptions import Conflict, NotFound


def enrol(
    db: Session, *, actor: User, cohort_id: int, data: EnrolmentCreate, today: dt.date
) -> Enrolment:
    require_staff(actor)
    cohort = db.exec(
        select(Cohort)
        .where(Cohort.id == cohort_id, Cohort.org_id == actor.org_id)
        .with_for_update()
    ).first()
    if cohort is None:
        raise NotFound(f"There is no cohort {cohort_id}.")
    if cohort.archived_at is not None:
        raise Conflict(f"{cohort.name} is archived: enrol the child in a cohort that runs.")
    child = db.exec(
        select(Child).where(Child.id == data.child_id, Child.org_id == actor.org_id)
    ).first()
    if child is None:
        raise invalid("child_id", f"There is no child {data.child_id}")
    curriculum = db.get(Curriculum, cohort.curriculum_id)
    programme = curriculum.programme if curriculum else {}
    low, high = int(programme.get("age_min", 9)), int(programme.get("age_max", 11))
    if child.date_of_birth is None:
        raise invalid(
            "child_id", f"{child.reference}'s record is anonymised: it cannot be enrolled"
        )
    age = age_on(child.date_of_birth, cohort.start_date)
    if not low <= age <= high and not data.eligibility_override:
        raise invalid(
            "eligibility_override",
            f"{child.first_name} is {age} on the cohort's first date; the programme is for "
            f"ages {low} to {high}. Give a reason to enrol them anyway.",
        )
    start = data.start_date or max(cohort.start_date, today)
    if start < cohort.start_date:
        raise invalid("start_date", "The enrolment cannot start before the cohort's first date")
    cap = int(programme.get("cohort_max", 10))
    active = db.exec(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.active)
    ).one()
    if active >= cap:
        raise Conflict(f"{cohort.name} already has {cap} active children, the most it can have.")
    elsewhere = db.exec(
        select(Cohort.name)
        .join(Enrolment, col(Enrolment.cohort_id) == col(Cohort.id))
        .where(Enrolment.child_id == child.id, Enrolment.status == EnrolmentStatus.active)
    ).first()
    if elsewhere:
        raise Conflict(f"{child.first_name} is already enrolled in {elsewhere}.")
    enrolment = Enrolment(
        org_id=actor.org_id,
        child_id=child.id or 0,
        cohort_id=cohort_id,
        start_date=start,
        eligibility_override=data.eligibility_override if not low <= age <= high else None,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(enrolment)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # the same child enrolled at the same moment elsewhere
        raise Conflict(f"{child.first_name} is already enrolled in another cohort.") from None
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="enrol",
        entity="enrolment",
        entity_id=enrolment.id,
        changes={
            "child_id": [None, child.id],
            "cohort_id": [None, cohort_id],
            "start_date": [None, start.isoformat()],
            **(
                {"eligibility_override": [None, enrolment.eligibility_override]}
                if enrolment.eligibility_override
                else {}
            ),
        },
    )
    return enrolment


def get_enrolment(db: Session, *, actor: User, enrolment_id: int) -> tuple[Enrolment, Child]:
    """An enrolment of the organisation's, with its child."""
    row = db.exec(
        select(Enrolment, Child)
        .join(Child, col(Child.id) == col(Enrolment.child_id))
        .where(Enrolment.id == enrolment_id, Enrolment.org_id == actor.org_id)
    ).first()
    if row is None:
        raise NotFound(f"There is no enrolment {enrolment_id}.")
    return row[0], row[1]


def withdraw(
    db: Session, *, actor: User, enrolment_id: int, date: dt.date, reason: str
) -> Enrolment:
    require_staff(actor)
    enrolment = db.exec(
        select(Enrolment).where(Enrolment.id == enrolment_id, Enrolment.org_id == actor.org_id)
    ).first()
    if enrolment is None:
        raise NotFound(f"There is no enrolment {enrolment_id}.")
    if enrolment.status != EnrolmentStatus.active:
        raise Conflict("This child has already been withdrawn.")
    if date < enrolment.start_date:
        raise invalid("date", "The withdrawal date cannot be before the enrolment started")
    enrolment.status = EnrolmentStatus.withdrawn
    enrolment.end_date = date
    enrolment.withdraw_reason = reason
    db.add(enrolment)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="withdraw",
        entity="enrolment",
        entity_id=enrolment.id,
        changes={
            "status": ["active", "withdrawn"],
            "end_date": [None, date.isoformat()],
            "reason": [None, reason],
        },
    )
    return enrolment


def roster(db: Session, *, cohort_id: int, org_id: int) -> list[tuple[Enrolment, Child]]:
    return list(
        db.exec(
            select(Enrolment, Child)
            .join(Child, col(Child.id) == col(Enrolment.child_id))
            .where(Enrolment.cohort_id == cohort_id, Enrolment.org_id == org_id)
            .order_by(col(Enrolment.status), col(Child.first_name))
        ).all()
    )


def expected_children(sessions_date: dt.date) -> Any:
    """Enrolments whose child is expected at a session on this date (or a session's date
    column)."""
    return enrolled_on(sessions_date)


def active_enrolments_of(db: Session, *, actor: User, child_id: int) -> list[tuple[Enrolment, str]]:
    """A child's active enrolments with their cohort's name, earliest first (for the
    child's page; the caller has already checked the actor may see the child)."""
    rows = db.exec(
        select(Enrolment, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(
            Enrolment.child_id == child_id,
            Enrolment.org_id == actor.org_id,
            Enrolment.status == EnrolmentStatus.active,
        )
        .order_by(col(Enrolment.start_date))
    ).all()
    return [(enrolment, name) for enrolment, name in rows]


@children.SEEN_BY_FACILITATOR.set
def _facilitators_children(actor: User) -> SelectOfScalar[int]:
    """The children a facilitator may see: those enrolled in their cohorts (any time)."""
    return (
        select(Enrolment.child_id)
        .join(CohortFacilitator, col(CohortFacilitator.cohort_id) == col(Enrolment.cohort_id))
        .where(CohortFacilitator.user_id == actor.id, Enrolment.org_id == actor.org_id)
    )
