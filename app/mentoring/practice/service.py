"""The mentor's practice tasks: the tasks a group session set each child, who may see them,
and marking one practised or completed. A visit moves them on too (visits/service.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.cohorts.models import CohortFacilitator, GroupSession
from app.curriculum.models import PracticeTask
from app.exceptions import Forbidden, NotFound
from app.mentoring.models import Match
from app.mentoring.schemas import AssignmentUpdate
from app.sessions.models import AssignmentStatus, PracticeAssignment


def visible_assignments(actor: User) -> Any:
    """Staff: the organisation's; a facilitator: their cohorts' sessions'; a mentor: their
    own, for their active mentees."""
    in_org = col(PracticeAssignment.org_id) == actor.org_id
    if actor.role in (Role.lead, Role.admin):
        return in_org
    if actor.role == Role.facilitator:
        mine = (
            select(GroupSession.id)
            .join(
                CohortFacilitator,
                col(CohortFacilitator.cohort_id) == col(GroupSession.cohort_id),
            )
            .where(CohortFacilitator.user_id == actor.id)
        )
        return in_org & col(PracticeAssignment.session_id).in_(mine)
    mentees = select(Match.child_id).where(
        Match.mentor_id == actor.id, col(Match.end_date).is_(None)
    )
    return (
        in_org
        & (col(PracticeAssignment.mentor_id) == actor.id)
        & col(PracticeAssignment.child_id).in_(mentees)
    )


def assignments_query(actor: User) -> Any:
    """Assignments with their task and session (one query for any number)."""
    return (
        sa_select(
            PracticeAssignment,
            col(PracticeTask.key),
            col(PracticeTask.title),
            col(PracticeTask.description),
            col(GroupSession.week),
            col(GroupSession.date),
        )
        .join(PracticeTask, col(PracticeTask.id) == col(PracticeAssignment.task_id))
        .join(GroupSession, col(GroupSession.id) == col(PracticeAssignment.session_id))
        .where(visible_assignments(actor))
        .order_by(col(GroupSession.date).desc(), col(PracticeTask.position))
    )


def list_assignments(
    db: Session,
    *,
    actor: User,
    status: AssignmentStatus | None = None,
    child_id: int | None = None,
    assignment_id: int | None = None,
    limit: int = 500,
) -> list[Any]:
    stmt = assignments_query(actor)
    if status is not None:
        stmt = stmt.where(col(PracticeAssignment.status) == status)
    if child_id is not None:
        stmt = stmt.where(col(PracticeAssignment.child_id) == child_id)
    if assignment_id is not None:
        stmt = stmt.where(col(PracticeAssignment.id) == assignment_id)
    return list(db.execute(stmt.limit(limit)).all())


def update_assignment(
    db: Session, *, actor: User, assignment_id: int, data: AssignmentUpdate
) -> PracticeAssignment:
    if actor.role not in (Role.lead, Role.admin, Role.mentor):
        raise Forbidden("Only the child's mentor or a programme lead can update practice.")
    assignment = db.exec(
        select(PracticeAssignment).where(
            PracticeAssignment.id == assignment_id, visible_assignments(actor)
        )
    ).first()
    if assignment is None:
        raise NotFound(f"There is no practice task {assignment_id}.")
    changes: dict[str, Any] = {"status": data.status}
    if data.note is not None:
        changes["note"] = data.note or None
    audit.update(
        db,
        assignment,
        changes,
        actor=actor,
        entity="practice_assignment",
        entity_id=assignment.id,
    )
    return assignment
