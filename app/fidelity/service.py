"""Fidelity: the numbers a lead sees, exactly as DESIGN.md ("Fidelity") defines them, for
the organisation, each cohort, each child and each mentor, as of any date.

Every figure is a grouped SQL aggregate: one query per kind of figure, whatever the number
of cohorts, children, mentors, sessions or visits. Python only divides the sums (a zero
denominator gives None) and adds the groups up for the organisation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, true, union_all
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from app.auth.models import Organisation, Role, User
from app.cohorts.models import enrolled_on
from app.exceptions import Forbidden, NotFound
from app.fidelity.sql import (
    ACTIVITIES,
    ASSIGNMENTS,
    ATTENDANCE,
    ATTENDED,
    CHILDREN,
    COHORTS,
    COVERAGE,
    ENROLMENTS,
    FACILITATORS,
    MATCHES,
    PRESENT,
    SESSIONS,
    USERS,
    VISITS,
    WEEKS,
    on_register,
    week_index,
    week_number,
    withdrawn_by,
)

METRICS = (
    "delivery_rate",
    "attendance_rate",
    "core_coverage_rate",
    "two_facilitator_rate",
    "mentoring_hours_per_week",
    "weeks_with_visit_rate",
    "weeks_in_band_rate",
    "practice_completion_rate",
    "retention_rate",
)
# The published FHF-PT trial figures the dashboard shows beside each (domain.md).
BENCHMARKS: dict[str, float] = {
    "attendance_rate": 0.92,
    "core_coverage_rate": 0.99,
    "mentoring_hours_per_week": 2.5,
    "retention_rate": 0.92,
}


def ratio(numerator: float, denominator: float) -> float | None:
    """An exact share; None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


# Scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    org_id: int
    as_of: dt.date
    cohort_ids: tuple[int, ...] | None  # None: every cohort of the organisation
    threshold: float
    band: tuple[int, int]

    def cohorts(self, column: Any) -> ColumnElement[bool]:
        if self.cohort_ids is None:
            return true()
        return column.in_(self.cohort_ids)  # type: ignore[no-any-return]


def scope_for(db: Session, *, actor: User, as_of: dt.date, cohort_id: int | None = None) -> Scope:
    """Leads and admins: the organisation, or one of its cohorts. A facilitator: their own
    cohorts, or one of them. Anyone else: 403. Another organisation's cohort: 404."""
    if actor.role not in (Role.lead, Role.admin, Role.facilitator):
        raise Forbidden("The fidelity figures are for programme leads and facilitators.")
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    mine: tuple[int, ...] | None = None
    if actor.role == Role.facilitator:
        mine = tuple(
            db.execute(
                select(FACILITATORS.c.cohort_id).where(
                    FACILITATORS.c.user_id == actor.id, FACILITATORS.c.org_id == actor.org_id
                )
            ).scalars()
        )
    if cohort_id is not None:
        found = db.execute(
            select(COHORTS.c.id).where(COHORTS.c.id == cohort_id, COHORTS.c.org_id == org.id)
        ).first()
        if found is None or (mine is not None and cohort_id not in mine):
            raise NotFound(f"There is no cohort {cohort_id}.")
        mine = (cohort_id,)
    return Scope(
        org_id=org.id or 0,
        as_of=as_of,
        cohort_ids=mine,
        threshold=org.dosage_threshold,
        band=(org.mentoring_hours_min, org.mentoring_hours_max),
    )


# The figures ---------------------------------------------------------------------------------


