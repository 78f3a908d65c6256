"""The mentor's week, "my mentees" across programmes: for each active mentee in a programme
with groups (FHF-PT), the last group session (and what they missed of it), the open practice
tasks, the week's visits and hours, and where those hours stand against the organisation's
band; for a mentee in a programme without groups (mentoring-only, befriending, an Independent
Visitor), the week's visits, the last and next visit and the hours of the month against the
programme's band."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.auth.models import Role, User
from app.children.models import Child
from app.clock import now_for, week_of
from app.cohorts import enrolments
from app.cohorts.models import Cohort, Enrolment, GroupSession, SessionStatus
from app.curriculum.models import Activity, CurriculumWeek
from app.exceptions import Forbidden
from app.mentoring.models import Match, MentorVisit, VisitStatus
from app.mentoring.practice.service import assignments_query
from app.mentoring.schemas import WeekTarget
from app.mentoring.shared import add_months, organisation
from app.mentoring.visits.service import VISITS, links_of
from app.programmes.models import BandPer, Programme, ProgrammeKind
from app.sessions.models import (
    AssignmentStatus,
    Attendance,
    Coverage,
    CoverageStatus,
    PracticeAssignment,
)


def week_target(
    *,
    completed_minutes: int,
    planned_minutes: int,
    band: tuple[float, float],
    week_end: dt.date,
    today: dt.date,
) -> WeekTarget:
    """Where one mentee's visits of one week (Monday to Sunday, ending `week_end`) stand
    against the organisation's band of `low` to `high` hours a week.

    C is the minutes of the week's `completed` visits; P the minutes of its visits still
    `planned` (not yet recorded as completed, missed or cancelled, whatever their time of
    day: until the mentor records how a visit went it may still count). The week is over
    once `today` is after `week_end`.

    - `above_target`: C > high * 60. More has been done than the band already.
    - `on_target`: low * 60 <= C <= high * 60. The band is met.
    - `below_target`: C < low * 60, and either the week is over or C + P < low * 60: the
      completed and still-planned visits together can no longer reach the band.
    - `on_track`: otherwise (C < low * 60, the week not over, C + P >= low * 60): not met
      yet, but the visits still planned would meet it. Neutral: no warning.
    """
    low, high = band[0] * 60, band[1] * 60
    if completed_minutes > high:
        return WeekTarget.above_target
    if completed_minutes >= low:
        return WeekTarget.on_target
    if today > week_end or completed_minutes + planned_minutes < low:
        return WeekTarget.below_target
    return WeekTarget.on_track


@dataclass(frozen=True)
class ActivityRef:
    """An activity of the last group, with its guidance and where the curriculum shows it."""

    key: str
    title: str
    guidance: str
    curriculum_id: int
    week: int
    status: str | None = None  # the group's coverage: partial or skipped

    @property
    def url(self) -> str:
        return f"/curriculum/{self.curriculum_id}/weeks/{self.week}#activity-{self.key}"


@dataclass(frozen=True)
class Band:
    """The hours a mentee's visits are held to: `low` to `high` hours a week or a month."""

    per: BandPer
    low: float
    high: float

    @property
    def pair(self) -> tuple[float, float]:
        return (self.low, self.high)


@dataclass(frozen=True)
class ProgrammeRef:
    """The programme a mentee's match is in, as the week shows it."""

    id: int
    name: str
    kind: ProgrammeKind

    @property
    def has_groups(self) -> bool:
        return self.kind.has_groups


@dataclass(frozen=True)
class VisitRef:
    """One visit, as the last or next visit of a mentee."""

    id: int
    date: dt.date
    start_time: dt.time | None
    minutes: int
    status: VisitStatus


