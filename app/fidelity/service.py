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

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from app.auth.models import Organisation, Role, User
from app.cohorts.models import enrolled_on
from app.exceptions import Forbidden, Invalid, NotFound
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
    PROGRAMMES,
    SESSIONS,
    USERS,
    VISITS,
    WEEKS,
    month_index,
    month_number,
    on_register,
    reached_length,
    week_index,
    week_number,
    withdrawn_by,
)
from app.programmes.models import ProgrammeKind

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


def tidy(hours: float) -> float:
    """Hours as the pages show them: 2 rather than 2.0."""
    return int(hours) if float(hours).is_integer() else float(hours)


@dataclass(frozen=True)
class ProgrammeBand:
    """What a programme holds its matches to, as the figures need it."""

    id: int
    name: str
    kind: str
    per: str  # "week" or "month"
    low: float
    high: float
    months: int | None  # the expected match length; None: open-ended

    @property
    def has_groups(self) -> bool:
        return ProgrammeKind(self.kind).has_groups

    @property
    def band(self) -> tuple[float, float]:
        return tidy(self.low), tidy(self.high)


@dataclass(frozen=True)
class Scope:
    org_id: int
    as_of: dt.date
    cohort_ids: tuple[int, ...] | None  # None: every cohort of the organisation
    threshold: float
    band: tuple[float, float]
    programme_id: int | None = None  # one programme only (its cohorts and its matches)
    programmes: tuple[ProgrammeBand, ...] = ()  # every programme of the organisation

    @property
    def programme(self) -> ProgrammeBand | None:
        return next((p for p in self.programmes if p.id == self.programme_id), None)

    def cohorts(self, column: Any) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.cohort_ids is not None:
            clauses.append(column.in_(self.cohort_ids))
        if self.programme_id is not None:
            clauses.append(
                column.in_(
                    select(COHORTS.c.id)
                    .where(COHORTS.c.programme_id == self.programme_id)
                    .correlate(None)
                )
            )
        return and_(*clauses) if clauses else true()


def _programmes(db: Session, org_id: int) -> tuple[ProgrammeBand, ...]:
    p = PROGRAMMES.c
    return tuple(
        ProgrammeBand(
            id,
            name,
            str(getattr(kind, "value", kind)),
            str(getattr(per, "value", per)),
            float(low),
            float(high),
            months,
        )
        for id, name, kind, per, low, high, months in db.execute(
            select(
                p.id,
                p.name,
                p.kind,
                p.band_per,
                p.band_min_hours,
                p.band_max_hours,
                p.match_length_months,
            )
            .where(p.org_id == org_id)
            .order_by(p.id)
        )
    )


