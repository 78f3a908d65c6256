"""Changing a cohort's dates once planned: a closure (every scheduled session inside it
cancelled), a session moved or cancelled, and the lessons still to deliver moving on to
the next free weekly slots, so that every lesson is still delivered, in order.

Every function takes the acting user and enforces tenancy and role itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, bindparam, delete, func, insert, or_, true, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, User
from app.auth.service import require_staff
from app.cohorts.models import Closure, Cohort, GroupSession, SessionStaffing, SessionStatus
from app.cohorts.schedule import WEEK, weekly_slots
from app.cohorts.schemas import ClosureCreate
from app.cohorts.service import (
    SESSIONS,
    Slot,
    check_facilitators,
    claim_version,
    closed_days,
    end_of,
    facilitators_of,
    find_clash,
    get_session,
    session_facilitators,
)
from app.cohorts.shared import invalid, organisation
from app.exceptions import Conflict

# Closures, cancelling and moving lessons on ------------------------------------------------


def replan_from(
    db: Session,
    *,
    cohort: Cohort,
    org: Organisation,
    from_week: int,
    after: dt.date,
    lessons_to_create: Sequence[int] = (),
) -> None:
    """Put lesson `from_week` and every later lesson still to deliver on the next free
    weekly slots after `after`. Lessons in `lessons_to_create` get a new row (their old
    occurrence was cancelled); the others are moved. Fixed number of statements."""
    closed = closed_days(db, org=org, cohort_id=cohort.id)
    movable = db.exec(
        select(GroupSession)
        .where(
            GroupSession.cohort_id == cohort.id,
            GroupSession.status == SessionStatus.scheduled,
            GroupSession.week >= from_week,
        )
        .order_by(col(GroupSession.week))
    ).all()
    by_week = {s.week: s for s in movable}
    lessons = sorted(set(by_week) | set(lessons_to_create))
    slots = weekly_slots(
        after + WEEK
        if after.weekday() == cohort.start_date.weekday()
        else _next_weekday(after, cohort.start_date.weekday()),
        closed,
    )
    end_time = end_of(cohort.start_time, cohort.duration_minutes)
    moves, creates = [], []
    for lesson in lessons:
        day = next(slots)
        row = by_week.get(lesson)
        if row is None:
            creates.append(
                {
                    "org_id": cohort.org_id,
                    "cohort_id": cohort.id,
                    "week": lesson,
                    "date": day,
                    "start_time": cohort.start_time,
                    "end_time": end_time,
                    "venue": cohort.venue,
                    "status": SessionStatus.scheduled,
                    "version": 1,
                }
            )
        elif row.date != day:
            moves.append({"b_id": row.id, "b_date": day})
    db.flush()
    if moves:
        db.execute(
            update(SESSIONS)
            .where(SESSIONS.c.id == bindparam("b_id"))
            .values(date=bindparam("b_date"), version=SESSIONS.c.version + 1),
            moves,
        )
    if creates:
        db.execute(insert(GroupSession), creates)
    db.expire_all()


def _next_weekday(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7 or 7)


CANCEL_REASON_MAX = 200  # GroupSession.cancel_reason


def cancel(
    db: Session, *, session: GroupSession, reason: str, closure_id: int | None = None
) -> None:
    """Mark one live occurrence cancelled (it stays, with its reason, and the closure that
    cancelled it, if one did)."""
    session.status = SessionStatus.cancelled
    session.cancel_reason = reason[:CANCEL_REASON_MAX]
    session.closure_id = closure_id
    session.version += 1
    db.add(session)


def create_closure(db: Session, *, actor: User, data: ClosureCreate) -> tuple[Closure, int]:
    """A closure; every scheduled session inside it is cancelled and its lesson, with all
    later ones, moves on. Returns the closure and how many sessions it cancelled."""
    require_staff(actor)
    cohort = None
    if data.cohort_id is not None:
        cohort = db.exec(
            select(Cohort).where(Cohort.id == data.cohort_id, Cohort.org_id == actor.org_id)
        ).first()
        if cohort is None:
            raise invalid("cohort_id", f"There is no cohort {data.cohort_id}")
    end = data.end_date or data.date
    closure = Closure(
        org_id=actor.org_id,
        cohort_id=data.cohort_id,
        start_date=data.date,
        end_date=end,
        reason=data.reason,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(closure)
    db.flush()
    affected = db.exec(
        select(GroupSession)
        .where(
            GroupSession.org_id == actor.org_id,
            GroupSession.status == SessionStatus.scheduled,
            col(GroupSession.date) >= data.date,
            col(GroupSession.date) <= end,
            (GroupSession.cohort_id == data.cohort_id) if data.cohort_id else true(),
            # An archived cohort's sessions stay as they were: its record is closed.
            col(GroupSession.cohort_id).not_in(
                select(Cohort.id).where(col(Cohort.archived_at).is_not(None))
            ),
        )
        .order_by(col(GroupSession.cohort_id), col(GroupSession.week))
    ).all()
    org = organisation(db, actor.org_id)
    first_by_cohort: dict[int, GroupSession] = {}
    cancelled_weeks: dict[int, list[int]] = {}
    for session in affected:
        cancel(db, session=session, reason=f"Closure: {data.reason}", closure_id=closure.id)
        first_by_cohort.setdefault(session.cohort_id, session)
        cancelled_weeks.setdefault(session.cohort_id, []).append(session.week)
    if first_by_cohort:
        cohorts = {
            c.id: c
            for c in db.exec(select(Cohort).where(col(Cohort.id).in_(list(first_by_cohort)))).all()
        }
        for cohort_id, first in first_by_cohort.items():
            replan_from(
                db,
                cohort=cohorts[cohort_id],
                org=org,
                from_week=first.week,
                after=first.date,
                lessons_to_create=cancelled_weeks[cohort_id],
            )
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="closure",
        entity_id=closure.id,
        changes={
            **audit.changes_between({}, data.model_dump(mode="json")),
            "cancelled_sessions": [None, [s.id for s in affected]],
        },
    )
    return closure, len(affected)


def list_closures(db: Session, *, actor: User) -> list[tuple[Closure, int]]:
    """The organisation's closures, each with the number of sessions it cancelled (those
    whose `closure_id` is that closure's: a session already cancelled, or moved out of the
    closure's days, before it was added is not its doing). One query."""
    require_staff(actor)
    cancelled = (
        select(col(GroupSession.closure_id), func.count().label("n"))
        .where(GroupSession.org_id == actor.org_id, col(GroupSession.closure_id).is_not(None))
        .group_by(col(GroupSession.closure_id))
        .subquery()
    )
    rows = db.exec(
        select(Closure, func.coalesce(cancelled.c.n, 0))
        .outerjoin(cancelled, cancelled.c.closure_id == col(Closure.id))
        .where(Closure.org_id == actor.org_id)
        .order_by(col(Closure.start_date), col(Closure.id))
    ).all()
    return [(closure, int(n)) for closure, n in rows]