@dataclass
class Sums:
    """Numerators and denominators of every figure for one group (a cohort, a child, a
    mentor); the organisation's are the sums of its cohorts'."""

    delivered: int = 0
    counted: int = 0  # delivered + cancelled + overdue scheduled
    cancelled: int = 0
    planned: int = 0  # every live session dated on or before as_of
    attended_rows: int = 0
    attendance_rows: int = 0
    core_score: float = 0.0
    core_items: int = 0
    two_facilitators: int = 0
    minutes: int = 0
    match_weeks: int = 0
    weeks_with_visit: int = 0
    weeks_in_band: int = 0
    assignments_due: int = 0
    assignments_completed: int = 0
    enrolments: int = 0
    retained: int = 0

    def add(self, other: Sums) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def metrics(self) -> dict[str, float | None]:
        return {
            "delivery_rate": ratio(self.delivered, self.counted),
            "attendance_rate": ratio(self.attended_rows, self.attendance_rows),
            "core_coverage_rate": ratio(self.core_score, self.core_items),
            "two_facilitator_rate": ratio(self.two_facilitators, self.delivered),
            "mentoring_hours_per_week": ratio(self.minutes / 60, self.match_weeks),
            "weeks_with_visit_rate": ratio(self.weeks_with_visit, self.match_weeks),
            "weeks_in_band_rate": ratio(self.weeks_in_band, self.match_weeks),
            "practice_completion_rate": ratio(self.assignments_completed, self.assignments_due),
            "retention_rate": ratio(self.retained, self.enrolments),
        }


def _delivered_sessions(scope: Scope) -> Any:
    return and_(
        SESSIONS.c.org_id == scope.org_id,
        SESSIONS.c.status == "delivered",
        SESSIONS.c.date <= scope.as_of,
        scope.cohorts(SESSIONS.c.cohort_id),
    )


def _session_sums(db: Session, scope: Scope, sums: dict[int, Sums]) -> None:
    """Delivery, planned, attendance, core coverage and two facilitators, by cohort: four
    grouped queries."""
    s = SESSIONS.c
    for cohort_id, delivered, cancelled, overdue, planned in db.execute(
        select(
            s.cohort_id,
            func.sum(case((s.status == "delivered", 1), else_=0)),
            func.sum(case((s.status == "cancelled", 1), else_=0)),
            func.sum(case((and_(s.status == "scheduled", s.date < scope.as_of), 1), else_=0)),
            func.sum(case((s.status != "cancelled", 1), else_=0)),
        )
        .where(s.org_id == scope.org_id, s.date <= scope.as_of, scope.cohorts(s.cohort_id))
        .group_by(s.cohort_id)
    ):
        row = sums[cohort_id]
        row.delivered, row.cancelled, row.planned = int(delivered), int(cancelled), int(planned)
        row.counted = int(delivered) + int(cancelled) + int(overdue)
    for cohort_id, attended, rows in db.execute(
        select(
            s.cohort_id,
            func.sum(case((ATTENDANCE.c.status.in_(ATTENDED), 1), else_=0)),
            func.count(),
        )
        .select_from(ATTENDANCE.join(SESSIONS, s.id == ATTENDANCE.c.session_id))
        .where(_delivered_sessions(scope), on_register(ATTENDANCE.c.child_id))
        .group_by(s.cohort_id)
    ):
        sums[cohort_id].attended_rows, sums[cohort_id].attendance_rows = int(attended), int(rows)
    for cohort_id, score, items in db.execute(core_coverage(scope, s.cohort_id)):
        sums[cohort_id].core_score, sums[cohort_id].core_items = float(score or 0), int(items)
    present = (
        select(PRESENT.c.session_id, func.count().label("n"))
        .where(PRESENT.c.org_id == scope.org_id)
        .group_by(PRESENT.c.session_id)
        .subquery()
    )
    for cohort_id, two in db.execute(
        select(s.cohort_id, func.sum(case((present.c.n >= 2, 1), else_=0)))
        .select_from(SESSIONS.outerjoin(present, present.c.session_id == s.id))
        .where(_delivered_sessions(scope))
        .group_by(s.cohort_id)
    ):
        sums[cohort_id].two_facilitators = int(two or 0)


def core_coverage(scope: Scope, group: Any) -> Any:
    """Per delivered session, its week's core activities scored 1 (delivered), 0.5
    (partial) or 0 (skipped or not recorded): (group, score, items) for each `group`
    (a column of the session, such as its cohort or its own id)."""
    s = SESSIONS.c
    return (
        select(
            group,
            func.sum(
                case(
                    (COVERAGE.c.status == "delivered", 1.0),
                    (COVERAGE.c.status == "partial", 0.5),
                    else_=0.0,
                )
            ),
            func.count(),
        )
        .select_from(
            SESSIONS.join(COHORTS, COHORTS.c.id == s.cohort_id)
            .join(
                WEEKS,
                and_(WEEKS.c.curriculum_id == COHORTS.c.curriculum_id, WEEKS.c.week == s.week),
            )
            .join(ACTIVITIES, and_(ACTIVITIES.c.week_id == WEEKS.c.id, ACTIVITIES.c.core))
            .outerjoin(
                COVERAGE,
                and_(COVERAGE.c.session_id == s.id, COVERAGE.c.activity_id == ACTIVITIES.c.id),
            )
        )
        .where(_delivered_sessions(scope))
        .group_by(group)
    )


