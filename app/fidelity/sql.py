"""The pieces every fidelity query is built from: the tables, weeks counted alike in SQL and
in Python on SQLite and PostgreSQL, and which stored rows count for a session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, Table, and_, exists
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from app.auth.models import User
from app.children.models import Child
from app.clock import week_of
from app.cohorts.models import Cohort, CohortFacilitator, Enrolment, GroupSession, enrolled_on
from app.curriculum.models import Activity, CurriculumWeek
from app.mentoring.models import Match, MentorProfile, MentorVisit
from app.sessions.models import (
    Attendance,
    Coverage,
    PracticeAssignment,
    SessionFacilitatorPresent,
)


def _t(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


SESSIONS = _t(GroupSession)
COHORTS = _t(Cohort)
ENROLMENTS = _t(Enrolment)
ATTENDANCE = _t(Attendance)
COVERAGE = _t(Coverage)
PRESENT = _t(SessionFacilitatorPresent)
ASSIGNMENTS = _t(PracticeAssignment)
MATCHES = _t(Match)
VISITS = _t(MentorVisit)
WEEKS = _t(CurriculumWeek)
ACTIVITIES = _t(Activity)
CHILDREN = _t(Child)
USERS = _t(User)
PROFILES = _t(MentorProfile)
FACILITATORS = _t(CohortFacilitator)

ATTENDED = ("present", "late")


# Weeks ---------------------------------------------------------------------------------------

# The Monday of week 0: weeks (Monday to Sunday) are counted from here, in SQL and in Python.
EPOCH_MONDAY = dt.date(1970, 1, 5)


class week_index(FunctionElement[int]):
    """The number of the week (Monday to Sunday) holding a date, counted from EPOCH_MONDAY:
    whole weeks, the same on SQLite and PostgreSQL (and as `week_number` in Python)."""

    type = Integer()
    inherit_cache = True


@compiles(week_index, "sqlite")
def _week_sqlite(element: week_index, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return (
        f"CAST((julianday({compiler.process(arg, **kw)}) - "
        f"julianday('{EPOCH_MONDAY.isoformat()}')) AS INTEGER) / 7"
    )


@compiles(week_index, "postgresql")
def _week_postgresql(element: week_index, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return (
        f"((CAST({compiler.process(arg, **kw)} AS DATE) - DATE '{EPOCH_MONDAY.isoformat()}') / 7)"
    )


def week_number(day: dt.date) -> int:
    """The number of the week holding `day`, as `week_index` counts in SQL."""
    monday, _ = week_of(day)
    return (monday - EPOCH_MONDAY).days // 7


def week_monday(number: int) -> dt.date:
    """The Monday of a week numbered by `week_number`."""
    return EPOCH_MONDAY + dt.timedelta(weeks=number)


# Rows that count -----------------------------------------------------------------------------


def on_register(child_id: Any, session: Any = SESSIONS) -> ColumnElement[bool]:
    """A stored row about a child counts for a session only while the child was enrolled in
    its cohort on its date (DESIGN.md, "Attendance rows that count"): a withdrawal dated in
    the past removes the child from every later register at once, with no re-save."""
    e = ENROLMENTS.c
    return exists().where(
        e.child_id == child_id,
        e.cohort_id == session.c.cohort_id,
        enrolled_on(session.c.date, e),
    )


def withdrawn_by(day: dt.date) -> ColumnElement[bool]:
    """An enrolment withdrawn on or before the day."""
    e = ENROLMENTS.c
    return and_(e.status == "withdrawn", e.end_date <= day)