@dataclass
class Mentee:
    match: Match
    first_name: str
    programme: ProgrammeRef
    # The band the hours are held to: a programme with groups (FHF-PT) keeps the
    # organisation's weekly band, as before programmes; any other, its own.
    band: Band
    last_session: Any | None = None  # (session_id, date, week, title, attendance)
    missed_core: list[str] = field(default_factory=list)
    # The same core activities with their guidance (missed_core is the API's list of titles).
    missed_activities: list[ActivityRef] = field(default_factory=list)
    # What the group itself skipped or did only partly at the last session.
    not_covered: list[ActivityRef] = field(default_factory=list)
    # The facilitator's register note about this child (never another child's).
    register_note: str | None = None
    curriculum_id: int | None = None
    lesson_week: int = 0
    assignments: list[Any] = field(default_factory=list)
    visits: list[MentorVisit] = field(default_factory=list)
    minutes_completed: int = 0
    # An earlier match of the child in the same programme has ended: tasks from before this
    # match were theirs.
    had_earlier_mentor: bool = False
    # A programme without groups: the last recorded (completed or missed) visit on or before
    # the week's end, the first planned visit still to come, and the month's minutes.
    last_visit: VisitRef | None = None
    next_visit: VisitRef | None = None
    month_minutes_completed: int = 0
    month_minutes_planned: int = 0

    @property
    def inherited(self) -> list[Any]:
        """Open tasks set before this match began (an earlier mentor's), newest first."""
        rows = [row for row in self.assignments if row[5] < self.match.start_date]
        return sorted(rows, key=lambda row: (row[5], row[0].id or 0), reverse=True)

    @property
    def own_tasks(self) -> list[Any]:
        return [row for row in self.assignments if row[5] >= self.match.start_date]

    @property
    def monthly(self) -> bool:
        return self.band.per == BandPer.month

    def target(self, week: Week, today: dt.date) -> WeekTarget:
        """Where the hours stand against the band: the week's for a weekly band, the
        month's (the calendar month of the day asked) for a monthly one."""
        if self.monthly:
            return week_target(
                completed_minutes=self.month_minutes_completed,
                planned_minutes=self.month_minutes_planned,
                band=self.band.pair,
                week_end=week.month_end,
                today=today,
            )
        planned = sum(v.minutes for v in self.visits if v.status == VisitStatus.planned)
        return week_target(
            completed_minutes=self.minutes_completed,
            planned_minutes=planned,
            band=self.band.pair,
            week_end=week.end,
            today=today,
        )

    def in_band(self) -> bool:
        """The completed hours of the period (week or month) lie in the band."""
        minutes = self.month_minutes_completed if self.monthly else self.minutes_completed
        hours = round(minutes / 60, 2)
        return self.band.low <= hours <= self.band.high


@dataclass
class Week:
    start: dt.date
    end: dt.date
    mentees: list[Mentee]
    band: tuple[int, int]
    links: dict[int, list[int]]
    # The calendar month of the day asked (a monthly band's hours are this month's).
    month_start: dt.date = dt.date.min
    month_end: dt.date = dt.date.min

    @property
    def programmes(self) -> list[ProgrammeRef]:
        """The programmes of the mentor's mentees, in order of first appearance."""
        seen: dict[int, ProgrammeRef] = {}
        for m in self.mentees:
            seen.setdefault(m.programme.id, m.programme)
        return list(seen.values())


def mentor_week(db: Session, *, actor: User, day: dt.date, now: dt.datetime | None = None) -> Week:
    """For each active mentee, across the mentor's programmes. In a programme with groups:
    the last group session on or before `day` (with the lesson, the child's attendance and
    the facilitator's note about them, the core activities if missed, what the group skipped
    or did partly), open practice tasks (and whether an earlier mentor had the child), and
    the week's visits and hours. In one without groups: the week's visits, the last recorded
    visit, the next planned one (after `now`, the organisation's local time) and the minutes
    of the month of `day`. At most twelve queries, whatever the number of mentees, visits or
    programmes."""
    if actor.role != Role.mentor:
        raise Forbidden("The mentor's week is for mentors.")
    org = organisation(db, actor.org_id)
    start, end = week_of(day)
    month_start = day.replace(day=1)
    month_end = add_months(month_start, 1) - dt.timedelta(days=1)
    org_band = (org.mentoring_hours_min, org.mentoring_hours_max)
    rows = db.execute(
        sa_select(
            Match,
            col(Child.first_name),
            col(Programme.name),
            col(Programme.kind),
            col(Programme.band_per),
            col(Programme.band_min_hours),
            col(Programme.band_max_hours),
        )
        .join(Child, col(Child.id) == col(Match.child_id))
        .join(Programme, col(Programme.id) == col(Match.programme_id))
        .where(
            col(Match.org_id) == actor.org_id,
            col(Match.mentor_id) == actor.id,
            col(Match.end_date).is_(None),
        )
        .order_by(col(Child.first_name), col(Match.id))
    ).all()
    everyone: list[Mentee] = []
    for m, name, p_name, kind, per, low, high in rows:
        ref = ProgrammeRef(m.programme_id, p_name, ProgrammeKind(kind))
        band = Band(BandPer(per), float(low), float(high))
        everyone.append(Mentee(m, name, ref, band))
    week = Week(start, end, everyone, org_band, {}, month_start, month_end)
    if not everyone:
        return week
    # A child in two of the mentor's programmes is two mentees: rows about the child's group
    # go to the mentees in a programme with groups only.
    mentees: dict[int, list[Mentee]] = {}
    for mentee in everyone:
        if mentee.programme.has_groups:
            mentees.setdefault(mentee.match.child_id, []).append(mentee)
    children = list(mentees)
    if children:
        _group_blocks(db, actor=actor, day=day, end=end, mentees=mentees)
    by_match = {mentee.match.id or 0: mentee for mentee in everyone}
    earlier = set(
        db.execute(
            sa_select(col(Match.child_id), col(Match.programme_id)).where(
                col(Match.org_id) == actor.org_id,
                col(Match.child_id).in_({m.match.child_id for m in everyone}),
                col(Match.end_date).is_not(None),
            )
        ).all()
    )
    for mentee in everyone:
        if (mentee.match.child_id, mentee.match.programme_id) in earlier:
            mentee.had_earlier_mentor = True
    visits = list(
        db.exec(
            select(MentorVisit)
            .where(
                MentorVisit.org_id == actor.org_id,
                MentorVisit.mentor_id == actor.id,
                col(MentorVisit.match_id).in_(list(by_match)),
                col(MentorVisit.date).between(start, end),
            )
            .order_by(col(MentorVisit.date), col(MentorVisit.start_time))
        ).all()
    )
    for visit in visits:
        mentee = by_match[visit.match_id]
        mentee.visits.append(visit)
        if visit.status == VisitStatus.completed:
            mentee.minutes_completed += visit.minutes
    without_groups = [m for m in everyone if not m.programme.has_groups]
    if without_groups:
        _visits_summary(
            db,
            mentees={m.match.id or 0: m for m in without_groups},
            week=week,
            now=now if now is not None else now_for(db, actor),
        )
    week.links = links_of(db, [v.id or 0 for v in visits])
    return week


