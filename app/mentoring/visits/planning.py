"""Planning visits: a weekly slot around the child's group, from a date until the cohort's
last session, skipping closures, checked against the mentor's other visits and the
child's group sessions; a match in a programme without groups until its expected end, weekly
or monthly (the first open weekday of each month); and planning a cancelled visit again
(undoing the cancelling)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container

from sqlalchemy import delete, func, insert, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.clock import local_datetime
from app.cohorts import service as cohorts
from app.cohorts.models import Enrolment, EnrolmentStatus, GroupSession, SessionStatus
from app.exceptions import Conflict, Invalid
from app.mentoring.matching.service import get_match, require_active
from app.mentoring.models import MentorVisit, VisitStatus
from app.mentoring.schemas import VisitPlanIn
from app.mentoring.shared import add_months, invalid, organisation
from app.mentoring.visits.service import (
    VISITS,
    busy_between,
    check_visit,
    get_visit,
    lock_mentor,
    require_match_mentor_or_staff,
    require_visit_role,
)
from app.programmes import service as programmes
from app.programmes.models import BandPer, ProgrammeKind

PLAN_WEEKS_MAX = 60
PLAN_MONTHS_MAX = 24
# A programme without groups and no expected end (or one already passed): plan a year ahead.
OPEN_ENDED_MONTHS = 12


def weekly_days(first: dt.date, last: dt.date, weekday: int) -> list[dt.date]:
    """Every `weekday` (ISO, 1 Monday) from `first` to `last`."""
    days = []
    day = first + dt.timedelta(days=(weekday - first.isoweekday()) % 7)
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=7)
    return days


def monthly_days(
    first: dt.date, last: dt.date, weekday: int, closed: Container[dt.date]
) -> list[dt.date]:
    """One day a month from `first` to `last`: the month's first `weekday` (ISO) that is not
    closed, if it falls in the range. A month whose open `weekday`s all fall before `first`
    (or whose only ones are closed) has none."""
    days = []
    month = first.replace(day=1)
    while month <= last:
        day = month + dt.timedelta(days=(weekday - month.isoweekday()) % 7)
        while day.month == month.month and day in closed:
            day += dt.timedelta(days=7)
        if day.month == month.month and first <= day <= last:
            days.append(day)
        month = add_months(month, 1)
    return days


def default_until(*, first: dt.date, start: dt.date, months: int | None, every: BandPer) -> dt.date:
    """A match without a cohort: its expected end (start + the programme's match length),
    or, open-ended or already past it, 12 months from `first`; at most as far as a plan
    may reach."""
    expected = add_months(start, months) if months is not None else None
    last = (
        expected
        if expected is not None and expected >= first
        else add_months(first, OPEN_ENDED_MONTHS)
    )
    if every == BandPer.month:
        return min(last, add_months(first, PLAN_MONTHS_MAX) - dt.timedelta(days=1))
    return min(last, first + dt.timedelta(weeks=PLAN_WEEKS_MAX) - dt.timedelta(days=1))


def _cohort_of(db: Session, child_id: int) -> tuple[int, dt.date] | None:
    """The child's active cohort and the date of its last live session."""
    row = db.execute(
        sa_select(col(Enrolment.cohort_id), func.max(GroupSession.date))
        .join(GroupSession, col(GroupSession.cohort_id) == col(Enrolment.cohort_id))
        .where(
            col(Enrolment.child_id) == child_id,
            col(Enrolment.status) == EnrolmentStatus.active,
            col(GroupSession.status) != SessionStatus.cancelled,
        )
        .group_by(col(Enrolment.cohort_id))
    ).first()
    return (row[0], row[1]) if row else None


def plan_visits(
    db: Session, *, actor: User, match_id: int, data: VisitPlanIn, now: dt.datetime
) -> list[MentorVisit]:
    """A planned visit in the slot every week (or, `every` month, on the month's first open
    weekday), from `from` (default today) until `until`, by default the cohort's last
    session (a programme with groups) or the match's expected end (`default_until`),
    skipping closures. Planned visits of this match from that date on are replaced; 409
    naming the first clash with any of the mentor's visits, in any programme, or the
    child's group sessions.

    `now` is the organisation's local time: a plan made today starts today only when
    today's slot is still to come (nothing is planned for a time already past, and a
    visit planned for earlier today is left for the mentor to record)."""
    require_visit_role(actor)
    match = get_match(db, actor=actor, match_id=match_id)
    require_match_mentor_or_staff(actor, match)
    require_active(match)
    today = now.date()
    first = max(data.from_date or today, today, match.start_date)
    started = local_datetime(today, data.start_time, now.tzinfo or dt.UTC) <= now
    programme = programmes.get_programme(db, actor.org_id, match.programme_id)
    groups = ProgrammeKind(programme.kind).has_groups
    every = data.every or BandPer(programme.band_per)
    # A programme without groups plans by the match, never by a cohort the child may be
    # in for another programme.
    cohort = _cohort_of(db, match.child_id) if groups else None
    if data.until is not None:
        last = data.until
    elif groups:
        if cohort is None:
            raise invalid(
                "until",
                "The child is not in a cohort: say until when the visits should be planned",
            )
        last = cohort[1]
    else:
        last = default_until(
            first=first,
            start=match.start_date,
            months=programme.match_length_months,
            every=every,
        )
    if last < first:
        raise invalid("until", f"Give a date on or after {first:%-d %B %Y}")
    org = organisation(db, actor.org_id)
    # The organisation's closures (bank holidays, its own closed days) apply to every
    # programme; a cohort's own, to its group's matches.
    closed = cohorts.closed_days(db, org=org, cohort_id=cohort[0] if cohort else None)
    if every == BandPer.month:
        days = [
            day
            for day in monthly_days(first, last, data.weekday, closed)
            if not (day == today and started)
        ]
        if len(days) > PLAN_MONTHS_MAX:
            raise invalid("until", f"Plan at most {PLAN_MONTHS_MAX} months at a time")
    else:
        days = [
            day
            for day in weekly_days(first, last, data.weekday)
            if day not in closed and not (day == today and started)
        ]
        if len(days) > PLAN_WEEKS_MAX:
            raise invalid("until", f"Plan at most {PLAN_WEEKS_MAX} weeks at a time")
    if not days:
        raise invalid("weekday", "No open day in that range falls on this weekday")
    lock_mentor(db, match)
    busy = busy_between(
        db,
        org_id=actor.org_id,
        mentor_id=match.mentor_id,
        child_id=match.child_id,
        first=first,
        last=last,
        exclude_planned_of=match.id,
    )
    for day in days:
        clash = busy.clash(day, data.start_time, data.duration_minutes)
        if clash:
            raise Conflict(f"This slot clashes: {clash}. Choose another time or day.")
    # What is still to come is replaced; a visit planned for earlier today stays for the
    # mentor to record as completed or missed.
    to_come = or_(
        VISITS.c.date > today,
        VISITS.c.start_time.is_(None),
        VISITS.c.start_time > now.time().replace(tzinfo=None),
    )
    replaced = db.execute(
        delete(VISITS).where(
            VISITS.c.match_id == match.id,
            VISITS.c.status == VisitStatus.planned.value,
            VISITS.c.date >= first,
            to_come,
        )
    ).rowcount  # type: ignore[attr-defined]
    now = dt.datetime.now(dt.UTC)
    db.execute(
        insert(VISITS),
        [
            {
                "org_id": actor.org_id,
                "match_id": match.id,
                "programme_id": match.programme_id,
                "mentor_id": match.mentor_id,
                "child_id": match.child_id,
                "date": day,
                "start_time": data.start_time,
                "minutes": data.duration_minutes,
                "status": VisitStatus.planned.value,
                "summary": None,
                "safeguarding_concern": False,
                "version": 1,
                "created_by": actor.id,
                "created_at": now,
                "updated_at": now,
            }
            for day in days
        ],
    )
    match.visit_weekday = data.weekday
    match.visit_start_time = data.start_time
    match.visit_minutes = data.duration_minutes
    db.add(match)
    db.flush()
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="plan_visits",
        entity="match",
        entity_id=match.id,
        changes={
            "slot": [None, f"{data.weekday} {data.start_time:%H:%M} {data.duration_minutes}"],
            "every": [None, every.value],
            "planned": [None, len(days)],
            "replaced": [None, replaced],
            "from": [None, first.isoformat()],
            "until": [None, last.isoformat()],
        },
    )
    return list(
        db.exec(
            select(MentorVisit)
            .where(
                MentorVisit.match_id == match.id,
                MentorVisit.status == VisitStatus.planned,
                col(MentorVisit.date).in_(days),
            )
            .order_by(col(MentorVisit.date))
        ).all()
    )


