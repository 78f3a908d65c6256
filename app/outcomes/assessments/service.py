"""Entering and correcting assessments: who may, which dates and scores are accepted."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.auth.service import STAFF_ROLES
from app.children import service as children
from app.children.models import Child
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.outcomes import scoring
from app.outcomes import service as measures
from app.outcomes.assessments.schemas import AssessmentCreate, AssessmentPublic, AssessmentUpdate
from app.outcomes.assessments.windows import TIMEPOINT_NAMES, Window, day_words, windows_of
from app.outcomes.models import Assessment, Timepoint
from app.outcomes.schemas import MeasureFile

ENTERERS = (*STAFF_ROLES, Role.facilitator)
ASSESSMENTS: Table = Assessment.__table__  # type: ignore[attr-defined]


def _problem(field: str, message: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": message, "type": "value_error"}


def require_enterer(actor: User) -> None:
    """Leads, admins and facilitators (for their cohorts' children) record assessments."""
    if actor.role not in ENTERERS:
        raise Forbidden("Only a programme lead or the child's facilitator can do this.")


def child_for(db: Session, *, actor: User, child_id: int) -> Child:
    """The child, if this person may record their assessments (403, then 404)."""
    require_enterer(actor)
    return children.get_child(db, actor=actor, child_id=child_id)


def organisation(db: Session, actor: User) -> Organisation:
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    return org


def windows_for(db: Session, *, actor: User, child: Child) -> dict[Timepoint, Window]:
    found = windows_of(db, org=organisation(db, actor), child_ids=[child.id or 0])
    return found.get(child.id or 0, {})


def public(row: Assessment) -> AssessmentPublic:
    return AssessmentPublic(
        id=row.id or 0,
        child_id=row.child_id,
        measure=row.measure_key,
        measure_version=row.measure_version,
        informant=row.informant,
        timepoint=row.timepoint,
        completed_on=row.completed_on,
        scores=dict(row.scores),
        items=dict(row.items),
        version=row.version,
    )


def _measure(db: Session, key: str) -> tuple[int, MeasureFile]:
    try:
        row, definition = measures.get_measure(db, key)
    except NotFound:
        raise Invalid(
            f"There is no measure {key!r}.", [_problem("measure", f"There is no measure {key!r}")]
        ) from None
    return row.version, definition


def _check_date(
    definition: MeasureFile,
    timepoint: Timepoint,
    completed_on: dt.date,
    windows: dict[Timepoint, Window],
    today: dt.date,
) -> list[dict[str, Any]]:
    name = TIMEPOINT_NAMES[timepoint]
    if timepoint not in definition.timepoints:
        return [_problem("timepoint", f"{definition.name} is not taken at {name.lower()}")]
    if completed_on > today:
        return [_problem("completed_on", "The date it was completed must be today or earlier")]
    window = windows.get(timepoint)
    if window is None:
        return [
            _problem(
                "completed_on",
                "The child has no sessions yet, so no assessment window is open",
            )
        ]
    if not window.holds(completed_on):
        return [
            _problem(
                "completed_on",
                f"{name} assessments for this child are taken {window.words()}: "
                f"{day_words(completed_on)} is outside that",
            )
        ]
    return []


def _scored(
    definition: MeasureFile,
    informant: str,
    scores: dict[str, float],
    items: dict[str, int],
    date_problems: list[dict[str, Any]],
) -> dict[str, float]:
    try:
        out = scoring.score(definition, informant, scores=scores, items=items)
    except Invalid as exc:
        problems = date_problems + exc.errors
        raise Invalid("; ".join(p["msg"] for p in problems), problems) from None
    if date_problems:
        raise Invalid("; ".join(p["msg"] for p in date_problems), date_problems)
    return out


def create_assessment(
    db: Session, *, actor: User, child_id: int, data: AssessmentCreate, today: dt.date
) -> Assessment:
    child = child_for(db, actor=actor, child_id=child_id)
    children.refuse_if_anonymised(child)
    version, definition = _measure(db, data.measure)
    windows = windows_for(db, actor=actor, child=child)
    date_problems = _check_date(definition, data.timepoint, data.completed_on, windows, today)
    scores = _scored(definition, data.informant, data.scores, data.items, date_problems)
    duplicate = Conflict(
        f"{child.first_name} already has a {TIMEPOINT_NAMES[data.timepoint].lower()} "
        f"{definition.name} from this informant: correct that one instead."
    )
    exists = db.exec(
        select(Assessment.id).where(
            Assessment.org_id == actor.org_id,
            Assessment.child_id == child_id,
            Assessment.measure_key == data.measure,
            Assessment.informant == data.informant,
            Assessment.timepoint == data.timepoint,
        )
    ).first()
    if exists is not None:
        raise duplicate
    stamp = datetime.now(UTC)
    row = Assessment(
        org_id=actor.org_id,
        child_id=child_id,
        measure_key=data.measure,
        measure_version=version,
        informant=data.informant,
        timepoint=data.timepoint,
        completed_on=data.completed_on,
        scores=scores,
        items=dict(data.items) if definition.entry == "items" else {},
        created_by=actor.id,
        created_at=stamp,
        updated_at=stamp,
    )
    db.add(row)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # another request stored the same one a moment ago
        raise duplicate from None
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="assessment",
        entity_id=row.id,
        changes=audit.changes_between({}, public(row).model_dump(mode="json", exclude={"id"})),
    )
    return row