def _retention_sums(db: Session, scope: Scope, sums: dict[int, Sums]) -> None:
    """Enrolments (started by as_of) and those never withdrawn by then, by cohort."""
    e = ENROLMENTS.c
    # Withdrawn by as_of (a withdrawal with no date counts as withdrawn whenever it was).
    withdrawn = and_(e.status == "withdrawn", or_(e.end_date.is_(None), e.end_date <= scope.as_of))
    for cohort_id, total, kept in db.execute(
        select(e.cohort_id, func.count(), func.sum(case((withdrawn, 0), else_=1)))
        .where(e.org_id == scope.org_id, e.start_date <= scope.as_of, scope.cohorts(e.cohort_id))
        .group_by(e.cohort_id)
    ):
        sums[cohort_id].enrolments, sums[cohort_id].retained = int(total), int(kept or 0)


def practice_sums(db: Session, scope: Scope, key: Any, sums: dict[Any, Sums]) -> None:
    """Assignments due (their session dated more than 7 days before as_of) and completed."""
    a, s = ASSIGNMENTS.c, SESSIONS.c
    due_by = scope.as_of - dt.timedelta(days=7)
    for group, due, done in db.execute(
        select(key, func.count(), func.sum(case((a.status == "completed", 1), else_=0)))
        .select_from(ASSIGNMENTS.join(SESSIONS, s.id == a.session_id))
        .where(
            a.org_id == scope.org_id,
            s.date < due_by,
            scope.cohorts(s.cohort_id),
            on_register(a.child_id),
        )
        .group_by(key)
    ):
        sums[group].assignments_due, sums[group].assignments_completed = int(due), int(done or 0)


def _match_cohorts(scope: Scope) -> Any:
    """(match id, cohort id): a match belongs to the cohorts its child is enrolled in (an
    enrolment started on or before as_of: a later one does not exist yet)."""
    m, e = MATCHES.c, ENROLMENTS.c
    return (
        select(m.id.label("match_id"), e.cohort_id.label("cohort_id"))
        .select_from(MATCHES.join(ENROLMENTS, e.child_id == m.child_id))
        .where(m.org_id == scope.org_id, e.start_date <= scope.as_of, scope.cohorts(e.cohort_id))
        .distinct()
        .subquery()
    )


