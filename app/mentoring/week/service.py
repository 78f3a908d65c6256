"""The mentor's week: for each active mentee, the last group session (and what they missed
of it), the open practice tasks, the week's visits and hours, and where those hours stand
against the organisation's band."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.auth.models import Role, User
from app.children.models import Child
from app.clock import week_of
from app.cohorts import enrolments
from app.cohorts.models import Cohort, Enrolment, GroupSession, SessionStatus
from app.curriculum.models import Activity, CurriculumWeek
from app.exceptions import Forbidden
from app.mentoring.models import Match, MentorVisit, VisitStatus
from app.mentoring.practice.service import assignments_query
from app.mentoring.schemas import WeekTarget
from app.mentoring.shared import organisation
from app.mentoring.visits.service import links_of
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
    band: tuple[int, int],
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


@dataclass
class Mentee:
    match: Match
    first_name: str
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
    # An earlier match of the child has ended: tasks from before this match were theirs.
    had_earlier_mentor: bool = False

    @property
    def inherited(self) -> list[Any]:
        """Open tasks set before this match began (an earlier mentor's), newest first."""
        rows = [row for row in self.assignments if row[5] < self.match.start_date]
        return sorted(rows, key=lambda row: (row[5], row[0].id or 0), reverse=True)

    @property
    def own_tasks(self) -> list[Any]:
        return [row for row in self.assignments if row[5] >= self.match.start_date]


@dataclass
class Week:
    start: dt.date
    end: dt.date
    mentees: list[Mentee]
    band: tuple[int, int]
    links: dict[int, list[int]]


def mentor_week(db: Session, *, actor: User, day: dt.date) -> Week:
    """For each active mentee: the last group session on or before `day` (with the lesson,
    the child's attendance and the facilitator's note about them, the core activities if
    missed, what the group skipped or did partly), open practice tasks (and whether an
    earlier mentor had the child), and the week's visits and hours. Nine queries, whatever
    the number of mentees or visits."""
    if actor.role != Role.mentor:
        raise Forbidden("The mentor's week is for mentors.")
    org = organisation(db, actor.org_id)
    start, end = week_of(day)
    rows = db.execute(
        sa_select(Match, col(Child.first_name))
        .join(Child, col(Child.id) == col(Match.child_id))
        .where(
            col(Match.org_id) == actor.org_id,
            col(Match.mentor_id) == actor.id,
            col(Match.end_date).is_(None),
        )
        .order_by(col(Child.first_name), col(Match.id))
    ).all()
    mentees = {m.child_id: Mentee(m, name) for m, name in rows}
    children = list(mentees)
    if not children:
        return Week(start, end, [], (org.mentoring_hours_min, org.mentoring_hours_max), {})
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
        mentee = mentees[child_id]
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
                mentee = mentees[child_id]
                mentee.missed_core.append(title)
                mentee.missed_activities.append(
                    ActivityRef(key, title, guidance, mentee.curriculum_id or 0, mentee.lesson_week)
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
                mentee = mentees[child_id]
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
    earlier = set(
        db.execute(
            sa_select(col(Match.child_id)).where(
                col(Match.org_id) == actor.org_id,
                col(Match.child_id).in_(children),
                col(Match.end_date).is_not(None),
            )
        ).scalars()
    )
    for child_id in earlier:
        mentees[child_id].had_earlier_mentor = True
    for row in db.execute(
        assignments_query(actor).where(
            col(PracticeAssignment.status) != AssignmentStatus.completed,
            col(PracticeAssignment.child_id).in_(children),
            # A week's list never holds a task from a later group.
            col(GroupSession.date) <= end,
        )
    ):
        mentees[row[0].child_id].assignments.append(row)
    visits = list(
        db.exec(
            select(MentorVisit)
            .where(
                MentorVisit.org_id == actor.org_id,
                MentorVisit.mentor_id == actor.id,
                col(MentorVisit.child_id).in_(children),
                col(MentorVisit.date).between(start, end),
            )
            .order_by(col(MentorVisit.date), col(MentorVisit.start_time))
        ).all()
    )
    for visit in visits:
        mentee = mentees[visit.child_id]
        if visit.match_id != mentee.match.id:
            continue
        mentee.visits.append(visit)
        if visit.status == VisitStatus.completed:
            mentee.minutes_completed += visit.minutes
    return Week(
        start,
        end,
        list(mentees.values()),
        (org.mentoring_hours_min, org.mentoring_hours_max),
        links_of(db, [v.id or 0 for v in visits]),
    )
