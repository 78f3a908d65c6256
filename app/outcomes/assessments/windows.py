"""When each timepoint's assessment may be taken: its window, from the child's sessions.

Definitions (dates are the organisation's, every bound inclusive):

- A child's *sessions* are the scheduled or delivered (never cancelled) sessions of a cohort
  they are enrolled in, dated while that enrolment runs (started by then and not ended
  before): the sessions whose register the child is on (DESIGN.md, "Attendance rows that
  count"; app/fidelity/sql.py `on_register`).
- Their *first enrolment* is the earliest (by start date, then by id) with at least one such
  session; their *first* and *second session* are its first two such sessions by date. With
  only one session so far, the second is taken to be the first.
- Their *cohort* is that of their latest enrolment with a session (by start date, then id),
  and the *last session* is that cohort's last scheduled or delivered session, whether or
  not the child is still enrolled (a child who left early is still assessed at the end).

Windows, with the organisation's widths (weeks):

- baseline: from `outcome_baseline_weeks` before the first session to the second session;
- end: from the last session to `outcome_end_weeks` after it;
- follow_up_6m / follow_up_12m: 6 / 12 calendar months after the last session (the 31st
  becomes the month's last day), give or take `outcome_follow_up_weeks`.

A child with no session has no windows: nothing is due and nothing can be entered.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Table, and_, case, func, select
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.models import Organisation
from app.children.models import Child
from app.children.service import age_on
from app.cohorts.models import Enrolment, GroupSession, SessionStatus, enrolled_on
from app.outcomes.models import Timepoint


@dataclass(frozen=True)
class Widths:
    baseline_weeks: int = 6
    end_weeks: int = 6
    follow_up_weeks: int = 6

    @classmethod
    def of(cls, org: Organisation) -> Widths:
        return cls(org.outcome_baseline_weeks, org.outcome_end_weeks, org.outcome_follow_up_weeks)


@dataclass(frozen=True)
class Anchors:
    """The sessions a child's windows count from."""

    first: dt.date
    second: dt.date
    last: dt.date
    cohort_id: int  # the cohort of the first enrolment: the one the first session is in
    # The child's date of birth (which measures suit their age); not part of the anchors'
    # identity. For an anonymised record (no date of birth), the day they turned the age
    # they were at their first session, on that session's date (`estimated_birth`).
    born: dt.date | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Window:
    timepoint: Timepoint
    opens: dt.date
    closes: dt.date

    def holds(self, day: dt.date) -> bool:
        return self.opens <= day <= self.closes

    def words(self) -> str:
        return f"from {day_words(self.opens)} to {day_words(self.closes)}"


