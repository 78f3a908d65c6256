"""Recording a session: the register, coverage, facilitators and checklist in one
transaction, guarded by the session's version, creating each child's practice tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.children.models import Child
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, Enrolment, GroupSession, SessionStatus
from app.curriculum.models import Activity, CurriculumWeek, PracticeTask
from app.exceptions import Conflict, Forbidden, Invalid
from app.sessions.models import (
    ATTENDED,
    AssignmentKind,
    Attendance,
    Coverage,
    PracticeAssignment,
    SessionFacilitatorPresent,
    SessionObservation,
    SessionRecord,
)
from app.sessions.schemas import ObservationIn, RecordIn

RECORDERS = (Role.facilitator, Role.lead, Role.admin)
ASSIGNMENTS: Table = PracticeAssignment.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Lesson:
    week: CurriculumWeek | None
    activities: list[Activity]
    tasks: list[PracticeTask]


def lesson_of(db: Session, session: GroupSession, cohort: Cohort) -> Lesson:
    """The week's content: two queries (activities with their week, then tasks)."""
    rows = db.exec(
        select(CurriculumWeek, Activity)
        .join(Activity, col(Activity.week_id) == col(CurriculumWeek.id), isouter=True)
        .where(
            CurriculumWeek.curriculum_id == cohort.curriculum_id,
            CurriculumWeek.week == session.week,
        )
        .order_by(col(Activity.position))
    ).all()
    if not rows:
        return Lesson(None, [], [])
    week = rows[0][0]
    tasks = db.exec(
        select(PracticeTask)
        .where(PracticeTask.week_id == week.id)
        .order_by(col(PracticeTask.position))
    ).all()
    return Lesson(week, [a for _, a in rows if a is not None], list(tasks))


def expected_children(db: Session, session: GroupSession) -> list[Any]:
    """Children enrolled in the cohort on the session's date (rows with id, first_name and
    reference): the register's rows, and the only denominators (a late joiner or an early
    leaver is not expected)."""
    return list(
        db.exec(
            select(Child.id, Child.first_name, Child.reference)
            .join(Enrolment, col(Enrolment.child_id) == col(Child.id))
            .where(
                Enrolment.cohort_id == session.cohort_id,
                Enrolment.org_id == session.org_id,
                cohorts.expected_children(session.date),
            )
            .order_by(col(Child.first_name), col(Child.reference))
        ).all()
    )


@dataclass
class Stored:
    attendance: dict[int, tuple[str, str | None]]
    coverage: dict[int, tuple[str, str | None]]
    facilitators: set[int]
    record: SessionRecord | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "attendance": [
                {"child_id": k, "status": v[0], "note": v[1]}
                for k, v in sorted(self.attendance.items())
            ],
            "coverage": [
                {"activity_id": k, "status": v[0], "note": v[1]}
                for k, v in sorted(self.coverage.items())
            ],
            "facilitators_present": sorted(self.facilitators),
            "notes": self.record.notes if self.record else None,
            "checklist": self.record.checklist if self.record else None,
        }


def stored_record(db: Session, session_id: int) -> Stored:
    """What is stored for the session, read as plain rows (no ORM objects to build)."""
    attendance = db.execute(
        select(Attendance.child_id, Attendance.status, Attendance.note).where(
            Attendance.session_id == session_id
        )
    ).all()
    coverage = db.execute(
        select(Coverage.activity_id, Coverage.status, Coverage.note).where(
            Coverage.session_id == session_id
        )
    ).all()
    present = db.exec(
        select(SessionFacilitatorPresent.user_id).where(
            SessionFacilitatorPresent.session_id == session_id
        )
    ).all()
    return Stored(
        attendance={child: (str(status), note) for child, status, note in attendance},
        coverage={activity: (str(status), note) for activity, status, note in coverage},
        facilitators=set(present),
        record=db.get(SessionRecord, session_id),
    )


def _field(errors: list[dict[str, Any]], loc: list[Any], msg: str) -> None:
    errors.append({"loc": ["body", *loc], "msg": msg})