# Undoing a cancelling ------------------------------------------------------------------------


def has_started(visit: MentorVisit, now: dt.datetime) -> bool:
    """Its time has come (`now`: the organisation's local time); a visit with no start
    time, once its day has."""
    today = now.date()
    if visit.date != today:
        return visit.date < today
    if visit.start_time is None:
        return True
    return local_datetime(visit.date, visit.start_time, now.tzinfo or dt.UTC) <= now


def restore_visit(
    db: Session, *, actor: User, visit_id: int, version: int, now: dt.datetime
) -> MentorVisit:
    """Undo the cancelling of a visit: planned again, as it was, if its time has not passed
    and the slot is still free (409 otherwise; audited)."""
    require_visit_role(actor)
    visit = get_visit(db, actor=actor, visit_id=visit_id)
    match = get_match(db, actor=actor, match_id=visit.match_id)
    require_match_mentor_or_staff(actor, match)
    require_active(match)
    if version != visit.version:
        raise Conflict(
            "Someone else changed this visit first. Reload it and try again.",
            current_version=visit.version,
        )
    if visit.status != VisitStatus.cancelled:
        raise Conflict("Only a cancelled visit can be planned again.")
    if has_started(visit, now):
        raise Conflict(
            "The time of this visit has passed, so it cannot be planned again. "
            "Log a visit if it happened after all."
        )
    try:
        check_visit(
            db,
            match=match,
            day=visit.date,
            start=visit.start_time,
            minutes=visit.minutes,
            status=VisitStatus.planned,
            now=now,
            visit_id=visit.id,
        )
    except Invalid as exc:
        raise Conflict(f"The visit cannot be planned again: {exc.detail}") from None
    changes = {
        "status": [visit.status.value, VisitStatus.planned.value],
        "called_off_by": [getattr(visit.called_off_by, "value", None), None],
        "cancel_reason": [visit.cancel_reason, None],
    }
    visit.status = VisitStatus.planned
    visit.called_off_by = None
    visit.cancel_reason = None
    visit.version += 1
    visit.updated_at = now.astimezone(dt.UTC)
    db.add(visit)
    db.flush()
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="restore",
        entity="visit",
        entity_id=visit.id,
        changes=changes,
    )
    return visit