def _visits_summary(
    db: Session, *, mentees: dict[int, Mentee], week: Week, now: dt.datetime
) -> None:
    """The month's completed and planned minutes, the last recorded visit and the next
    planned one of each mentee in a programme without groups: three queries."""
    ids = list(mentees)
    for match_id, completed, planned in db.execute(
        sa_select(
            VISITS.c.match_id,
            func.sum(
                case((VISITS.c.status == VisitStatus.completed.value, VISITS.c.minutes), else_=0)
            ),
            func.sum(
                case((VISITS.c.status == VisitStatus.planned.value, VISITS.c.minutes), else_=0)
            ),
        )
        .where(
            VISITS.c.match_id.in_(ids),
            VISITS.c.date.between(week.month_start, week.month_end),
        )
        .group_by(VISITS.c.match_id)
    ):
        mentees[match_id].month_minutes_completed = int(completed or 0)
        mentees[match_id].month_minutes_planned = int(planned or 0)
    today, time_now = now.date(), now.time().replace(tzinfo=None)
    columns = (
        VISITS.c.match_id,
        VISITS.c.id,
        VISITS.c.date,
        VISITS.c.start_time,
        VISITS.c.minutes,
        VISITS.c.status,
    )
    last = (
        sa_select(
            *columns,
            func.row_number()
            .over(
                partition_by=VISITS.c.match_id,
                order_by=(
                    VISITS.c.date.desc(),
                    VISITS.c.start_time.desc().nulls_last(),
                    VISITS.c.id.desc(),
                ),
            )
            .label("n"),
        )
        .where(
            VISITS.c.match_id.in_(ids),
            VISITS.c.status.in_((VisitStatus.completed.value, VisitStatus.missed.value)),
            VISITS.c.date <= week.end,
        )
        .subquery()
    )
    following = (
        sa_select(
            *columns,
            func.row_number()
            .over(
                partition_by=VISITS.c.match_id,
                order_by=(
                    VISITS.c.date,
                    VISITS.c.start_time.nulls_last(),
                    VISITS.c.id,
                ),
            )
            .label("n"),
        )
        .where(
            VISITS.c.match_id.in_(ids),
            VISITS.c.status == VisitStatus.planned.value,
            # Still to come: a later day, or later today (a planned visit with no time has
            # begun once its day has, as planning.has_started reads it).
            or_(
                VISITS.c.date > today,
                (VISITS.c.date == today) & (VISITS.c.start_time > time_now),
            ),
        )
        .subquery()
    )
    for table, attr in ((last, "last_visit"), (following, "next_visit")):
        for match_id, visit_id, date, start_time, minutes, status, _n in db.execute(
            sa_select(table).where(table.c.n == 1)
        ):
            setattr(
                mentees[match_id],
                attr,
                VisitRef(visit_id, date, start_time, minutes, VisitStatus(status)),
            )