def _validate(
    db: Session, payload: RecordIn, *, expected: list[Any], lesson: Lesson, org_id: int
) -> None:
    errors: list[dict[str, Any]] = []
    expected_ids = {c.id for c in expected}
    given = [a.child_id for a in payload.attendance]
    for i, child_id in enumerate(given):
        if child_id not in expected_ids:
            _field(
                errors,
                ["attendance", i, "child_id"],
                f"Child {child_id} is not on this session's register",
            )
        elif given.count(child_id) > 1:
            _field(errors, ["attendance", i, "child_id"], f"Child {child_id} is given twice")
    for child in expected:
        if child.id not in given:
            _field(
                errors,
                ["attendance"],
                f"Give an attendance for {child.first_name} ({child.reference})",
            )
    activity_ids = {a.id for a in lesson.activities}
    covered = [c.activity_id for c in payload.coverage]
    for i, activity_id in enumerate(covered):
        if activity_id not in activity_ids:
            _field(
                errors,
                ["coverage", i, "activity_id"],
                f"Activity {activity_id} is not part of this week's lesson",
            )
        elif covered.count(activity_id) > 1:
            _field(errors, ["coverage", i, "activity_id"], f"Activity {activity_id} is given twice")
    for activity in lesson.activities:
        if activity.id not in covered:
            _field(errors, ["coverage"], f"Say whether '{activity.title}' was delivered")
    if payload.facilitators_present:
        found = set(
            db.exec(
                select(User.id).where(
                    col(User.id).in_(payload.facilitators_present),
                    User.org_id == org_id,
                    col(User.role).in_([Role.facilitator, Role.lead]),
                )
            ).all()
        )
        for i, user_id in enumerate(payload.facilitators_present):
            if user_id not in found:
                _field(
                    errors, ["facilitators_present", i], f"User {user_id} is not a facilitator here"
                )
        if len(set(payload.facilitators_present)) != len(payload.facilitators_present):
            _field(errors, ["facilitators_present"], "A facilitator is given twice")
    # The organisation's checklist is read only when a checklist is given.
    org = db.get(Organisation, org_id) if payload.checklist else None
    unknown = set(payload.checklist) - set(org.session_checklist if org else ())
    if unknown:
        _field(errors, ["checklist"], f"Not on the checklist: {', '.join(sorted(unknown))}")
    if errors:
        raise Invalid("; ".join(e["msg"] for e in errors[:5]), errors)


def _same(stored: Stored, payload: RecordIn) -> bool:
    return (
        stored.record is not None
        and stored.attendance
        == {a.child_id: (a.status.value, a.note or None) for a in payload.attendance}
        and stored.coverage
        == {c.activity_id: (c.status.value, c.note or None) for c in payload.coverage}
        and stored.facilitators == set(payload.facilitators_present)
        and (stored.record.notes or None) == (payload.notes or None)
        and stored.record.checklist == payload.checklist
    )


def record_session(
    db: Session, *, actor: User, session_id: int, payload: RecordIn, today: dt.date
) -> tuple[GroupSession, bool]:
    """(the session, whether anything changed). A fixed number of statements, whatever
    the number of children and activities."""
    session = cohorts.get_session(db, actor=actor, session_id=session_id)
    if actor.role not in RECORDERS:
        raise Forbidden("Only the cohort's facilitators or a programme lead can record a session.")
    if session.status == SessionStatus.cancelled:
        raise Conflict("This session was cancelled; its lesson moved to another date.")
    if session.date > today:
        raise Invalid(
            "A session in the future cannot be recorded",
            [{"loc": ["body"], "msg": f"This session is on {session.date:%d %B %Y}, after today"}],
        )
    cohort = db.get(Cohort, session.cohort_id)
    assert cohort is not None
    expected = expected_children(db, session)
    lesson = lesson_of(db, session, cohort)
    _validate(db, payload, expected=expected, lesson=lesson, org_id=actor.org_id)
    stored = stored_record(db, session.id or 0)
    if _same(stored, payload):
        return session, False
    claimed = cohorts.claim_version(
        db, session.id or 0, payload.version, status=SessionStatus.delivered.value
    )
    if not claimed:
        db.expire_all()
        current = db.get(GroupSession, session_id)
        raise Conflict(
            "Someone else saved this session first. Check what they saved, then save again.",
            current_version=current.version if current else None,
            current=stored_record(db, session_id).as_dict(),
        )
    sid, org_id = session.id or 0, actor.org_id
    now = dt.datetime.now(dt.UTC)
    _write_rows(
        db,
        Attendance,
        "child_id",
        stored.attendance,
        {a.child_id: (a.status.value, a.note or None) for a in payload.attendance},
        session_id=sid,
        org_id=org_id,
    )
    _write_rows(
        db,
        Coverage,
        "activity_id",
        stored.coverage,
        {c.activity_id: (c.status.value, c.note or None) for c in payload.coverage},
        session_id=sid,
        org_id=org_id,
    )
    if stored.facilitators != set(payload.facilitators_present):
        db.execute(
            delete(SessionFacilitatorPresent).where(
                col(SessionFacilitatorPresent.session_id) == sid
            )
        )
        if payload.facilitators_present:
            db.execute(
                insert(SessionFacilitatorPresent),
                [
                    {"org_id": org_id, "session_id": sid, "user_id": u}
                    for u in payload.facilitators_present
                ],
            )
    if stored.record is None:
        db.add(
            SessionRecord(
                session_id=sid,
                org_id=org_id,
                notes=payload.notes or None,
                checklist=payload.checklist,
                recorded_by=actor.id or 0,
                recorded_at=now,
                updated_at=now,
            )
        )
    elif (stored.record.notes, stored.record.checklist) != (
        payload.notes or None,
        payload.checklist,
    ):
        stored.record.notes = payload.notes or None
        stored.record.checklist = payload.checklist
        stored.record.updated_at = now
        db.add(stored.record)
    _assign_practice(db, session=session, payload=payload, tasks=lesson.tasks, now=now)
    audit.record(
        db,
        org_id=org_id,
        actor=actor,
        action="record" if stored.record is None else "correct",
        entity="session",
        entity_id=sid,
        changes=audit.changes_between(
            stored.as_dict(),
            {
                "attendance": [
                    a.model_dump(mode="json") | {"note": a.note or None}
                    for a in sorted(payload.attendance, key=lambda a: a.child_id)
                ],
                "coverage": [
                    c.model_dump(mode="json") | {"note": c.note or None}
                    for c in sorted(payload.coverage, key=lambda c: c.activity_id)
                ],
                "facilitators_present": sorted(payload.facilitators_present),
                "notes": payload.notes or None,
                "checklist": payload.checklist,
            },
        ),
    )
    # The row was updated in SQL; keep the loaded object in step without reading it back.
    session.version, session.status = payload.version + 1, SessionStatus.delivered
    return session, True


