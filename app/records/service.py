"""Everything held on one child, for a subject access request (UK GDPR, article 15).

Records come after every other domain: it reads the rows each of them holds about a child,
so that none of them has to know about the others."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth.models import User
from app.auth.service import require_staff
from app.children import service as children
from app.children.schemas import ChildPublic
from app.cohorts.models import Cohort, Enrolment
from app.mentoring.models import CheckIn, Match, MentorVisit, VisitAssignment
from app.sessions.models import PracticeAssignment


def export_child(db: Session, *, actor: User, child_id: int) -> dict[str, Any]:
    """Everything held on one child (a subject access request), in one document."""
    audit.looked(db, actor=actor, child_id=child_id, what="export")
    require_staff(actor)
    child = children.get_child(db, actor=actor, child_id=child_id)
    enrolments = db.exec(
        select(Enrolment, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(Enrolment.child_id == child_id, Enrolment.org_id == actor.org_id)
        .order_by(col(Enrolment.start_date))
    ).all()
    events = db.exec(
        select(AuditEvent)
        .where(
            AuditEvent.org_id == actor.org_id,
            AuditEvent.entity == "child",
            AuditEvent.entity_id == child_id,
        )
        .order_by(col(AuditEvent.at))
    ).all()
    matches = db.exec(
        select(Match)
        .where(Match.child_id == child_id, Match.org_id == actor.org_id)
        .order_by(col(Match.start_date), col(Match.id))
    ).all()
    check_ins = db.exec(
        select(CheckIn)
        .where(
            CheckIn.org_id == actor.org_id,
            col(CheckIn.match_id).in_([m.id for m in matches]),
        )
        .order_by(col(CheckIn.date), col(CheckIn.id))
    ).all()
    visits = db.exec(
        select(MentorVisit)
        .where(MentorVisit.child_id == child_id, MentorVisit.org_id == actor.org_id)
        .order_by(col(MentorVisit.date), col(MentorVisit.start_time), col(MentorVisit.id))
    ).all()
    worked_on: dict[int, list[int]] = {}
    for visit_id, assignment_id in db.exec(
        select(VisitAssignment.visit_id, VisitAssignment.assignment_id)
        .where(
            VisitAssignment.org_id == actor.org_id,
            col(VisitAssignment.visit_id).in_([v.id for v in visits]),
        )
        .order_by(col(VisitAssignment.assignment_id))
    ).all():
        worked_on.setdefault(visit_id, []).append(assignment_id)
    assignments = db.exec(
        select(PracticeAssignment)
        .where(PracticeAssignment.child_id == child_id, PracticeAssignment.org_id == actor.org_id)
        .order_by(col(PracticeAssignment.id))
    ).all()
    audit.record(
        db, org_id=actor.org_id, actor=actor, action="export", entity="child", entity_id=child_id
    )
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "child": ChildPublic.model_validate(child).model_dump(mode="json"),
        "enrolments": [
            {
                "id": e.id,
                "cohort_id": e.cohort_id,
                "cohort": name,
                "start_date": e.start_date.isoformat(),
                "end_date": e.end_date.isoformat() if e.end_date else None,
                "status": e.status.value,
                "withdraw_reason": e.withdraw_reason,
                "eligibility_override": e.eligibility_override,
            }
            for e, name in enrolments
        ],
        "matches": [
            m.model_dump(mode="json")
            | {"check_ins": [c.model_dump(mode="json") for c in check_ins if c.match_id == m.id]}
            for m in matches
        ],
        "visits": [
            v.model_dump(mode="json") | {"assignment_ids": worked_on.get(v.id or 0, [])}
            for v in visits
        ],
        "practice_assignments": [a.model_dump(mode="json") for a in assignments],
        "history": [
            {"at": ev.at.isoformat(), "action": ev.action, "changes": ev.changes} for ev in events
        ],
    }
