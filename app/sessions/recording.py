"""Recording a session: the register, coverage, facilitators and checklist in one
transaction, guarded by the session's version, creating each child's practice tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, literal, union_all, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, GroupSession, SessionStatus
from app.curriculum.models import Activity, CurriculumWeek, PracticeTask
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.sessions.models import (
    ATTENDED,
    AssignmentKind,
    Attendance,
    Coverage,
    PracticeAssignment,
    SessionFacilitatorPresent,
    SessionRecord,
)
from app.sessions.schemas import RecordIn
from app.sessions.service import Stored, expected_children, not_started, stored_record

RECORDERS = (Role.facilitator, Role.lead, Role.admin)
ASSIGNMENTS: Table = PracticeAssignment.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Item:
    id: int
    title: str


# The week's activities (part 0) and practice tasks (part 1), in one statement.
_LESSON_ITEMS = union_all(
    select(literal(0).label("part"), col(Activity.id), col(Activity.title), col(Activity.position))
    .join(CurriculumWeek, col(CurriculumWeek.id) == col(Activity.week_id))
    .where(
        col(CurriculumWeek.curriculum_id) == bindparam("curriculum_id"),
        col(CurriculumWeek.week) == bindparam("week"),
    ),
    select(literal(1), col(PracticeTask.id), col(PracticeTask.title), col(PracticeTask.position))
    .join(CurriculumWeek, col(CurriculumWeek.id) == col(PracticeTask.week_id))
    .where(
        col(CurriculumWeek.curriculum_id) == bindparam("curriculum_id"),
        col(CurriculumWeek.week) == bindparam("week"),
    ),
)


def _lesson_items(db: Session, curriculum_id: int, week: int) -> tuple[list[_Item], list[_Item]]:
    """(activities, practice tasks) of a week, each by position: what a save checks."""
    rows = sorted(
        db.connection().execute(_LESSON_ITEMS, {"curriculum_id": curriculum_id, "week": week}),
        key=lambda r: (r[0], r[3]),
    )
    return (
        [_Item(r[1] or 0, r[2]) for r in rows if r[0] == 0],
        [_Item(r[1] or 0, r[2]) for r in rows if r[0] == 1],
    )


_FACILITATORS = select(col(User.id)).where(
    col(User.id).in_(bindparam("ids", expanding=True)),
    col(User.org_id) == bindparam("org_id"),
    col(User.role).in_([Role.facilitator, Role.lead]),
)
_CHECKLIST = select(col(Organisation.session_checklist)).where(
    col(Organisation.id) == bindparam("org_id")
)


def _field(errors: list[dict[str, Any]], loc: list[Any], msg: str) -> None:
    errors.append({"loc": ["body", *loc], "msg": msg})


def _validate(
    db: Session,
    payload: RecordIn,
    *,
    expected: list[Any],
    activities: list[_Item],
    org_id: int,
    optional: set[int],
) -> None:
    """Every refusal at once. `optional` holds the children who may be left out: on a
    register already saved, those who joined after the save (nobody knows yet whether
    they were there, and nothing may be assumed)."""
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
        if child.id not in given and child.id not in optional:
            _field(
                errors,
                ["attendance"],
                f"Give an attendance for {child.first_name} ({child.reference})",
            )
    activity_ids = {a.id for a in activities}
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
    for activity in activities:
        if activity.id not in covered:
            _field(errors, ["coverage"], f"Say whether '{activity.title}' was delivered")
    conn = db.connection()
    if not payload.facilitators_present:
        _field(
            errors,
            ["facilitators_present"],
            "Tick at least one facilitator who ran the session",
        )
    else:
        found = set(
            conn.execute(
                _FACILITATORS, {"ids": payload.facilitators_present, "org_id": org_id}
            ).scalars()
        )
        for i, user_id in enumerate(payload.facilitators_present):
            if user_id not in found:
                _field(
                    errors, ["facilitators_present", i], f"User {user_id} is not a facilitator here"
                )
        if len(set(payload.facilitators_present)) != len(payload.facilitators_present):
            _field(errors, ["facilitators_present"], "A facilitator is given twice")
    # The organisation's checklist is read only when a checklist is given.
    items = conn.execute(_CHECKLIST, {"org_id": org_id}).scalar() if payload.checklist else None
    unknown = set(payload.checklist or ()) - set(items or ())
    if unknown:
        _field(errors, ["checklist"], f"Not on the checklist: {', '.join(sorted(unknown))}")
    if errors:
        raise Invalid("; ".join(e["msg"] for e in errors[:5]), errors)


def _kept(stored: Stored, payload: RecordIn) -> tuple[str | None, dict[str, bool]]:
    """(notes, checklist) to store: what was sent, or what is stored for a field left out."""
    sent = payload.model_fields_set
    notes = (
        (payload.notes or None)
        if "notes" in sent
        else (stored.record.notes if stored.record else None)
    )
    if "checklist" in sent:
        checklist = payload.checklist or {}
    else:
        checklist = dict(stored.record.checklist) if stored.record else {}
    return notes, checklist


def _same(stored: Stored, payload: RecordIn, notes: str | None, checklist: dict[str, bool]) -> bool:
    return (
        stored.record is not None
        and stored.attendance
        == {a.child_id: (a.status.value, a.note or None) for a in payload.attendance}
        and stored.coverage
        == {c.activity_id: (c.status.value, c.note or None) for c in payload.coverage}
        and stored.facilitators == set(payload.facilitators_present)
        and (stored.record.notes or None) == notes
        and stored.record.checklist == checklist
    )


def current_state(db: Session, session_id: int) -> dict[str, Any]:
    """What a 409 carries: the stored version and record, read afresh (after the caller's
    transaction has ended, so a concurrent winner's save is what it sees), with who saved
    it and when."""
    session = db.get(GroupSession, session_id, populate_existing=True)
    stored = stored_record(db, session_id)
    expected = {c.id for c in expected_children(db, session)} if session else set()
    current = stored.only(expected).as_dict()
    return {
        "current_version": session.version if session else None,
        "current": current,
        **{
            k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in stored.saved().items()
        },
    }


def _session_to_record(db: Session, actor: User, session_id: int) -> tuple[GroupSession, int]:
    """(the session, its cohort's curriculum) in one query, if the actor may see it."""
    session = db.exec(
        select(GroupSession, col(Cohort.curriculum_id))
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(GroupSession.id == session_id, cohorts.visible_sessions(actor))
    ).first()
    if session is None:
        raise NotFound(f"There is no session {session_id}.")
    return session[0], session[1]


S_RECORD: Table = SessionRecord.__table__  # type: ignore[attr-defined]
PRESENT: Table = SessionFacilitatorPresent.__table__  # type: ignore[attr-defined]
_INSERT_RECORD = insert(S_RECORD)
_UPDATE_RECORD = (
    update(S_RECORD)
    .where(S_RECORD.c.session_id == bindparam("b_session_id"))
    .values(
        notes=bindparam("b_notes"),
        checklist=bindparam("b_checklist"),
        updated_at=bindparam("b_updated_at"),
        updated_by=bindparam("b_updated_by"),
    )
)
_DELETE_PRESENT = delete(PRESENT).where(PRESENT.c.session_id == bindparam("b_session_id"))
_INSERT_PRESENT = insert(PRESENT)


def record_session(
    db: Session, *, actor: User, session_id: int, payload: RecordIn, now: dt.datetime
) -> tuple[GroupSession, bool]:
    """(the session, whether anything changed). `now` is the organisation's local time
    (timezone-aware). A fixed number of statements, whatever the number of children and
    activities."""
    session, curriculum_id = _session_to_record(db, actor, session_id)
    if actor.role not in RECORDERS:
        raise Forbidden("Only the cohort's facilitators or a programme lead can record a session.")
    if session.status == SessionStatus.cancelled:
        raise Conflict("This session was cancelled; its lesson moved to another date.")
    early = not_started(session, now)
    if early is not None:
        raise early
    expected = expected_children(db, session)
    activities, tasks = _lesson_items(db, curriculum_id, session.week)
    stored = stored_record(db, session.id or 0).only({c.id for c in expected})
    joined_later = (
        {c.id for c in expected} - set(stored.attendance) if stored.record is not None else set()
    )
    _validate(
        db,
        payload,
        expected=expected,
        activities=activities,
        org_id=actor.org_id,
        optional=joined_later,
    )
    notes, checklist = _kept(stored, payload)
    if _same(stored, payload, notes, checklist):
        return session, False
    claimed = cohorts.claim_version(
        db, session.id or 0, payload.version, status=SessionStatus.delivered.value
    )
    if not claimed:
        # End this transaction first: its snapshot may predate the winner's commit.
        db.rollback()
        raise Conflict(
            "Someone else saved this session first. Check what they saved, then save again.",
            **current_state(db, session_id),
        )
    sid, org_id = session.id or 0, actor.org_id
    now = now.astimezone(dt.UTC)
    conn = db.connection()
    _write_rows(
        conn,
        Attendance,
        "child_id",
        stored.attendance,
        {a.child_id: (a.status.value, a.note or None) for a in payload.attendance},
        session_id=sid,
        org_id=org_id,
    )
    _write_rows(
        conn,
        Coverage,
        "activity_id",
        stored.coverage,
        {c.activity_id: (c.status.value, c.note or None) for c in payload.coverage},
        session_id=sid,
        org_id=org_id,
    )
    if stored.facilitators != set(payload.facilitators_present):
        if stored.facilitators:
            conn.execute(_DELETE_PRESENT, {"b_session_id": sid})
        if payload.facilitators_present:
            conn.execute(
                _INSERT_PRESENT,
                [
                    {"org_id": org_id, "session_id": sid, "user_id": u}
                    for u in payload.facilitators_present
                ],
            )
    if stored.record is None:
        conn.execute(
            _INSERT_RECORD,
            {
                "session_id": sid,
                "org_id": org_id,
                "notes": notes,
                "checklist": checklist,
                "recorded_by": actor.id or 0,
                "recorded_at": now,
                "updated_at": now,
                "updated_by": actor.id or 0,
            },
        )
    else:
        # Every correction says who saved last and when, even if only the register changed.
        conn.execute(
            _UPDATE_RECORD,
            {
                "b_session_id": sid,
                "b_notes": notes,
                "b_checklist": checklist,
                "b_updated_at": now,
                "b_updated_by": actor.id or 0,
            },
        )
    _assign_practice(
        conn,
        session=session,
        payload=payload,
        tasks=tasks,
        mentors={c.id: c.mentor_id for c in expected},
        now=now,
    )
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
                "notes": notes,
                "checklist": checklist,
            },
        ),
    )
    # The row was updated in SQL; keep the loaded object in step without reading it back
    # (and without marking it changed, which would write it again).
    set_committed_value(session, "version", payload.version + 1)
    set_committed_value(session, "status", SessionStatus.delivered)
    return session, True