def _write_rows(
    db: Session,
    model: Any,
    key: str,
    stored: dict[int, tuple[str, str | None]],
    wanted: dict[int, tuple[str, str | None]],
    *,
    session_id: int,
    org_id: int,
) -> None:
    """Make the session's rows equal `wanted` ({key: (status, note)}) with at most one
    statement of each kind: insert the new, update the changed, delete the gone."""
    table = model.__table__
    new = [k for k in wanted if k not in stored]
    changed = [k for k in wanted if k in stored and stored[k] != wanted[k]]
    gone = [k for k in stored if k not in wanted]
    if gone:
        db.execute(delete(table).where(table.c.session_id == session_id, table.c[key].in_(gone)))
    if new:
        db.execute(
            insert(table),
            [
                {
                    "org_id": org_id,
                    "session_id": session_id,
                    key: k,
                    "status": wanted[k][0],
                    "note": wanted[k][1],
                }
                for k in new
            ],
        )
    if changed:
        db.execute(
            update(table)
            .where(table.c.session_id == session_id, table.c[key] == bindparam("b_key"))
            .values(status=bindparam("b_status"), note=bindparam("b_note")),
            [{"b_key": k, "b_status": wanted[k][0], "b_note": wanted[k][1]} for k in changed],
        )


def _assign_practice(
    db: Session,
    *,
    session: GroupSession,
    payload: RecordIn,
    tasks: list[PracticeTask],
    now: dt.datetime,
) -> None:
    """Each child gets the week's tasks: regular if they attended, catch-up if not. A
    correction changes kinds; the unique constraint makes a duplicate impossible."""
    if not tasks:
        return
    kinds = {
        a.child_id: AssignmentKind.regular if a.status in ATTENDED else AssignmentKind.catch_up
        for a in payload.attendance
    }
    existing = {
        (child_id, task_id): (row_id, kind)
        for row_id, child_id, task_id, kind in db.execute(
            select(
                PracticeAssignment.id,
                PracticeAssignment.child_id,
                PracticeAssignment.task_id,
                PracticeAssignment.kind,
            ).where(PracticeAssignment.session_id == session.id)
        ).all()
    }
    new_rows, changed = [], []
    for child_id, kind in kinds.items():
        for task in tasks:
            row = existing.get((child_id, task.id or 0))
            if row is None:
                new_rows.append(
                    {
                        "org_id": session.org_id,
                        "session_id": session.id,
                        "child_id": child_id,
                        "task_id": task.id,
                        "kind": kind,
                        "status": "open",
                        # Assigned to the child's active mentor once matching exists.
                        "mentor_id": None,
                        "created_at": now,
                    }
                )
            elif row[1] != kind:
                changed.append({"b_id": row[0], "b_kind": kind.value})
    if new_rows:
        db.execute(insert(PracticeAssignment), new_rows)
    if changed:
        db.execute(
            update(ASSIGNMENTS)
            .where(ASSIGNMENTS.c.id == bindparam("b_id"))
            .values(kind=bindparam("b_kind")),
            changed,
        )


def observe(
    db: Session, *, actor: User, session_id: int, data: ObservationIn
) -> SessionObservation:
    if actor.role not in (Role.lead, Role.admin):
        raise Forbidden("Only a programme lead can add an observation.")
    session = cohorts.get_session(db, actor=actor, session_id=session_id)
    if session.status != SessionStatus.delivered:
        raise Conflict("Only a delivered session can be observed.")
    observation = SessionObservation(
        org_id=actor.org_id,
        session_id=session.id or 0,
        observer_id=actor.id or 0,
        adherence=data.adherence,
        quality=data.quality,
        comments=data.comments or None,
        observed_at=dt.datetime.now(dt.UTC),
    )
    db.add(observation)
    db.flush()
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="observe",
        entity="session",
        entity_id=session.id,
        changes={"adherence": [None, data.adherence], "quality": [None, data.quality]},
    )
    return observation


def observations_of(db: Session, session_id: int) -> list[SessionObservation]:
    return list(
        db.exec(
            select(SessionObservation)
            .where(SessionObservation.session_id == session_id)
            .order_by(col(SessionObservation.observed_at))
        ).all()
    )
