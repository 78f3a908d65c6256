"""Erasing a child's record that was made in error (UK GDPR, article 17), by an admin.

Only a record nobody has used yet: once the child is on a recorded register or has a
mentor visit, their record holds what happened and feeds the programme's figures, so it is
refused (409) and anonymisation (app/records/retention.py, after the retention period) is
the route. Otherwise the child and every row about them go in one transaction: enrolments,
matches and their check-ins, practice tasks, assessments, life events, flag
acknowledgements naming them, who looked at the record, idempotency replies that carried
them, and the audit events about all of these (they hold what was recorded in error). One
audit event "erase" is written instead, holding the old reference and the reason only; its
entity_id is empty, because the id no longer names anything (SQLite may even give it to the
next child).

Racing a register being recorded or a visit being logged: the child's row is locked first
(PostgreSQL: SELECT ... FOR UPDATE, which waits for any transaction that has just written a
register or visit row pointing at the child, since those take a key-share lock on it; SQLite:
the write transaction holds the database's write lock from its BEGIN IMMEDIATE), then the
rules are checked on what is committed, and the final DELETE of the child is conditional on
there still being no register row or visit. A register or visit written after the erasure
fails its foreign key and is refused (409, app/errors.py), so no row ever points at nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, or_
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.audit.models import AuditEvent, RecordView
from app.auth.models import Role, User
from app.children import service as children
from app.children.models import Child
from app.cohorts.models import Enrolment
from app.exceptions import Conflict, Forbidden, Invalid
from app.fidelity.models import FlagAcknowledgement
from app.idempotency import IdempotencyKey
from app.mentoring.models import CheckIn, Match, MentorVisit, VisitAssignment
from app.outcomes.models import Assessment, LifeEvent
from app.records.schemas import REASON_MAX
from app.records.service import about_the_child, flag_subjects
from app.sessions.models import Attendance, PracticeAssignment

USED = (
    "{reference} cannot be erased: {why}. Erasure is only for a record made in error that "
    "nobody has used. A record that has been used is anonymised instead when its retention "
    "period ends: the name, date of birth and notes are removed and the figures stay."
)


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid(
            "Say why the record is being erased.",
            [{"loc": ["body", "reason"], "msg": "Enter why the record is being erased"}],
        )
    if len(text) > REASON_MAX:
        raise Invalid(
            "The reason is too long.",
            [
                {
                    "loc": ["body", "reason"],
                    "msg": f"Reason must be {REASON_MAX} characters or fewer",
                }
            ],
        )
    return text


def require_admin(actor: User) -> None:
    if actor.role != Role.admin:
        raise Forbidden("Only an admin can erase a child's record.")


def refusal(db: Session, child: Child) -> str | None:
    """Why the record may not be erased (None: it may), on what is committed now."""
    child_id = child.id or 0
    registers = db.exec(
        select(Attendance.id).where(Attendance.child_id == child_id).limit(1)
    ).first()
    visits = db.exec(
        select(MentorVisit.id).where(MentorVisit.child_id == child_id).limit(1)
    ).first()
    reasons = []
    if registers is not None:
        reasons.append("they are on a recorded register")
    if visits is not None:
        reasons.append("they have had a mentor visit")
    if not reasons:
        return None
    return USED.format(reference=child.reference, why=" and ".join(reasons))


def erase_child(db: Session, *, actor: User, child_id: int, reason: str | None) -> str:
    """Erase the record (see the module's doc); the old reference, for the message."""
    require_admin(actor)
    child = children.get_child(db, actor=actor, child_id=child_id)
    text = check_reason(reason)
    # The lock: see the module's doc. populate_existing: the row as it is now.
    db.exec(
        select(Child.id).where(Child.id == child_id, Child.org_id == actor.org_id).with_for_update()
    ).first()
    why = refusal(db, child)
    if why is not None:
        raise Conflict(why)
    reference = child.reference
    _delete_rows(db, org_id=actor.org_id, child=child)
    gone = db.execute(
        delete(Child).where(
            col(Child.id) == child_id,
            col(Child.org_id) == actor.org_id,
            ~exists().where(col(Attendance.child_id) == child_id),
            ~exists().where(col(MentorVisit.child_id) == child_id),
        )
    )
    if gone.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(USED.format(reference=reference, why="they were used meanwhile"))
    db.expunge(child)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="erase",
        entity="child",
        entity_id=None,
        changes={"reference": reference, "reason": text},
    )
    return reference


def _like(text: str) -> str:
    for special in ("!", "%", "_"):
        text = text.replace(special, "!" + special)
    return text


def _delete_rows(db: Session, *, org_id: int, child: Child) -> None:
    child_id = child.id or 0
    matches = select(Match.id).where(Match.child_id == child_id)
    assignments = select(PracticeAssignment.id).where(PracticeAssignment.child_id == child_id)
    # The audit events first: they find the rows about the child through those rows.
    db.execute(
        delete(AuditEvent).where(col(AuditEvent.org_id) == org_id, about_the_child(child_id))
    )
    db.execute(delete(RecordView).where(col(RecordView.child_id) == child_id))
    db.execute(
        delete(FlagAcknowledgement).where(
            col(FlagAcknowledgement.org_id) == org_id, flag_subjects(child_id)
        )
    )
    db.execute(delete(CheckIn).where(col(CheckIn.match_id).in_(matches)))
    db.execute(delete(VisitAssignment).where(col(VisitAssignment.assignment_id).in_(assignments)))
    db.execute(delete(PracticeAssignment).where(col(PracticeAssignment.child_id) == child_id))
    db.execute(delete(Assessment).where(col(Assessment.child_id) == child_id))
    db.execute(delete(LifeEvent).where(col(LifeEvent.child_id) == child_id))
    db.execute(delete(Match).where(col(Match.child_id) == child_id))
    db.execute(delete(Enrolment).where(col(Enrolment.child_id) == child_id))
    # A creating request's stored reply (kept 24 hours for replays) that carried the child:
    # the API's JSON is compact, so the child's reference and id appear exactly so.
    users = select(User.id).where(User.org_id == org_id)
    reply = col(IdempotencyKey.response)
    db.execute(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.user_id).in_(users),
            or_(
                reply.like(f'%"reference":"{_like(child.reference)}"%', escape="!"),
                reply.like(f'%"child_id":{child_id},%'),
                reply.like(f'%"child_id":{child_id}}}%'),
                col(IdempotencyKey.path).like(f"%/children/{child_id}/%"),
            ),
        )
    )