@dataclass(frozen=True)
class _RowWriter:
    """Prebuilt statements that make a session's rows of one table equal what was sent."""

    delete: Any
    insert: Any
    update: Any


def _row_writer(table: Table, key: str) -> _RowWriter:
    return _RowWriter(
        delete=delete(table).where(
            table.c.session_id == bindparam("b_session_id"),
            table.c[key].in_(bindparam("b_keys", expanding=True)),
        ),
        insert=insert(table),
        update=update(table)
        .where(table.c.session_id == bindparam("b_session_id"), table.c[key] == bindparam("b_key"))
        .values(status=bindparam("b_status"), note=bindparam("b_note")),
    )


_WRITERS = {
    Attendance: _row_writer(Attendance.__table__, "child_id"),  # type: ignore[attr-defined]
    Coverage: _row_writer(Coverage.__table__, "activity_id"),  # type: ignore[attr-defined]
}


def _write_rows(
    conn: Connection,
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
    writer = _WRITERS[model]
    new = [k for k in wanted if k not in stored]
    changed = [k for k in wanted if k in stored and stored[k] != wanted[k]]
    gone = [k for k in stored if k not in wanted]
    if gone:
        conn.execute(writer.delete, {"b_session_id": session_id, "b_keys": gone})
    if new:
        conn.execute(
            writer.insert,
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
        conn.execute(
            writer.update,
            [
                {
                    "b_session_id": session_id,
                    "b_key": k,
                    "b_status": wanted[k][0],
                    "b_note": wanted[k][1],
                }
                for k in changed
            ],
        )


_EXISTING_ASSIGNMENTS = select(
    ASSIGNMENTS.c.id, ASSIGNMENTS.c.child_id, ASSIGNMENTS.c.task_id, ASSIGNMENTS.c.kind
).where(ASSIGNMENTS.c.session_id == bindparam("session_id"))
_INSERT_ASSIGNMENTS = insert(ASSIGNMENTS)
_UPDATE_KINDS = (
    update(ASSIGNMENTS)
    .where(ASSIGNMENTS.c.id == bindparam("b_id"))
    .values(kind=bindparam("b_kind"))
)


def _assign_practice(
    conn: Connection,
    *,
    session: GroupSession,
    payload: RecordIn,
    tasks: list[_Item],
    mentors: dict[int, int | None],
    now: dt.datetime,
) -> None:
    """Each child gets the week's tasks: regular if they attended, catch-up if not, for
    their active mentor (or unassigned, a flag for the lead). A correction changes kinds;
    the unique constraint makes a duplicate impossible."""
    if not tasks:
        return
    kinds = {
        a.child_id: AssignmentKind.regular if a.status in ATTENDED else AssignmentKind.catch_up
        for a in payload.attendance
    }
    existing = {
        (child_id, task_id): (row_id, kind)
        for row_id, child_id, task_id, kind in conn.execute(
            _EXISTING_ASSIGNMENTS, {"session_id": session.id}
        )
    }
    new_rows, changed = [], []
    for child_id, kind in kinds.items():
        for task in tasks:
            row = existing.get((child_id, task.id))
            if row is None:
                new_rows.append(
                    {
                        "org_id": session.org_id,
                        "session_id": session.id,
                        "child_id": child_id,
                        "task_id": task.id,
                        "kind": kind,
                        "status": "open",
                        "mentor_id": mentors.get(child_id),
                        "created_at": now,
                    }
                )
            elif row[1] != kind:
                changed.append({"b_id": row[0], "b_kind": kind})
    if new_rows:
        conn.execute(_INSERT_ASSIGNMENTS, new_rows)
    if changed:
        conn.execute(_UPDATE_KINDS, changed)
