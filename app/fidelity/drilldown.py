"""The figures behind the dashboard's drill-down pages: a cohort week by week, a child's
sessions and mentoring, a mentor's hours per mentee per week. Each a fixed number of
grouped queries, whatever the size of the programme."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlmodel import Session

from app.exceptions import NotFound
from app.fidelity.service import Scope, core_coverage, matches_in_scope, ratio
from app.fidelity.sql import (
    ASSIGNMENTS,
    ATTENDANCE,
    ATTENDED,
    CHILDREN,
    COHORTS,
    ENROLMENTS,
    MATCHES,
    PRESENT,
    SESSIONS,
    USERS,
    VISITS,
    WEEKS,
    on_register,
    week_index,
    week_monday,
    week_number,
)
from app.sessions.models import SessionObservation

OBSERVATIONS = SessionObservation.__table__  # type: ignore[attr-defined]


# A cohort, week by week ----------------------------------------------------------------------


@dataclass
class SessionRow:
    session_id: int
    week: int
    date: dt.date
    status: str
    title: str | None
    expected: int = 0
    attended: int = 0
    core_score: float = 0.0
    core_items: int = 0
    facilitators: list[str] = field(default_factory=list)
    adherence: float | None = None
    quality: float | None = None

    @property
    def attendance_rate(self) -> float | None:
        return ratio(self.attended, self.expected)

    @property
    def core_coverage_rate(self) -> float | None:
        return ratio(self.core_score, self.core_items)


def cohort_sessions(db: Session, scope: Scope, cohort_id: int) -> tuple[Any, list[SessionRow]]:
    """(the cohort row, its sessions dated up to as_of with attendance, core coverage, the
    facilitators present and the observers' mean scores): five queries."""
    if scope.cohort_ids is not None and cohort_id not in scope.cohort_ids:
        raise NotFound(f"There is no cohort {cohort_id}.")
    cohort = db.execute(
        select(COHORTS.c.id, COHORTS.c.name, COHORTS.c.start_date, COHORTS.c.venue).where(
            COHORTS.c.id == cohort_id, COHORTS.c.org_id == scope.org_id
        )
    ).first()
    if cohort is None:
        raise NotFound(f"There is no cohort {cohort_id}.")
    s, a = SESSIONS.c, ATTENDANCE.c
    rows: dict[int, SessionRow] = {}
    for sid, week, date, status, title, expected, attended in db.execute(
        select(
            s.id,
            s.week,
            s.date,
            s.status,
            WEEKS.c.title,
            func.count(a.id),
            func.sum(case((a.status.in_(ATTENDED), 1), else_=0)),
        )
        .select_from(
            SESSIONS.join(COHORTS, COHORTS.c.id == s.cohort_id)
            .outerjoin(
                WEEKS,
                and_(WEEKS.c.curriculum_id == COHORTS.c.curriculum_id, WEEKS.c.week == s.week),
            )
            .outerjoin(ATTENDANCE, and_(a.session_id == s.id, on_register(a.child_id)))
        )
        .where(s.cohort_id == cohort_id, s.org_id == scope.org_id, s.date <= scope.as_of)
        .group_by(s.id, s.week, s.date, s.status, WEEKS.c.title)
        .order_by(s.date, s.id)
    ):
        rows[sid] = SessionRow(sid, week, date, str(status), title, expected, int(attended or 0))
    one = Scope(scope.org_id, scope.as_of, (cohort_id,), scope.threshold, scope.band)
    for sid, score, items in db.execute(core_coverage(one, s.id)):
        rows[sid].core_score, rows[sid].core_items = float(score or 0), int(items)
    for sid, name in db.execute(
        select(PRESENT.c.session_id, USERS.c.name)
        .select_from(PRESENT.join(USERS, USERS.c.id == PRESENT.c.user_id))
        .join(SESSIONS, s.id == PRESENT.c.session_id)
        .where(s.cohort_id == cohort_id, s.org_id == scope.org_id, s.date <= scope.as_of)
        .order_by(PRESENT.c.session_id, USERS.c.name)
    ):
        if sid in rows:
            rows[sid].facilitators.append(name)
    o = OBSERVATIONS.c
    for sid, adherence, quality in db.execute(
        select(o.session_id, func.avg(o.adherence), func.avg(o.quality))
        .join(SESSIONS, s.id == o.session_id)
        .where(s.cohort_id == cohort_id, s.org_id == scope.org_id, s.date <= scope.as_of)
        .group_by(o.session_id)
    ):
        if sid in rows:
            rows[sid].adherence, rows[sid].quality = float(adherence), float(quality)
    return cohort, list(rows.values())


# A child -------------------------------------------------------------------------------------


@dataclass
class ChildDetail:
    child: Any  # id, reference, first_name
    sessions: list[Any]  # (session id, date, week, cohort name, attendance status)
    catch_ups: int
    catch_ups_completed: int
    weeks: list[tuple[dt.date, float]]  # (Monday, completed hours) over the match-weeks
    match_weeks: int
    minutes: int
    cohorts: list[Any] = field(default_factory=list)  # (cohort id, name) they were enrolled in
    mentors: list[Any] = field(default_factory=list)  # (match id, mentor id, mentor name)


def child_detail(db: Session, scope: Scope, child_id: int) -> ChildDetail:
    """Six queries: the child, their sessions with attendance, catch-ups, completed
    mentoring minutes per week of their matches, and the cohorts and mentors to link to."""
    e = ENROLMENTS.c
    in_scope = select(e.child_id).where(e.org_id == scope.org_id, scope.cohorts(e.cohort_id))
    child = db.execute(
        select(CHILDREN.c.id, CHILDREN.c.reference, CHILDREN.c.first_name).where(
            CHILDREN.c.id == child_id,
            CHILDREN.c.org_id == scope.org_id,
            CHILDREN.c.id.in_(in_scope) if scope.cohort_ids is not None else true(),
        )
    ).first()
    if child is None:
        raise NotFound(f"There is no child {child_id}.")
    s, a = SESSIONS.c, ATTENDANCE.c
    sessions = list(
        db.execute(
            select(s.id, s.date, s.week, COHORTS.c.name, a.status)
            .select_from(
                ATTENDANCE.join(SESSIONS, s.id == a.session_id).join(
                    COHORTS, COHORTS.c.id == s.cohort_id
                )
            )
            .where(
                a.child_id == child_id,
                s.status == "delivered",
                s.date <= scope.as_of,
                scope.cohorts(s.cohort_id),
                on_register(a.child_id),
            )
            .order_by(s.date)
        ).all()
    )
    p = ASSIGNMENTS.c
    catch_ups, done = db.execute(
        select(func.count(), func.sum(case((p.status == "completed", 1), else_=0)))
        .select_from(ASSIGNMENTS.join(SESSIONS, s.id == p.session_id))
        .where(p.child_id == child_id, p.kind == "catch_up", s.date <= scope.as_of)
    ).one()
    weeks, match_weeks, minutes = weekly_hours(db, scope, MATCHES.c.child_id == child_id).get(
        child_id, ([], 0, 0)
    )
    cohorts = list(
        db.execute(
            select(COHORTS.c.id, COHORTS.c.name)
            .select_from(ENROLMENTS.join(COHORTS, COHORTS.c.id == e.cohort_id))
            .where(
                e.child_id == child_id,
                e.org_id == scope.org_id,
                e.start_date <= scope.as_of,
                scope.cohorts(e.cohort_id),
            )
            .order_by(e.start_date)
        ).all()
    )
    m = MATCHES.c
    mentors = (
        list(
            db.execute(
                select(m.id, m.mentor_id, USERS.c.name)
                .select_from(MATCHES.join(USERS, USERS.c.id == m.mentor_id))
                .where(
                    m.child_id == child_id, m.org_id == scope.org_id, m.start_date <= scope.as_of
                )
                .order_by(m.start_date)
            ).all()
        )
        if scope.cohort_ids is None  # mentors are a lead's: a facilitator sees no mentor page
        else []
    )
    return ChildDetail(
        child,
        sessions,
        int(catch_ups or 0),
        int(done or 0),
        weeks,
        match_weeks,
        minutes,
        cohorts,
        mentors,
    )


def first_names(db: Session, scope: Scope, child_ids: list[int]) -> dict[int, str]:
    """{child id: first name} for the internal pages ("Ben (DEMO-02)"): one query."""
    rows = db.execute(
        select(CHILDREN.c.id, CHILDREN.c.first_name).where(
            CHILDREN.c.org_id == scope.org_id, CHILDREN.c.id.in_(child_ids)
        )
    )
    return {int(child_id): str(name) for child_id, name in rows.all()}


def weekly_hours(
    db: Session, scope: Scope, which: Any, *, key: str = "child"
) -> dict[int, tuple[list[tuple[dt.date, float]], int, int]]:
    """{child or match id: ([(Monday, hours)] over its match-weeks, match-weeks, minutes)}:
    two queries (the matches, the completed minutes per match and week)."""
    m, v = MATCHES.c, VISITS.c
    now_week = week_number(scope.as_of)
    matches = db.execute(
        select(m.id, m.child_id, m.start_date, m.end_date).where(
            m.org_id == scope.org_id, m.start_date <= scope.as_of, which
        )
    ).all()
    if not matches:
        return {}
    week = week_index(v.date)
    minutes: dict[tuple[int, int], int] = {}
    for match_id, wk, total in db.execute(
        select(v.match_id, week, func.sum(v.minutes))
        .where(
            v.org_id == scope.org_id,
            v.status == "completed",
            v.match_id.in_([r[0] for r in matches]),
            v.date <= scope.as_of,
        )
        .group_by(v.match_id, week)
    ):
        minutes[(match_id, int(wk))] = int(total)
    out: dict[int, tuple[list[tuple[dt.date, float]], int, int]] = {}
    per_key: dict[int, dict[int, int]] = defaultdict(dict)
    for match_id, child_id, start, end in matches:
        first = week_number(start)
        last = min(now_week, week_number(end) + 1) if end else now_week
        group = child_id if key == "child" else match_id
        for wk in range(first, last):
            per_key[group][wk] = per_key[group].get(wk, 0) + minutes.get((match_id, wk), 0)
    for group, weeks in per_key.items():
        series = [(week_monday(wk), round(total / 60, 2)) for wk, total in sorted(weeks.items())]
        out[group] = (series, len(weeks), sum(weeks.values()))
    return out


# A mentor ------------------------------------------------------------------------------------


@dataclass
class MenteeHours:
    match_id: int
    child_id: int
    reference: str
    first_name: str
    start_date: dt.date
    end_date: dt.date | None
    weeks: list[tuple[dt.date, float]]


def mentor_detail(db: Session, scope: Scope, mentor_id: int) -> tuple[Any, list[MenteeHours]]:
    """(the mentor, each of their matches with hours per week): three queries."""
    mentor = db.execute(
        select(USERS.c.id, USERS.c.name, USERS.c.email).where(
            USERS.c.id == mentor_id, USERS.c.org_id == scope.org_id, USERS.c.role == "mentor"
        )
    ).first()
    if mentor is None or scope.cohort_ids is not None:
        raise NotFound(f"There is no mentor {mentor_id}.")
    m = MATCHES.c
    rows = db.execute(
        select(
            m.id, m.child_id, CHILDREN.c.reference, CHILDREN.c.first_name, m.start_date, m.end_date
        )
        .join(CHILDREN, CHILDREN.c.id == m.child_id)
        .where(m.mentor_id == mentor_id, m.org_id == scope.org_id, m.start_date <= scope.as_of)
        .order_by(m.start_date)
    ).all()
    hours = weekly_hours(db, scope, m.mentor_id == mentor_id, key="match") if rows else {}
    return mentor, [
        MenteeHours(mid, cid, ref, name, start, end, hours.get(mid, ([], 0, 0))[0])
        for mid, cid, ref, name, start, end in rows
    ]


# The organisation, week by week --------------------------------------------------------------


@dataclass
class Week:
    monday: dt.date
    attended: int = 0
    attendance_rows: int = 0
    planned: int = 0
    delivered: int = 0
    minutes: int = 0
    active_matches: int = 0

    @property
    def attendance_rate(self) -> float | None:
        return ratio(self.attended, self.attendance_rows)

    @property
    def hours_per_match(self) -> float | None:
        return ratio(self.minutes / 60, self.active_matches)


def weekly(db: Session, scope: Scope, *, weeks: int = 12) -> list[Week]:
    """The last `weeks` full weeks before the week of as_of: attendance, sessions planned
    and delivered, and completed mentoring hours per active match. Four queries."""
    last = week_number(scope.as_of)  # this week is not over: it is left out
    numbers = list(range(last - weeks, last))
    out = {n: Week(week_monday(n)) for n in numbers}
    first_day, end_day = week_monday(numbers[0]), week_monday(last) - dt.timedelta(days=1)
    s, a = SESSIONS.c, ATTENDANCE.c
    week = week_index(s.date)
    in_range = and_(
        s.org_id == scope.org_id, s.date.between(first_day, end_day), scope.cohorts(s.cohort_id)
    )
    for wk, attended, rows in db.execute(
        select(week, func.sum(case((a.status.in_(ATTENDED), 1), else_=0)), func.count())
        .select_from(ATTENDANCE.join(SESSIONS, s.id == a.session_id))
        .where(in_range, s.status == "delivered", on_register(a.child_id))
        .group_by(week)
    ):
        out[int(wk)].attended, out[int(wk)].attendance_rows = int(attended or 0), int(rows)
    for wk, planned, delivered in db.execute(
        select(week, func.count(), func.sum(case((s.status == "delivered", 1), else_=0)))
        .where(in_range)
        .group_by(week)
    ):
        out[int(wk)].planned, out[int(wk)].delivered = int(planned), int(delivered or 0)
    m, v = MATCHES.c, VISITS.c
    start, end = week_index(m.start_date), week_index(m.end_date)
    active = [
        func.sum(case((and_(start <= n, or_(m.end_date.is_(None), end >= n)), 1), else_=0))
        for n in numbers
    ]
    visit_week = week_index(v.date)
    minutes = [
        func.sum(case((and_(v.status == "completed", visit_week == n), v.minutes), else_=0))
        for n in numbers
    ]
    counts = db.execute(
        select(*active).where(m.org_id == scope.org_id, matches_in_scope(scope))
    ).one()
    totals = db.execute(
        select(*minutes)
        .select_from(VISITS.join(MATCHES, m.id == v.match_id))
        .where(
            v.org_id == scope.org_id,
            v.date.between(first_day, end_day),
            matches_in_scope(scope),
        )
    ).one()
    for n, count, total in zip(numbers, counts, totals, strict=True):
        out[n].active_matches, out[n].minutes = int(count or 0), int(total or 0)
    return [out[n] for n in numbers]