# Moving or cancelling one session ----------------------------------------------------------


def _claim(db: Session, session: GroupSession, version: int) -> None:
    """Claim the version or answer 409 with the current one."""
    if not claim_version(db, session.id or 0, version):
        db.refresh(session)
        raise Conflict(
            "Someone else changed this session first. Reload it and try again.",
            current_version=session.version,
        )
    db.refresh(session)


def _day(day: dt.date) -> str:
    return f"{day:%-d %B %Y}"


def _out_of_order(db: Session, *, session: GroupSession, new_date: dt.date) -> str | None:
    """Lessons stay in order: on `new_date` the session's lesson must fall strictly after
    every earlier lesson of the cohort and strictly before every later one, counting live
    (not cancelled) occurrences only, so it never shares a day with another. The message
    names the nearest lesson it would pass or meet, and what to do; None when in order.
    One query."""
    week, on = col(GroupSession.week), col(GroupSession.date)
    passed = db.exec(
        select(week, on).where(
            GroupSession.org_id == session.org_id,
            GroupSession.cohort_id == session.cohort_id,
            GroupSession.status != SessionStatus.cancelled,
            GroupSession.id != session.id,
            or_(
                and_(week > session.week, on <= new_date),
                and_(week < session.week, on >= new_date),
            ),
        )
    ).all()
    later = [(w, d) for w, d in passed if w > session.week]
    if later:
        other, day = min(later)
        where = "the same day as" if day == new_date else "after"
        move = f"choose a date before {_day(day)}"
    elif passed:
        other, day = max(passed)
        where = "the same day as" if day == new_date else "before"
        move = f"choose a date after {_day(day)}"
    else:
        return None
    when = f"week {other}" if day == new_date else f"week {other} on {_day(day)}"
    return (
        f"Week {session.week} would be on {_day(new_date)}, {where} {when}: "
        f"move week {other} first, or {move}"
    )