def day_words(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


TIMEPOINT_NAMES = {
    Timepoint.baseline: "Baseline",
    Timepoint.end: "End of programme",
    Timepoint.follow_up_6m: "6-month follow-up",
    Timepoint.follow_up_12m: "12-month follow-up",
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; past the month's end, its last day (31 August + 6 months
    is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def estimated_birth(
    born: dt.date | None, first: dt.date, age_at_first: int | None
) -> dt.date | None:
    """The date of birth, or for an anonymised record (which keeps only the age at the first
    session) the latest birth date with that age on the first session's day: the age at
    the first session is exact, later ages may be a year high for part of the year."""
    if born is not None or age_at_first is None:
        return born
    return add_months(first, -12 * age_at_first)


def suits_age(ages: tuple[int, int] | None, born: dt.date | None, window: Window) -> bool:
    """Whether a measure validated for `ages` (years, inclusive; None: any) suits a child
    born on `born` in this window: they are of those ages on at least one of its days (a
    child turning 9 during the window may take a measure for 9-year-olds then). Unknown
    birth dates (anonymised records) suit every measure."""
    if ages is None or born is None:
        return True
    low, high = ages
    return age_on(born, window.closes) >= low and age_on(born, window.opens) <= high


def windows(anchors: Anchors, widths: Widths) -> dict[Timepoint, Window]:
    """Every timepoint's window for a child with these sessions."""
    week = dt.timedelta(weeks=1)
    follow = widths.follow_up_weeks * week
    six, twelve = add_months(anchors.last, 6), add_months(anchors.last, 12)
    return {
        Timepoint.baseline: Window(
            Timepoint.baseline, anchors.first - widths.baseline_weeks * week, anchors.second
        ),
        Timepoint.end: Window(Timepoint.end, anchors.last, anchors.last + widths.end_weeks * week),
        Timepoint.follow_up_6m: Window(Timepoint.follow_up_6m, six - follow, six + follow),
        Timepoint.follow_up_12m: Window(Timepoint.follow_up_12m, twelve - follow, twelve + follow),
    }


def load_anchors(
    db: Session, *, org_id: int, child_ids: Iterable[int] | SelectOfScalar[int]
) -> dict[int, Anchors]:
    """The anchors of these children of the organisation (ids, or a query of them), in one
    query that returns one row per child: the database ranks each child's enrolments and
    the sessions on their register (window functions, SQLite and PostgreSQL alike), so no
    session row leaves it."""
    ids: list[int] | SelectOfScalar[int]
    if isinstance(child_ids, SelectOfScalar):
        ids = child_ids
    else:
        ids = list(child_ids)
        if not ids:
            return {}
    sessions: Table = GroupSession.__table__  # type: ignore[attr-defined]
    enrolments: Table = Enrolment.__table__  # type: ignore[attr-defined]
    kids: Table = Child.__table__  # type: ignore[attr-defined]
    s, e = sessions.c, enrolments.c
    live = s.status != SessionStatus.cancelled.value
    # Every session on a child's register, with the rank of its enrolment among the child's
    # enrolments that have one (first by start date, then id; and last), and its place
    # among the enrolment's sessions.
    by_start = (e.start_date, e.id)
    on_register = (
        select(
            e.child_id,
            e.cohort_id,
            s.date,
            func.dense_rank().over(partition_by=e.child_id, order_by=by_start).label("first"),
            func.dense_rank()
            .over(partition_by=e.child_id, order_by=(e.start_date.desc(), e.id.desc()))
            .label("last"),
            func.row_number().over(partition_by=e.id, order_by=s.date).label("nth"),
        )
        .select_from(enrolments)
        .join(sessions, and_(s.cohort_id == e.cohort_id, live, enrolled_on(s.date, e)))
        .where(e.org_id == org_id, e.child_id.in_(ids))
        .subquery("on_register")
    )
    r = on_register.c
    cohort_last = (
        select(s.cohort_id, func.max(s.date).label("day"))
        .where(s.org_id == org_id, live)
        .group_by(s.cohort_id)
        .subquery("cohort_last")
    )
    in_first = r.first == 1
    stmt = (
        select(
            r.child_id,
            func.min(case((and_(in_first, r.nth == 1), r.date))),
            # the second session of the first enrolment, or its first when it has one
            func.max(case((and_(in_first, r.nth <= 2), r.date))),
            func.max(case((r.last == 1, cohort_last.c.day))),
            func.max(case((in_first, r.cohort_id))),
            func.max(kids.c.date_of_birth),
            func.max(kids.c.age_at_first_session),
        )
        .select_from(on_register)
        .join(cohort_last, cohort_last.c.cohort_id == r.cohort_id)
        .join(kids, kids.c.id == r.child_id)
        .group_by(r.child_id)
    )
    return {
        child_id: Anchors(first, second, last, cohort_id, estimated_birth(born, first, age))
        for child_id, first, second, last, cohort_id, born, age in db.execute(stmt).all()
    }


def windows_of(
    db: Session, *, org: Organisation, child_ids: Iterable[int]
) -> dict[int, dict[Timepoint, Window]]:
    """Each child's windows (children with no session are left out), in one query."""
    widths = Widths.of(org)
    anchors = load_anchors(db, org_id=org.id or 0, child_ids=child_ids)
    return {child_id: windows(a, widths) for child_id, a in anchors.items()}