def _group_blocks(
    db: Session,
    *,
    actor: User,
    day: dt.date,
    end: dt.date,
    mentees: dict[int, list[Mentee]],
) -> None:
    """Each group mentee's last session, what they missed of it, what the group did not
    cover, and their open practice tasks: at most five queries."""
    children = list(mentees)
    # The latest delivered session each mentee was expected at, on or before the day.
    ranked = (
        sa_select(
            col(Enrolment.child_id).label("child_id"),
            col(GroupSession.id).label("session_id"),
            col(GroupSession.date).label("date"),
            col(GroupSession.week).label("week"),
            col(Cohort.curriculum_id).label("curriculum_id"),
            func.row_number()
            .over(
                partition_by=col(Enrolment.child_id),
                order_by=(col(GroupSession.date).desc(), col(GroupSession.id).desc()),
            )
            .label("n"),
        )
        .join(GroupSession, col(GroupSession.cohort_id) == col(Enrolment.cohort_id))
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(
            col(Enrolment.org_id) == actor.org_id,
            col(Enrolment.child_id).in_(children),
            col(GroupSession.status) == SessionStatus.delivered,
            col(GroupSession.date) <= day,
            enrolments.expected_children(GroupSession.date),
        )
        .subquery()
    )
    last_rows = db.execute(
        sa_select(
            ranked.c.child_id,
            ranked.c.session_id,
            ranked.c.date,
            ranked.c.week,
            col(CurriculumWeek.title),
            col(Attendance.status),
            col(CurriculumWeek.id),
            col(Attendance.note),
            ranked.c.curriculum_id,
        )
        .join(
            CurriculumWeek,
            (col(CurriculumWeek.curriculum_id) == ranked.c.curriculum_id)
            & (col(CurriculumWeek.week) == ranked.c.week),
        )
        .outerjoin(
            Attendance,
            (col(Attendance.session_id) == ranked.c.session_id)
            & (col(Attendance.child_id) == ranked.c.child_id),
        )
        .where(ranked.c.n == 1)
    ).all()
    missed_weeks: dict[int, list[int]] = {}
    by_session: dict[int, list[int]] = {}
    for row in last_rows:
        child_id, session_id, date, week, title, attendance, week_id, note, curriculum = row
        status = attendance.value if attendance is not None else None
        for mentee in mentees[child_id]:
            mentee.last_session = (session_id, date, week, title, status)
            mentee.register_note = note or None
            mentee.curriculum_id = curriculum
            mentee.lesson_week = week
        by_session.setdefault(session_id, []).append(child_id)
        if status not in ("present", "late"):
            missed_weeks.setdefault(week_id, []).append(child_id)
    if missed_weeks:
        for week_id, key, title, guidance in db.execute(
            sa_select(
                col(Activity.week_id),
                col(Activity.key),
                col(Activity.title),
                col(Activity.guidance),
            )
            .where(col(Activity.week_id).in_(list(missed_weeks)), col(Activity.core).is_(True))
            .order_by(col(Activity.position))
        ):
            for child_id in missed_weeks[week_id]:
                for mentee in mentees[child_id]:
                    mentee.missed_core.append(title)
                    mentee.missed_activities.append(
                        ActivityRef(
                            key, title, guidance, mentee.curriculum_id or 0, mentee.lesson_week
                        )
                    )
    if by_session:
        for session_id, key, title, guidance, status in db.execute(
            sa_select(
                col(Coverage.session_id),
                col(Activity.key),
                col(Activity.title),
                col(Activity.guidance),
                col(Coverage.status),
            )
            .join(Activity, col(Activity.id) == col(Coverage.activity_id))
            .where(
                col(Coverage.org_id) == actor.org_id,
                col(Coverage.session_id).in_(list(by_session)),
                col(Coverage.status) != CoverageStatus.delivered,
            )
            .order_by(col(Activity.position))
        ):
            for child_id in by_session[session_id]:
                for mentee in mentees[child_id]:
                    mentee.not_covered.append(
                        ActivityRef(
                            key,
                            title,
                            guidance,
                            mentee.curriculum_id or 0,
                            mentee.lesson_week,
                            status.value,
                        )
                    )
    for row in db.execute(
        assignments_query(actor).where(
            col(PracticeAssignment.status) != AssignmentStatus.completed,
            col(PracticeAssignment.child_id).in_(children),
            # A week's list never holds a task from a later group.
            col(GroupSession.date) <= end,
        )
    ):
        for mentee in mentees[row[0].child_id]:
            mentee.assignments.append(row)