def reschedule(
    db: Session,
    *,
    actor: User,
    session_id: int,
    version: int,
    date: dt.date | None,
    start_time: dt.time | None,
    venue: str | None,
    facilitator_ids: Sequence[int] | None = None,
) -> GroupSession:
    """Move one scheduled session, or give it a cover (`facilitator_ids`: who runs this
    session only; the cohort's own facilitators undo a cover)."""
    require_staff(actor)
    session = get_session(db, actor=actor, session_id=session_id)
    if session.status != SessionStatus.scheduled:
        raise Conflict(f"This session is {session.status.value}; only a scheduled one can move.")
    cohort = db.get(Cohort, session.cohort_id)
    assert cohort is not None
    new_date = date or session.date
    new_start = start_time or session.start_time
    new_venue = venue or session.venue
    new_end = end_of(new_start, cohort.duration_minutes)
    if new_end <= new_start:
        raise invalid("start_time", "The session must end on the day it starts")
    org = organisation(db, actor.org_id)
    if new_date != session.date:
        closed = closed_days(db, org=org, cohort_id=cohort.id)
        if new_date in closed:
            raise invalid("date", f"{new_date:%d %B %Y} is a closure day")
        out_of_order = _out_of_order(db, session=session, new_date=new_date)
        if out_of_order:
            raise invalid("date", out_of_order)
    runners = sorted(
        u.id or 0 for u in session_facilitators(db, [session.id or 0])[session.id or 0]
    )
    new_runners = runners
    if facilitator_ids is not None:
        chosen = check_facilitators(db, actor, facilitator_ids, cohort.curriculum_id)
        new_runners = sorted(u.id or 0 for u in chosen)
    clash = find_clash(
        db,
        org_id=actor.org_id,
        slots=[Slot(new_date, new_start, new_end)],
        facilitator_ids=new_runners,
        venue=new_venue,
        exclude_cohort_id=cohort.id,
    )
    if clash:
        raise Conflict(f"Double booking: {clash}")
    before = {"date": session.date, "start_time": session.start_time, "venue": session.venue}
    _claim(db, session, version)
    if new_runners != runners:
        _staff(db, session, new_runners, cohort)
        before["facilitator_ids"] = runners
    session.date, session.start_time, session.end_time, session.venue = (
        new_date,
        new_start,
        new_end,
        new_venue,
    )
    db.add(session)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="reschedule",
        entity="session",
        entity_id=session.id,
        changes=audit.changes_between(
            before,
            {
                "date": new_date,
                "start_time": new_start,
                "venue": new_venue,
                **({"facilitator_ids": new_runners} if "facilitator_ids" in before else {}),
            },
        ),
    )
    return session


def _staff(db: Session, session: GroupSession, runners: list[int], cohort: Cohort) -> None:
    """Who runs this one session: rows of its own, or none when they are the cohort's
    facilitators (then it follows the cohort's)."""
    db.execute(delete(SessionStaffing).where(col(SessionStaffing.session_id) == session.id))
    own = sorted(u.id or 0 for u in facilitators_of(db, [cohort.id or 0])[cohort.id or 0])
    if runners != own:
        db.execute(
            insert(SessionStaffing),
            [
                {"session_id": session.id, "user_id": uid, "org_id": session.org_id}
                for uid in runners
            ],
        )


def cancel_session(
    db: Session, *, actor: User, session_id: int, version: int, reason: str
) -> GroupSession:
    require_staff(actor)
    session = get_session(db, actor=actor, session_id=session_id)
    if session.status != SessionStatus.scheduled:
        raise Conflict(
            f"This session is {session.status.value}; only a scheduled one can be cancelled."
        )
    _claim(db, session, version)
    cancel(db, session=session, reason=reason)
    session.version -= 1  # _claim already moved the version on
    db.add(session)
    cohort = db.get(Cohort, session.cohort_id)
    assert cohort is not None
    replan_from(
        db,
        cohort=cohort,
        org=organisation(db, actor.org_id),
        from_week=session.week,
        after=session.date,
        lessons_to_create=[session.week],
    )
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="cancel",
        entity="session",
        entity_id=session.id,
        changes={"status": ["scheduled", "cancelled"], "reason": [None, reason]},
    )
    db.refresh(session)
    return session
