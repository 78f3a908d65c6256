"""A group session as its register shows it: the week's lesson, the children expected on
its date (with their active mentor), what is stored for it, the session page, and a
facilitator's recent sessions. Saving the register is app/sessions/recording.py; a lead's
observations, app/sessions/observations.py."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, func, literal, null, type_coerce, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session, col, select

from app.auth.models import User
from app.children.models import Child
from app.clock import local_datetime, time_words, today_for
from app.cohorts import service as cohorts
from app.cohorts.models import (
    Cohort,
    Enrolment,
    GroupSession,
    SessionStatus,
    enrolled_on,
)
from app.curriculum.models import Activity, CurriculumWeek, PracticeTask
from app.exceptions import Invalid
from app.hooks import Hook
from app.sessions.models import (
    Attendance,
    Coverage,
    SessionFacilitatorPresent,
    SessionObservation,
    SessionRecord,
)
from app.sessions.observations import observations_of


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


ACTIVE_MENTOR: Hook[Callable[[Any, Any], ScalarSelect[Any]]] = Hook(
    "a child's active mentor", "app.mentoring.matching.service"
)
"""Given a child's id column and a programme's id column, the child's active mentor in that
programme (a correlated scalar subquery): mentoring knows (app/mentoring/matching/service.py).
The register's practice tasks go to the mentor in the cohort's programme (never to an
Independent Visitor the child also has)."""


@functools.cache
def _expected() -> Any:
    # Built once (with bind parameters), so a save does not pay for building it.
    return (
        select(
            Child.id,
            Child.first_name,
            Child.reference,
            ACTIVE_MENTOR()(col(Child.id), col(Cohort.programme_id)).label("mentor_id"),
        )
        .join(Enrolment, col(Enrolment.child_id) == col(Child.id))
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(
            col(Enrolment.cohort_id) == bindparam("cohort_id"),
            col(Enrolment.org_id) == bindparam("org_id"),
            enrolled_on(bindparam("on")),
        )
        # Once each, though a child withdrawn on a day and enrolled again from it has two
        # enrolments covering that day.
        .distinct()
        .order_by(col(Child.first_name), col(Child.reference))
    )


def expected_children(db: Session, session: GroupSession) -> list[Any]:
    """Children enrolled in the cohort on the session's date (rows with id, first_name,
    reference and their active mentor_id): the register's rows, and the only denominators
    (a late joiner or an early leaver is not expected)."""
    return list(
        db.connection().execute(
            _expected(),
            {"cohort_id": session.cohort_id, "org_id": session.org_id, "on": session.date},
        )
    )


@dataclass
class Stored:
    attendance: dict[int, tuple[str, str | None]]
    coverage: dict[int, tuple[str, str | None]]
    facilitators: set[int]
    # The session_record row (notes, checklist, recorded_at, updated_at, saved_by), if
    # recorded.
    record: Any | None

    def only(self, children: set[int]) -> Stored:
        """The register restricted to the children expected on the session's date: a row
        kept after a back-dated withdrawal is history, not part of the register."""
        return Stored(
            attendance={k: v for k, v in self.attendance.items() if k in children},
            coverage=self.coverage,
            facilitators=self.facilitators,
            record=self.record,
        )

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

    def saved(self) -> dict[str, Any]:
        """Who saved the register last and when (both None before the first save)."""
        return {
            "saved_by": self.record.saved_by if self.record else None,
            "saved_at": self.record.updated_at if self.record else None,
        }


def _rows_of(model: Any, key: str, part: int) -> Any:
    return select(
        literal(part).label("part"),
        getattr(model, key).label("key"),
        type_coerce(model.status, String).label("status"),
        model.note,
    ).where(model.session_id == bindparam("session_id"))


# The register, coverage and facilitators present in one statement.
_STORED_ROWS = union_all(
    _rows_of(Attendance, "child_id", 0),
    _rows_of(Coverage, "activity_id", 1),
    select(
        literal(2),
        col(SessionFacilitatorPresent.user_id),
        type_coerce(null(), String),
        type_coerce(null(), String),
    ).where(col(SessionFacilitatorPresent.session_id) == bindparam("session_id")),
)
_STORED_RECORD = (
    sa_select(
        col(SessionRecord.notes),
        col(SessionRecord.checklist),
        col(SessionRecord.recorded_at),
        col(SessionRecord.updated_at),
        col(User.name).label("saved_by"),
    )
    .outerjoin(
        User,
        col(User.id)
        == func.coalesce(col(SessionRecord.updated_by), col(SessionRecord.recorded_by)),
    )
    .where(col(SessionRecord.session_id) == bindparam("session_id"))
)


def stored_record(db: Session, session_id: int) -> Stored:
    """What is stored for the session, read as plain rows (two statements)."""
    conn = db.connection()
    parts: tuple[dict[int, Any], dict[int, Any], dict[int, Any]] = ({}, {}, {})
    for part, key, status, note in conn.execute(_STORED_ROWS, {"session_id": session_id}):
        parts[part][key] = (status, note)
    return Stored(
        attendance=parts[0],
        coverage=parts[1],
        facilitators=set(parts[2]),
        record=conn.execute(_STORED_RECORD, {"session_id": session_id}).first(),
    )


def session_start(session: GroupSession, zone: dt.tzinfo) -> dt.datetime:
    return local_datetime(session.date, session.start_time, zone)


def not_started(session: GroupSession, now: dt.datetime) -> Invalid | None:
    """The refusal for recording a session before it has started, or None."""
    start = session_start(session, now.tzinfo or dt.UTC)
    if now >= start:
        return None
    when = f"{start:%A} {start.day} {start:%B %Y} at {time_words(start)}"
    return Invalid(
        "A session cannot be recorded before it starts",
        [
            {
                "loc": ["body"],
                "msg": f"This session starts on {when}: record it once it has started",
            }
        ],
    )


# Pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Register:
    """What the session page shows (its template's names): the lesson, who is expected,
    what is stored, and the observations."""

    session: GroupSession
    cohort: Cohort
    lesson: Lesson
    children: list[Any]
    stored: Stored
    # Expected on the date but not on the register as saved: they joined afterwards.
    joined_later: set[int]
    facilitators: list[User]
    observations: list[SessionObservation]


def register_of(db: Session, *, actor: User, session_id: int) -> Register:
    session = cohorts.get_session(db, actor=actor, session_id=session_id)
    cohort = db.get(Cohort, session.cohort_id)
    assert cohort is not None
    children = expected_children(db, session)
    stored = stored_record(db, session_id).only({c.id for c in children})
    return Register(
        session=session,
        cohort=cohort,
        lesson=lesson_of(db, session, cohort),
        children=children,
        stored=stored,
        joined_later=(
            {c.id for c in children} - set(stored.attendance) if stored.record else set()
        ),
        facilitators=cohorts.session_facilitators(db, [session_id])[session_id],
        observations=observations_of(db, session_id),
    )


def my_sessions(db: Session, *, actor: User) -> list[tuple[GroupSession, str, bool]]:
    """(session, cohort name, recorded) for the facilitator's sessions of the last fortnight
    and today, not yet recorded first."""
    today = today_for(db, actor)
    rows = db.exec(
        select(GroupSession, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(
            GroupSession.org_id == actor.org_id,
            GroupSession.status != SessionStatus.cancelled,
            col(GroupSession.date) >= today - dt.timedelta(days=14),
            col(GroupSession.date) <= today,
            cohorts.run_by_any_of(actor.org_id, [actor.id or 0]),
        )
        .order_by(col(GroupSession.date).desc())
    ).all()
    out = [(s, name, s.status == SessionStatus.delivered) for s, name in rows]
    return sorted(out, key=lambda r: r[2])  # not yet recorded first; stable keeps newest first
