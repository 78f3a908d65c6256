"""The pieces every fidelity query is built from: the tables, weeks counted alike in SQL and
in Python on SQLite and PostgreSQL, and which stored rows count for a session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, Table, and_, exists, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from app.auth.models import User
from app.children.models import Child
from app.clock import week_of
from app.cohorts.models import Cohort, CohortFacilitator, Enrolment, GroupSession, enrolled_on
from app.curriculum.models import Activity, CurriculumWeek
from app.mentoring.models import Match, MentorProfile, MentorVisit
from app.programmes.models import Programme
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
PROGRAMMES = _t(Programme)

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


# Months --------------------------------------------------------------------------------------


class month_index(FunctionElement[int]):
    """The number of the calendar month holding a date (year * 12 + month - 1): the same on
    SQLite and PostgreSQL, and as `month_number` in Python."""

    type = Integer()
    inherit_cache = True


@compiles(month_index, "sqlite")
def _month_sqlite(element: month_index, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    day = compiler.process(arg, **kw)
    return (
        f"(CAST(strftime('%Y', {day}) AS INTEGER) * 12 + CAST(strftime('%m', {day}) AS INTEGER)"
        " - 1)"
    )


@compiles(month_index, "postgresql")
def _month_postgresql(element: month_index, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    day = compiler.process(arg, **kw)
    return (
        f"(CAST(EXTRACT(YEAR FROM CAST({day} AS DATE)) AS INTEGER) * 12"
        f" + CAST(EXTRACT(MONTH FROM CAST({day} AS DATE)) AS INTEGER) - 1)"
    )


class day_of_month(FunctionElement[int]):
    """The day of the month of a date (1 to 31)."""

    type = Integer()
    inherit_cache = True


@compiles(day_of_month, "sqlite")
def _day_sqlite(element: day_of_month, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"CAST(strftime('%d', {compiler.process(arg, **kw)}) AS INTEGER)"


@compiles(day_of_month, "postgresql")
def _day_postgresql(element: day_of_month, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"CAST(EXTRACT(DAY FROM CAST({compiler.process(arg, **kw)} AS DATE)) AS INTEGER)"


class next_day_of_month(FunctionElement[int]):
    """The day of the month of the day after a date: 1 when the date ends its month."""

    type = Integer()
    inherit_cache = True


@compiles(next_day_of_month, "sqlite")
def _next_day_sqlite(element: next_day_of_month, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"CAST(strftime('%d', date({compiler.process(arg, **kw)}, '+1 day')) AS INTEGER)"


@compiles(next_day_of_month, "postgresql")
def _next_day_postgresql(element: next_day_of_month, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"CAST(EXTRACT(DAY FROM CAST({compiler.process(arg, **kw)} AS DATE) + 1) AS INTEGER)"


def month_number(day: dt.date) -> int:
    """The number of the month holding `day`, as `month_index` counts in SQL."""
    return day.year * 12 + day.month - 1


def month_first(number: int) -> dt.date:
    """The first day of a month numbered by `month_number`."""
    return dt.date(number // 12, number % 12 + 1, 1)


def reached_length(start: Any, end: Any, months: Any) -> ColumnElement[bool]:
    """A match from `start` to `end` lasted at least `months` calendar months: `end` is on or
    after `start` plus that many months, the day kept or, when the month is shorter, its
    last day (31 January + 1 month: 28 or 29 February). In SQL, on SQLite and PostgreSQL."""
    target = month_index(start) + months
    return or_(
        month_index(end) > target,
        and_(
            month_index(end) == target,
            or_(day_of_month(end) >= day_of_month(start), next_day_of_month(end) == 1),
        ),
    )


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