def list_assessments(db: Session, *, actor: User, child_id: int) -> list[Assessment]:
    child_for(db, actor=actor, child_id=child_id)
    return list(
        db.exec(
            select(Assessment)
            .where(Assessment.org_id == actor.org_id, Assessment.child_id == child_id)
            .order_by(col(Assessment.completed_on), col(Assessment.id))
        ).all()
    )


def get_assessment(db: Session, *, actor: User, assessment_id: int) -> Assessment:
    require_enterer(actor)
    row = db.exec(
        select(Assessment)
        .join(Child, col(Child.id) == col(Assessment.child_id))
        .where(Assessment.id == assessment_id, children.visible(actor))
    ).first()
    if row is None:
        raise NotFound(f"There is no assessment {assessment_id}.")
    return row


def stale(current_version: int) -> Conflict:
    return Conflict(
        "Someone else corrected this assessment since you opened it: "
        "read it again and make your correction there.",
        current_version=current_version,
    )


def correct_assessment(
    db: Session, *, actor: User, assessment_id: int, data: AssessmentUpdate, today: dt.date
) -> Assessment:
    row = get_assessment(db, actor=actor, assessment_id=assessment_id)
    if data.version != row.version:
        raise stale(row.version)
    measure_row, definition = measures.get_measure(db, row.measure_key)
    child = children.get_child(db, actor=actor, child_id=row.child_id)
    children.refuse_if_anonymised(child)
    completed_on = data.completed_on or row.completed_on
    windows = windows_for(db, actor=actor, child=child)
    date_problems = (
        _check_date(definition, row.timepoint, completed_on, windows, today)
        if data.completed_on is not None
        else []
    )
    if definition.entry == "items":
        items = dict(data.items) if data.items is not None else dict(row.items)
        entered: dict[str, float] = {}
    else:
        items = {}
        entered = (
            dict(data.scores)
            if data.scores is not None
            else {s.key: row.scores[s.key] for s in definition.scales if s.derived == "entered"}
        )
    scores = _scored(definition, row.informant, entered, items, date_problems)
    changes: dict[str, Any] = {
        "completed_on": completed_on,
        "scores": scores,
        "items": items,
        "measure_version": measure_row.version,
    }
    diff = audit.changes_between({key: getattr(row, key) for key in changes}, changes)
    if not diff:
        return row
    # Optimistic lock: applied only if nobody else's correction came first. Two tabs that
    # read the same version both pass the check above; on PostgreSQL the second UPDATE waits
    # for the first to commit, then finds the version moved on and changes nothing (409).
    claimed = db.execute(
        update(ASSESSMENTS)
        .where(ASSESSMENTS.c.id == row.id, ASSESSMENTS.c.version == data.version)
        .values(version=data.version + 1, updated_at=datetime.now(UTC), **changes)
    )
    db.refresh(row)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise stale(row.version)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="update",
        entity="assessment",
        entity_id=row.id,
        changes=diff,
    )
    return row