def matches_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Matches of children enrolled (by as_of) in the scope's cohorts (every match, for the
    whole organisation)."""
    if scope.cohort_ids is None:
        return true()
    e = ENROLMENTS.c
    return MATCHES.c.child_id.in_(
        select(e.child_id).where(
            e.org_id == scope.org_id,
            e.start_date <= scope.as_of,
            e.cohort_id.in_(scope.cohort_ids),
        )
    )


def _mentoring_sums(
    db: Session, scope: Scope, by_cohort: dict[Any, Sums], by_mentor: dict[Any, Sums]
) -> Sums:
    """Match-weeks, completed minutes, weeks with a visit and weeks in the band for the
    organisation (returned), each cohort and each mentor: one query, which reads the
    visits once (a per-match CTE, then a UNION ALL of the three groupings). Each match
    counts once in a group: a child in two cohorts counts in both cohorts, once for the
    organisation and once for their mentor.

    A match's weeks run from the week of its start up to, not including, the week holding
    as_of, or up to and including the week of its end date if that is earlier."""
    m, v = MATCHES.c, VISITS.c
    low, high = scope.band
    now_week = week_number(scope.as_of)
    first = week_index(m.start_date)
    last_excl = case(
        (
            and_(m.end_date.is_not(None), week_index(m.end_date) + 1 < now_week),
            week_index(m.end_date) + 1,
        ),
        else_=literal(now_week),
    )
    bounds = (
        select(
            m.id.label("match_id"),
            m.mentor_id.label("mentor_id"),
            first.label("first"),
            last_excl.label("last_excl"),
            case((last_excl > first, last_excl - first), else_=0).label("weeks"),
        )
        .where(m.org_id == scope.org_id, m.start_date <= scope.as_of, matches_in_scope(scope))
        .subquery()
    )
    week = week_index(v.date)
    per_week = (
        select(
            v.match_id.label("match_id"),
            week.label("week"),
            func.sum(v.minutes).label("minutes"),
        )
        .select_from(VISITS.join(bounds, bounds.c.match_id == v.match_id))
        .where(
            v.org_id == scope.org_id,
            v.status == "completed",
            week >= bounds.c.first,
            week < bounds.c.last_excl,
        )
        .group_by(v.match_id, week)
        .subquery()
    )
    in_band = and_(per_week.c.minutes >= low * 60, per_week.c.minutes <= high * 60)
    visited = (
        select(
            per_week.c.match_id,
            func.sum(per_week.c.minutes).label("minutes"),
            func.count().label("weeks_visited"),
            func.sum(case((in_band, 1), else_=0)).label("weeks_in_band"),
        )
        .group_by(per_week.c.match_id)
        .subquery()
    )
    per_match = (
        select(
            bounds.c.match_id,
            bounds.c.mentor_id,
            bounds.c.weeks,
            func.coalesce(visited.c.minutes, 0).label("minutes"),
            func.coalesce(visited.c.weeks_visited, 0).label("weeks_visited"),
            func.coalesce(visited.c.weeks_in_band, 0).label("weeks_in_band"),
        )
        .select_from(bounds.outerjoin(visited, visited.c.match_id == bounds.c.match_id))
        .cte("per_match")
    )
    p = per_match.c
    totals = (
        func.sum(p.weeks),
        func.sum(p.minutes),
        func.sum(p.weeks_visited),
        func.sum(p.weeks_in_band),
    )
    link = _match_cohorts(scope)
    rows = db.execute(
        union_all(
            select(literal("org"), literal(0), *totals).select_from(per_match),
            select(literal("cohort"), link.c.cohort_id, *totals)
            .select_from(per_match.join(link, link.c.match_id == p.match_id))
            .group_by(link.c.cohort_id),
            select(literal("mentor"), p.mentor_id, *totals).group_by(p.mentor_id),
        )
    ).all()
    organisation = Sums()
    for kind, grp, match_weeks, minutes, weeks_visited, weeks_in_band in rows:
        groups = {"cohort": by_cohort, "mentor": by_mentor}
        row = organisation if kind == "org" else groups[kind][grp]
        row.match_weeks = int(match_weeks or 0)
        row.minutes = int(minutes or 0)
        row.weeks_with_visit = int(weeks_visited or 0)
        # A week without a completed visit has 0 hours: in the band only if it starts at 0.
        empty = row.match_weeks - row.weeks_with_visit if low == 0 else 0
        row.weeks_in_band = int(weeks_in_band or 0) + empty
    return organisation


# Children ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildDosage:
    child_id: int
    reference: str
    cohort_id: int
    lessons_delivered: int
    lessons_attended: int
    dosage: float | None
    below_threshold: bool
    withdrawn: bool = False  # every enrolment of the group withdrawn by as_of


def child_dosage(db: Session, scope: Scope) -> list[ChildDosage]:
    """Per child and cohort: lessons delivered while actively enrolled and on the register
    as saved, and those of them attended. A register row from outside the enrolment (kept
    after a back-dated withdrawal) is not a lesson of its dosage, and neither is a session
    saved before the child joined (no row: nobody knows whether they were there). One
    grouped query, driven by the enrolments and the indexes on sessions by cohort and date
    and on the register by session."""
    e, s, a = ENROLMENTS.c, SESSIONS.c, ATTENDANCE.c
    rows = db.execute(
        select(
            e.child_id,
            CHILDREN.c.reference,
            e.cohort_id,
            func.count(a.session_id.distinct()),
            func.count(case((a.status.in_(ATTENDED), s.id)).distinct()),
            func.min(case((withdrawn_by(scope.as_of), 1), else_=0)),
        )
        .select_from(
            ENROLMENTS.join(CHILDREN, CHILDREN.c.id == e.child_id)
            .outerjoin(
                SESSIONS,
                and_(
                    s.org_id == e.org_id,  # the index on sessions starts with org_id
                    s.cohort_id == e.cohort_id,
                    s.status == "delivered",
                    s.date <= scope.as_of,
                    enrolled_on(s.date),
                ),
            )
            .outerjoin(ATTENDANCE, and_(a.session_id == s.id, a.child_id == e.child_id))
        )
        .where(e.org_id == scope.org_id, e.start_date <= scope.as_of, scope.cohorts(e.cohort_id))
        .group_by(e.child_id, CHILDREN.c.reference, e.cohort_id)
        .order_by(CHILDREN.c.reference, e.cohort_id)
    ).all()
    out = []
    for child_id, reference, cohort_id, n_delivered, n_attended, withdrawn in rows:
        dosage = ratio(int(n_attended), int(n_delivered))
        out.append(
            ChildDosage(
                child_id,
                reference,
                cohort_id,
                int(n_delivered),
                int(n_attended),
                dosage,
                dosage is not None and dosage < scope.threshold and int(n_delivered) >= 4,
                bool(withdrawn),
            )
        )
    return out


# The report ----------------------------------------------------------------------------------


@dataclass
class Report:
    scope: Scope
    organisation: dict[str, float | None]
    cohorts: list[dict[str, Any]]
    children: list[ChildDosage]
    mentors: list[dict[str, Any]]
    sums: dict[int, Sums] = field(default_factory=dict)
    total: Sums = field(default_factory=Sums)  # the organisation's (or the scope's) sums


def _cohort_names(db: Session, scope: Scope) -> list[Any]:
    return list(
        db.execute(
            select(COHORTS.c.id, COHORTS.c.name, COHORTS.c.start_date)
            .where(COHORTS.c.org_id == scope.org_id, scope.cohorts(COHORTS.c.id))
            .order_by(COHORTS.c.start_date, COHORTS.c.name)
        ).all()
    )


def report(db: Session, scope: Scope) -> Report:
    """Every figure for the organisation (or the scope's cohorts), each cohort, each child
    and each mentor: a fixed number of grouped queries (11), whatever the data size."""
    by_cohort: dict[int, Sums] = defaultdict(Sums)
    _session_sums(db, scope, by_cohort)
    _retention_sums(db, scope, by_cohort)
    practice_sums(db, scope, SESSIONS.c.cohort_id, by_cohort)
    by_mentor: dict[int, Sums] = defaultdict(Sums)
    org = _mentoring_sums(db, scope, by_cohort, by_mentor)
    cohorts = _cohort_names(db, scope)
    total = Sums()
    for cohort_id, _, _ in cohorts:
        total.add(by_cohort[cohort_id])
    # The organisation's mentoring counts each match once, however many cohorts hold it.
    for name in ("minutes", "match_weeks", "weeks_with_visit", "weeks_in_band"):
        setattr(total, name, getattr(org, name))
    practice_sums(db, scope, ASSIGNMENTS.c.mentor_id, by_mentor)
    mentors = _mentor_rows(db, scope, by_mentor)
    return Report(
        scope=scope,
        organisation=total.metrics(),
        cohorts=[
            {"id": cid, "name": name, "start_date": start, "metrics": by_cohort[cid].metrics()}
            for cid, name, start in cohorts
        ],
        children=child_dosage(db, scope),
        mentors=mentors,
        sums=dict(by_cohort),
        total=total,
    )


def _mentor_rows(db: Session, scope: Scope, by_mentor: dict[int, Sums]) -> list[dict[str, Any]]:
    # Always one query, mentors or none: the dashboard's query count never varies.
    ids = [k for k in by_mentor if k is not None]
    names = dict(db.execute(select(USERS.c.id, USERS.c.name).where(USERS.c.id.in_(ids))).all())
    return [
        {"mentor_id": mid, "name": names.get(mid, ""), "metrics": by_mentor[mid].metrics()}
        for mid in sorted(ids, key=lambda i: names.get(i, ""))
    ]