def scope_for(
    db: Session,
    *,
    actor: User,
    as_of: dt.date,
    cohort_id: int | None = None,
    programme_id: int | None = None,
) -> Scope:
    """Leads and admins: the organisation, one of its programmes, or one of its cohorts. A
    facilitator: their own cohorts, or one of them. Anyone else: 403. Another organisation's
    cohort or programme: 404. A cohort with another programme's id: 422."""
    if actor.role not in (Role.lead, Role.admin, Role.facilitator):
        raise Forbidden("The fidelity figures are for programme leads and facilitators.")
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    programmes = _programmes(db, org.id or 0)
    if programme_id is not None and programme_id not in {p.id for p in programmes}:
        raise NotFound(f"There is no programme {programme_id}.")
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
            select(COHORTS.c.id, COHORTS.c.programme_id).where(
                COHORTS.c.id == cohort_id, COHORTS.c.org_id == org.id
            )
        ).first()
        if found is None or (mine is not None and cohort_id not in mine):
            raise NotFound(f"There is no cohort {cohort_id}.")
        if programme_id is not None and found[1] != programme_id:
            message = f"Cohort {cohort_id} is not in programme {programme_id}."
            raise Invalid(
                message,
                [{"loc": ["query", "cohort_id"], "msg": message, "type": "value_error"}],
            )
        mine = (cohort_id,)
    # Weekly figures use the programme's band; the organisation's pages show the band of
    # its first weekly programme (FHF-PT's), or the organisation's setting when none.
    chosen = next((p for p in programmes if p.id == programme_id), None)
    weekly = [p for p in programmes if p.per == "week"]
    if chosen is not None and chosen.per == "week":
        band: tuple[float, float] = chosen.band
    elif weekly:
        band = weekly[0].band
    else:
        band = (org.mentoring_hours_min, org.mentoring_hours_max)
    return Scope(
        org_id=org.id or 0,
        as_of=as_of,
        cohort_ids=mine,
        threshold=org.dosage_threshold,
        band=band,
        programme_id=programme_id,
        programmes=programmes,
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
    month_minutes: int = 0  # completed minutes in the match-months of monthly-band matches
    match_months: int = 0
    months_with_visit: int = 0
    months_in_band: int = 0
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
            "mentoring_hours_per_month": ratio(self.month_minutes / 60, self.match_months),
            "months_with_visit_rate": ratio(self.months_with_visit, self.match_months),
            "months_in_band_rate": ratio(self.months_in_band, self.match_months),
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
    """(match id, cohort id): a match belongs to the cohorts of its programme its child is
    enrolled in (an enrolment started on or before as_of: a later one does not exist yet)."""
    m, e = MATCHES.c, ENROLMENTS.c
    return (
        select(m.id.label("match_id"), e.cohort_id.label("cohort_id"))
        .select_from(
            MATCHES.join(ENROLMENTS, e.child_id == m.child_id).join(
                COHORTS,
                and_(COHORTS.c.id == e.cohort_id, COHORTS.c.programme_id == m.programme_id),
            )
        )
        .where(m.org_id == scope.org_id, e.start_date <= scope.as_of, scope.cohorts(e.cohort_id))
        .distinct()
        .subquery()
    )


def matches_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Matches of the scope's programme, and of children enrolled (by as_of) in the scope's
    cohorts in the cohort's own programme (every match, for the whole organisation)."""
    clauses: list[ColumnElement[bool]] = []
    if scope.programme_id is not None:
        clauses.append(MATCHES.c.programme_id == scope.programme_id)
    if scope.cohort_ids is not None:
        e = ENROLMENTS.c
        clauses.append(
            tuple_(MATCHES.c.child_id, MATCHES.c.programme_id).in_(
                select(e.child_id, COHORTS.c.programme_id)
                .select_from(ENROLMENTS.join(COHORTS, COHORTS.c.id == e.cohort_id))
                .where(
                    e.org_id == scope.org_id,
                    e.start_date <= scope.as_of,
                    e.cohort_id.in_(scope.cohort_ids),
                )
                .correlate(None)
            )
        )
    return and_(*clauses) if clauses else true()


def _mentoring_sums(
    db: Session,
    scope: Scope,
    by_cohort: dict[Any, Sums],
    by_mentor: dict[Any, Sums],
    by_programme: dict[Any, Sums],
) -> Sums:
    """Match-weeks (or match-months), completed minutes, periods with a visit and periods in
    the band for the organisation (returned), each cohort, each mentor and each programme:
    one query, which reads the visits once (a per-match CTE, then a UNION ALL of the
    groupings). Each match counts once in a group: a child in two cohorts counts in both
    cohorts, once for the organisation and once for their mentor.

    Each match is held to its own programme's band. A weekly band's periods are the ISO
    weeks of the match from the week of its start up to, not including, the week holding
    as_of, or up to and including the week of its end date if that is earlier; a monthly
    band's are the calendar months, alike (DESIGN.md, "Monthly bands")."""
    m, v, p = MATCHES.c, VISITS.c, PROGRAMMES.c
    monthly = p.band_per == "month"
    now = case(
        (monthly, literal(month_number(scope.as_of))), else_=literal(week_number(scope.as_of))
    )
    first = case((monthly, month_index(m.start_date)), else_=week_index(m.start_date))
    end = case((monthly, month_index(m.end_date)), else_=week_index(m.end_date))
    last_excl = case((and_(m.end_date.is_not(None), end + 1 < now), end + 1), else_=now)
    bounds = (
        select(
            m.id.label("match_id"),
            m.mentor_id.label("mentor_id"),
            m.programme_id.label("programme_id"),
            case((monthly, 1), else_=0).label("monthly"),
            (p.band_min_hours * 60).label("low"),
            (p.band_max_hours * 60).label("high"),
            first.label("first"),
            last_excl.label("last_excl"),
            case((last_excl > first, last_excl - first), else_=0).label("periods"),
        )
        .select_from(MATCHES.join(PROGRAMMES, p.id == m.programme_id))
        .where(m.org_id == scope.org_id, m.start_date <= scope.as_of, matches_in_scope(scope))
        .subquery()
    )
    b = bounds.c
    period = case((b.monthly == 1, month_index(v.date)), else_=week_index(v.date))
    per_period = (
        select(
            v.match_id.label("match_id"),
            period.label("period"),
            func.sum(v.minutes).label("minutes"),
            func.max(b.low).label("low"),
            func.max(b.high).label("high"),
        )
        .select_from(VISITS.join(bounds, b.match_id == v.match_id))
        .where(
            v.org_id == scope.org_id,
            v.status == "completed",
            period >= b.first,
            period < b.last_excl,
        )
        .group_by(v.match_id, period)
        .subquery()
    )
    q = per_period.c
    in_band = and_(q.minutes >= q.low, q.minutes <= q.high)
    visited = (
        select(
            q.match_id,
            func.sum(q.minutes).label("minutes"),
            func.count().label("visited"),
            func.sum(case((in_band, 1), else_=0)).label("in_band"),
        )
        .group_by(q.match_id)
        .subquery()
    )
    n_visited = func.coalesce(visited.c.visited, 0)
    # A period without a completed visit has 0 hours: in the band only if it starts at 0.
    empty_in_band = case((b.low == 0, b.periods - n_visited), else_=0)
    per_match = (
        select(
            b.match_id,
            b.mentor_id,
            b.programme_id,
            b.monthly,
            b.periods,
            func.coalesce(visited.c.minutes, 0).label("minutes"),
            n_visited.label("visited"),
            (func.coalesce(visited.c.in_band, 0) + empty_in_band).label("in_band"),
        )
        .select_from(bounds.outerjoin(visited, visited.c.match_id == b.match_id))
        .cte("per_match")
    )
    pm = per_match.c
    totals = (
        pm.monthly,
        func.sum(pm.periods),
        func.sum(pm.minutes),
        func.sum(pm.visited),
        func.sum(pm.in_band),
    )
    link = _match_cohorts(scope)
    rows = db.execute(
        union_all(
            select(literal("org"), literal(0), *totals).group_by(pm.monthly),
            select(literal("cohort"), link.c.cohort_id, *totals)
            .select_from(per_match.join(link, link.c.match_id == pm.match_id))
            .group_by(link.c.cohort_id, pm.monthly),
            select(literal("mentor"), pm.mentor_id, *totals).group_by(pm.mentor_id, pm.monthly),
            select(literal("programme"), pm.programme_id, *totals).group_by(
                pm.programme_id, pm.monthly
            ),
        )
    ).all()
    organisation = Sums()
    groups = {"cohort": by_cohort, "mentor": by_mentor, "programme": by_programme}
    for kind, grp, is_monthly, periods, minutes, n_with_visit, n_in_band in rows:
        row = organisation if kind == "org" else groups[kind][grp]
        if is_monthly:
            row.match_months = int(periods or 0)
            row.month_minutes = int(minutes or 0)
            row.months_with_visit = int(n_with_visit or 0)
            row.months_in_band = int(n_in_band or 0)
        else:
            row.match_weeks = int(periods or 0)
            row.minutes = int(minutes or 0)
            row.weeks_with_visit = int(n_with_visit or 0)
            row.weeks_in_band = int(n_in_band or 0)
    return organisation


# Match length and early endings ----------------------------------------------------------


@dataclass
class Lengths:
    """Match length and endings for a group (the organisation or one programme)."""

    median_days: float | None = None
    ended_expected: int = 0  # ended by as_of, in a programme with an expected length
    reached: int = 0
    early: dict[str, int] = field(default_factory=dict)  # ended_by -> matches ended early

    def add(self, other: Lengths) -> None:
        self.ended_expected += other.ended_expected
        self.reached += other.reached
        for key, n in other.early.items():
            self.early[key] = self.early.get(key, 0) + n

    def metrics(self, *, open_ended: bool) -> dict[str, Any]:
        return {
            "match_length_median_days": self.median_days,
            "reached_expected_rate": ratio(self.reached, self.ended_expected),
            "early_endings": None
            if open_ended or not self.ended_expected
            else {"total": sum(self.early.values()), "by": dict(sorted(self.early.items()))},
        }


NOT_GIVEN = "not_given"


def match_lengths(
    db: Session, scope: Scope
) -> tuple[Lengths, dict[int, Lengths], dict[int, Lengths]]:
    """Two grouped queries, whatever the number of matches or programmes: the median length
    in days of the matches started by as_of (end date, or as_of while running or ended
    later, minus start date), for the scope and each programme, by window functions; then
    the matches ended by as_of in programmes with an expected length, those that reached
    it and those that did not (early endings) by who ended them, for each programme and
    each cohort (a match in the cohorts of its programme its child is enrolled in).
    Returns the scope's, each programme's and each cohort's."""
    m, p = MATCHES.c, PROGRAMMES.c
    ended = and_(m.end_date.is_not(None), m.end_date <= scope.as_of)
    until = case((ended, m.end_date), else_=literal(scope.as_of))
    days = _days_between(db, m.start_date, until)
    base = (
        select(m.id.label("match_id"), m.programme_id.label("programme_id"), days.label("days"))
        .where(m.org_id == scope.org_id, m.start_date <= scope.as_of, matches_in_scope(scope))
        .cte("lengths")
    )
    link = _match_cohorts(scope)

    def middle(group: Any, label: str, linked: bool = False) -> Any:
        ranked = select(
            group.label("grp"),
            base.c.days,
            func.row_number().over(partition_by=group, order_by=base.c.days).label("n"),
            func.count().over(partition_by=group).label("total"),
        )
        if linked:
            ranked = ranked.select_from(base.join(link, link.c.match_id == base.c.match_id))
        else:
            ranked = ranked.select_from(base)
        ranked_q = ranked.subquery()
        r = ranked_q.c
        return (
            select(literal(label), r.grp, func.avg(r.days))
            .where(or_(r.n == (r.total + 1) // 2, r.n == (r.total + 2) // 2))
            .group_by(r.grp)
        )

    total = Lengths()
    groups: dict[str, dict[int, Lengths]] = {
        "programme": defaultdict(Lengths),
        "cohort": defaultdict(Lengths),
    }
    for kind, grp, median in db.execute(
        union_all(
            middle(literal(0), "org"),
            middle(base.c.programme_id, "programme"),
            middle(link.c.cohort_id, "cohort", linked=True),
        )
    ):
        target = total if kind == "org" else groups[kind][grp]
        target.median_days = None if median is None else float(median)
    reached = reached_length(m.start_date, m.end_date, p.match_length_months)
    ends = (
        select(
            m.id.label("match_id"),
            m.programme_id.label("programme_id"),
            m.ended_by.label("ended_by"),
            case((reached, 1), else_=0).label("reached"),
        )
        .select_from(MATCHES.join(PROGRAMMES, p.id == m.programme_id))
        .where(
            m.org_id == scope.org_id,
            ended,
            p.match_length_months.is_not(None),
            matches_in_scope(scope),
        )
        .cte("ends")
    )
    en = ends.c
    counted = (func.count(), func.sum(en.reached))
    for kind, grp, ended_by, n, n_reached in db.execute(
        union_all(
            select(literal("programme"), en.programme_id, en.ended_by, *counted).group_by(
                en.programme_id, en.ended_by
            ),
            select(literal("cohort"), link.c.cohort_id, en.ended_by, *counted)
            .select_from(ends.join(link, link.c.match_id == en.match_id))
            .group_by(link.c.cohort_id, en.ended_by),
        )
    ):
        row = groups[kind][grp]
        row.ended_expected += int(n)
        row.reached += int(n_reached or 0)
        early = int(n) - int(n_reached or 0)
        if early:
            key = str(getattr(ended_by, "value", ended_by) or NOT_GIVEN)
            row.early[key] = row.early.get(key, 0) + early
    for row in groups["programme"].values():
        total.add(row)
    return total, dict(groups["programme"]), dict(groups["cohort"])


def _days_between(db: Session, start: Any, end: Any) -> Any:
    """Whole days from `start` to `end`, on SQLite and PostgreSQL."""
    if db.get_bind().dialect.name == "postgresql":
        return end - start
    return cast(func.julianday(end) - func.julianday(start), Integer)


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


MONTHLY = ("mentoring_hours_per_month", "months_with_visit_rate", "months_in_band_rate")
WEEKLY = ("mentoring_hours_per_week", "weeks_with_visit_rate", "weeks_in_band_rate")
GROUPS = (
    "delivery_rate",
    "attendance_rate",
    "core_coverage_rate",
    "two_facilitator_rate",
    "practice_completion_rate",
    "retention_rate",
)
NO_GROUPS = "This programme has no groups."
# Why the other period's figures are left out, by the programme's own band period.
NOT_OUR_BAND = {
    "week": "This programme's visit band is per week.",
    "month": "This programme's visit band is per month.",
}
OPEN_ENDED = "This programme's matches are open-ended: no ending is early."


def not_applicable(programme: ProgrammeBand) -> dict[str, str]:
    """The figures that do not apply to a programme's kind, each with the reason (they are
    null in its figures, never 0)."""
    out = {}
    if not programme.has_groups:
        out.update(dict.fromkeys(GROUPS, NO_GROUPS))
    out.update(
        dict.fromkeys(MONTHLY if programme.per == "week" else WEEKLY, NOT_OUR_BAND[programme.per])
    )
    if programme.months is None:
        out.update(reached_expected_rate=OPEN_ENDED, early_endings=OPEN_ENDED)
    return out


def programme_metrics(programme: ProgrammeBand, sums: Sums, lengths: Lengths) -> dict[str, Any]:
    """A programme's figures, with those that do not apply to it null."""
    values: dict[str, Any] = {
        **sums.metrics(),
        **lengths.metrics(open_ended=programme.months is None),
    }
    for key in not_applicable(programme):
        values[key] = None
    return values


@dataclass
class Report:
    scope: Scope
    organisation: dict[str, Any]
    cohorts: list[dict[str, Any]]
    children: list[ChildDosage]
    mentors: list[dict[str, Any]]
    sums: dict[int, Sums] = field(default_factory=dict)
    total: Sums = field(default_factory=Sums)  # the organisation's (or the scope's) sums
    # Each programme's figures (the whole organisation's report), in the order of their ids.
    programmes: list[dict[str, Any]] = field(default_factory=list)
    not_applicable: dict[str, str] = field(default_factory=dict)


def _cohort_names(db: Session, scope: Scope) -> list[Any]:
    return list(
        db.execute(
            select(COHORTS.c.id, COHORTS.c.name, COHORTS.c.start_date, COHORTS.c.programme_id)
            .where(COHORTS.c.org_id == scope.org_id, scope.cohorts(COHORTS.c.id))
            .order_by(COHORTS.c.start_date, COHORTS.c.name)
        ).all()
    )


def report(db: Session, scope: Scope) -> Report:
    """Every figure for the organisation (or the scope's programme or cohorts), each
    programme, each cohort, each child and each mentor: a fixed number of grouped queries
    (13), whatever the data size or the number of programmes."""
    by_cohort: dict[int, Sums] = defaultdict(Sums)
    _session_sums(db, scope, by_cohort)
    _retention_sums(db, scope, by_cohort)
    practice_sums(db, scope, SESSIONS.c.cohort_id, by_cohort)
    by_mentor: dict[int, Sums] = defaultdict(Sums)
    by_programme: dict[int, Sums] = defaultdict(Sums)
    org = _mentoring_sums(db, scope, by_cohort, by_mentor, by_programme)
    lengths, lengths_by_programme, lengths_by_cohort = match_lengths(db, scope)
    cohorts = _cohort_names(db, scope)
    total = Sums()
    group_sums: dict[int, Sums] = defaultdict(Sums)
    for cohort_id, _, _, programme_id in cohorts:
        total.add(by_cohort[cohort_id])
        group_sums[programme_id].add(by_cohort[cohort_id])
    # The organisation's mentoring counts each match once, however many cohorts hold it.
    for name in MENTORING_SUMS:
        setattr(total, name, getattr(org, name))
    practice_sums(db, scope, ASSIGNMENTS.c.mentor_id, by_mentor)
    mentors = _mentor_rows(db, scope, by_mentor)
    chosen = scope.programme
    open_ended = all(p.months is None for p in scope.programmes) if scope.programmes else False
    if chosen is not None:
        organisation = programme_metrics(chosen, total, lengths)
        missing = not_applicable(chosen)
    else:
        organisation = {**total.metrics(), **lengths.metrics(open_ended=open_ended)}
        missing = {}
    programmes = []
    if chosen is None and scope.cohort_ids is None and len(scope.programmes) > 1:
        for programme in scope.programmes:
            sums = Sums()
            sums.add(group_sums.get(programme.id, Sums()))
            for name in MENTORING_SUMS:
                setattr(sums, name, getattr(by_programme.get(programme.id, Sums()), name))
            programmes.append(
                {
                    "programme": programme,
                    "metrics": programme_metrics(
                        programme, sums, lengths_by_programme.get(programme.id, Lengths())
                    ),
                    "not_applicable": not_applicable(programme),
                }
            )
    return Report(
        scope=scope,
        organisation=organisation,
        cohorts=[
            {
                "id": cid,
                "name": name,
                "start_date": start,
                "metrics": {
                    **by_cohort[cid].metrics(),
                    **lengths_by_cohort.get(cid, Lengths()).metrics(open_ended=False),
                },
            }
            for cid, name, start, _ in cohorts
        ],
        children=child_dosage(db, scope),
        mentors=mentors,
        sums=dict(by_cohort),
        total=total,
        programmes=programmes,
        not_applicable=missing,
    )


MENTORING_SUMS = (
    "minutes",
    "match_weeks",
    "weeks_with_visit",
    "weeks_in_band",
    "month_minutes",
    "match_months",
    "months_with_visit",
    "months_in_band",
)


def _mentor_rows(db: Session, scope: Scope, by_mentor: dict[int, Sums]) -> list[dict[str, Any]]:
    # Always one query, mentors or none: the dashboard's query count never varies.
    ids = [k for k in by_mentor if k is not None]
    names = dict(db.execute(select(USERS.c.id, USERS.c.name).where(USERS.c.id.in_(ids))).all())
    return [
        {"mentor_id": mid, "name": names.get(mid, ""), "metrics": by_mentor[mid].metrics()}
        for mid in sorted(ids, key=lambda i: names.get(i, ""))
    ]
