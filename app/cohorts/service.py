"""Cohorts and their 30 sessions: planning, closures, rescheduling, cancelling, enrolment.

Every function takes the acting user and enforces tenancy and role itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, false, func, insert, or_, true, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.auth.service import STAFF_ROLES, require_staff
from app.children import service as children
from app.children.models import Child
from app.children.service import age_on
from app.cohorts.models import (
    Closure,
    Cohort,
    CohortFacilitator,
    Enrolment,
    EnrolmentStatus,
    GroupSession,
    SessionStatus,
    enrolled_on,
)
from app.cohorts.schedule import WEEK, ClosedDays, NoFreeSlot, weekly_slots
from app.cohorts.schemas import ClosureCreate, CohortCreate, EnrolmentCreate
from app.curriculum.models import Curriculum, CurriculumWeek
from app.exceptions import Conflict, Invalid, NotFound

STAFF = STAFF_ROLES
SESSIONS: Table = GroupSession.__table__  # type: ignore[attr-defined]


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, [{"loc": ["body", field], "msg": message}])


def end_of(start: dt.time, minutes: int) -> dt.time:
    return (dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)).time()


# Visibility --------------------------------------------------------------------------------


def visible_cohorts(actor: User) -> Any:
    """Staff see every cohort of the organisation; a facilitator, the ones they run;
    a mentor, their mentees' (none until matching exists)."""
    in_org = col(Cohort.org_id) == actor.org_id
    if actor.role in STAFF:
        return in_org & true()
    if actor.role == Role.facilitator:
        mine = select(CohortFacilitator.cohort_id).where(CohortFacilitator.user_id == actor.id)
        return in_org & col(Cohort.id).in_(mine)
    return false()


def get_cohort(db: Session, *, actor: User, cohort_id: int) -> Cohort:
    cohort = db.exec(select(Cohort).where(Cohort.id == cohort_id, visible_cohorts(actor))).first()
    if cohort is None:
        raise NotFound(f"There is no cohort {cohort_id}.")
    return cohort


# Closed days ---------------------------------------------------------------------------------


def closed_days(db: Session, *, org: Organisation, cohort_id: int | None) -> ClosedDays:
    """Public holidays of the organisation's region, its closures, and the cohort's own."""
    scope: ColumnElement[bool] = col(Closure.cohort_id).is_(None)
    if cohort_id is not None:
        scope = or_(scope, col(Closure.cohort_id) == cohort_id)
    rows = db.exec(
        select(col(Closure.start_date), col(Closure.end_date)).where(
            Closure.org_id == org.id, scope
        )
    ).all()
    return ClosedDays(org.holiday_region.value, tuple((a, b) for a, b in rows))


def _organisation(db: Session, actor: User) -> Organisation:
    org = db.get(Organisation, actor.org_id)
    assert org is not None
    return org


# Clashes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    date: dt.date
    start: dt.time
    end: dt.time


def find_clash(
    db: Session,
    *,
    org_id: int,
    slots: Sequence[Slot],
    facilitator_ids: Sequence[int],
    venue: str,
    exclude_cohort_id: int | None = None,
    exclude_session_id: int | None = None,
) -> str | None:
    """A description of the first live session of another cohort that would share a
    facilitator or the venue at an overlapping time, or None. One query."""
    if not slots:
        return None
    dates = sorted({slot.date for slot in slots})
    shares_facilitator = col(GroupSession.cohort_id).in_(
        select(CohortFacilitator.cohort_id).where(
            col(CohortFacilitator.user_id).in_(facilitator_ids)
        )
    )
    stmt = (
        select(GroupSession, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(
            GroupSession.org_id == org_id,
            GroupSession.status != SessionStatus.cancelled,
            col(GroupSession.date).in_(dates),
            or_(shares_facilitator, func.lower(GroupSession.venue) == venue.strip().lower()),
        )
    )
    if exclude_cohort_id is not None:
        stmt = stmt.where(GroupSession.cohort_id != exclude_cohort_id)
    if exclude_session_id is not None:
        stmt = stmt.where(GroupSession.id != exclude_session_id)
    others = db.exec(stmt).all()
    if not others:
        return None
    names = _facilitator_names(db, [o.cohort_id for o, _ in others], facilitator_ids)
    for slot in slots:
        for other, cohort_name in others:
            if (
                other.date == slot.date
                and other.start_time < slot.end
                and slot.start < other.end_time
            ):
                shared = names.get(other.cohort_id)
                what = (
                    f"{shared} facilitates" if shared else f"the venue {other.venue} is booked for"
                )
                return (
                    f"On {slot.date:%d %B %Y}, {what} {cohort_name} "
                    f"({other.start_time:%H:%M}-{other.end_time:%H:%M}, session {other.id})."
                )
    return None


def _facilitator_names(
    db: Session, cohort_ids: Sequence[int], facilitator_ids: Sequence[int]
) -> dict[int, str]:
    rows = db.exec(
        select(CohortFacilitator.cohort_id, User.name)
        .join(User, col(User.id) == col(CohortFacilitator.user_id))
        .where(
            col(CohortFacilitator.cohort_id).in_(set(cohort_ids)),
            col(CohortFacilitator.user_id).in_(facilitator_ids),
        )
    ).all()
    return dict(rows)


# Creating a cohort ---------------------------------------------------------------------------


def _check_facilitators(db: Session, actor: User, ids: Sequence[int], needed: int) -> list[User]:
    if len(ids) != needed or len(set(ids)) != needed:
        raise _invalid("facilitator_ids", f"Choose exactly {needed} different facilitators")
    users = db.exec(
        select(User).where(
            col(User.id).in_(ids),
            User.org_id == actor.org_id,
            User.role == Role.facilitator,
            col(User.active).is_(True),
        )
    ).all()
    if len(users) != needed:
        raise _invalid(
            "facilitator_ids",
            "Each facilitator must be an active facilitator of your organisation",
        )
    return list(users)


def create_cohort(db: Session, *, actor: User, data: CohortCreate) -> Cohort:
    """The cohort and all its lessons, planned on consecutive free weekly slots: a fixed
    number of statements whatever the number of lessons."""
    require_staff(actor)
    curriculum = db.get(Curriculum, data.curriculum_id)
    if curriculum is None:
        raise _invalid("curriculum_id", f"There is no curriculum {data.curriculum_id}")
    programme = curriculum.programme
    facilitators = _check_facilitators(
        db, actor, data.facilitator_ids, int(programme.get("facilitators", 2))
    )
    if db.exec(
        select(Cohort.id).where(Cohort.org_id == actor.org_id, Cohort.name == data.name)
    ).first():
        raise Conflict(f"A cohort called {data.name} already exists.")
    org = _organisation(db, actor)
    weeks = int(programme.get("weeks", 30))
    try:
        dates = _take(
            weekly_slots(data.start_date, closed_days(db, org=org, cohort_id=None)), weeks
        )
    except NoFreeSlot as exc:
        raise _invalid("start_date", str(exc)) from None
    end_time = end_of(data.start_time, data.duration_minutes)
    if end_time <= data.start_time:
        raise _invalid("duration_minutes", "The session must end on the day it starts")
    clash = find_clash(
        db,
        org_id=actor.org_id,
        slots=[Slot(d, data.start_time, end_time) for d in dates],
        facilitator_ids=[f.id or 0 for f in facilitators],
        venue=data.venue,
    )
    if clash:
        raise Conflict(f"Double booking: {clash}")
    cohort = Cohort(
        org_id=actor.org_id,
        name=data.name,
        curriculum_id=data.curriculum_id,
        start_date=data.start_date,
        start_time=data.start_time,
        duration_minutes=data.duration_minutes,
        venue=data.venue,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(cohort)
    db.flush()
    assert cohort.id is not None
    db.execute(
        insert(CohortFacilitator),
        [{"cohort_id": cohort.id, "user_id": f.id, "org_id": actor.org_id} for f in facilitators],
    )
    db.execute(
        insert(GroupSession),
        [
            {
                "org_id": actor.org_id,
                "cohort_id": cohort.id,
                "week": week,
                "date": day,
                "start_time": data.start_time,
                "end_time": end_time,
                "venue": data.venue,
                "status": SessionStatus.scheduled,
                "version": 1,
            }
            for week, day in enumerate(dates, start=1)
        ],
    )
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="cohort",
        entity_id=cohort.id,
        changes=audit.changes_between({}, {**data.model_dump(mode="json"), "sessions": weeks}),
    )
    return cohort


def _take(slots: Any, n: int) -> list[dt.date]:
    return [next(slots) for _ in range(n)]


# Reading -------------------------------------------------------------------------------------


def list_cohorts(db: Session, *, actor: User) -> list[tuple[Cohort, int]]:
    """Cohorts with their number of active children: one query."""
    active = (
        select(func.count())
        .where(Enrolment.cohort_id == Cohort.id, Enrolment.status == EnrolmentStatus.active)
        .correlate(Cohort)
        .scalar_subquery()
    )
    rows = db.exec(
        select(Cohort, active)
        .where(visible_cohorts(actor))
        .order_by(col(Cohort.start_date).desc(), col(Cohort.name))
    ).all()
    return [(c, int(n)) for c, n in rows]


def facilitators_of(db: Session, cohort_ids: Sequence[int]) -> dict[int, list[User]]:
    rows = db.exec(
        select(CohortFacilitator.cohort_id, User)
        .join(User, col(User.id) == col(CohortFacilitator.user_id))
        .where(col(CohortFacilitator.cohort_id).in_(cohort_ids))
        .order_by(col(User.name))
    ).all()
    out: dict[int, list[User]] = {cid: [] for cid in cohort_ids}
    for cohort_id, user in rows:
        out[cohort_id].append(user)
    return out


def sessions_of(db: Session, *, actor: User, cohort_id: int) -> list[GroupSession]:
    get_cohort(db, actor=actor, cohort_id=cohort_id)
    return list(
        db.exec(
            select(GroupSession)
            .where(GroupSession.cohort_id == cohort_id, GroupSession.org_id == actor.org_id)
            .order_by(col(GroupSession.date), col(GroupSession.id))
        ).all()
    )


def roster(db: Session, *, cohort_id: int, org_id: int) -> list[tuple[Enrolment, Child]]:
    return list(
        db.exec(
            select(Enrolment, Child)
            .join(Child, col(Child.id) == col(Enrolment.child_id))
            .where(Enrolment.cohort_id == cohort_id, Enrolment.org_id == org_id)
            .order_by(col(Enrolment.status), col(Child.first_name))
        ).all()
    )


def warnings_for(cohort: Cohort, active_children: int, programme: dict[str, Any]) -> list[str]:
    low = int(programme.get("cohort_min", 8))
    out = []
    if active_children < low:
        out.append(
            f"Only {active_children} active child{'ren' if active_children != 1 else ''}: "
            f"the programme is designed for at least {low}."
        )
    return out


def facilitator_choices(db: Session, *, actor: User) -> list[User]:
    """The organisation's active facilitators by name: who may run a new cohort."""
    require_staff(actor)
    return list(
        db.exec(
            select(User)
            .where(
                User.org_id == actor.org_id,
                User.role == Role.facilitator,
                col(User.active).is_(True),
            )
            .order_by(col(User.name))
        ).all()
    )


@dataclass(frozen=True)
class Overview:
    """What the cohort's page shows (its template's names)."""

    cohort: Cohort
    facilitators: list[User]
    sessions: list[tuple[GroupSession, str | None]]  # with the lesson's title
    roster: list[tuple[Enrolment, Child]]
    active: int
    curriculum: Curriculum | None
    staff: bool
    candidates: list[Child]  # who staff may enrol: children in no cohort now
    warnings: list[str]
    cap: int


def overview(db: Session, *, actor: User, cohort_id: int) -> Overview:
    """The cohort, its sessions, roster and who could join it, in a fixed number of
    queries."""
    cohort = get_cohort(db, actor=actor, cohort_id=cohort_id)
    sessions = db.exec(
        select(GroupSession, CurriculumWeek.title)
        .join(
            CurriculumWeek,
            (col(CurriculumWeek.curriculum_id) == cohort.curriculum_id)
            & (col(CurriculumWeek.week) == col(GroupSession.week)),
            isouter=True,
        )
        .where(GroupSession.cohort_id == cohort_id, GroupSession.org_id == actor.org_id)
        .order_by(col(GroupSession.date), col(GroupSession.id))
    ).all()
    children = roster(db, cohort_id=cohort_id, org_id=actor.org_id)
    active = sum(1 for e, _ in children if e.status == EnrolmentStatus.active)
    curriculum = db.get(Curriculum, cohort.curriculum_id)
    programme = curriculum.programme if curriculum else {}
    staff = actor.role in STAFF
    candidates: list[Child] = []
    if staff:
        enrolled = select(Enrolment.child_id).where(
            Enrolment.org_id == actor.org_id, Enrolment.status == EnrolmentStatus.active
        )
        candidates = list(
            db.exec(
                select(Child)
                .where(Child.org_id == actor.org_id, col(Child.id).not_in(enrolled))
                .order_by(col(Child.first_name), col(Child.reference))
            ).all()
        )
    return Overview(
        cohort=cohort,
        facilitators=facilitators_of(db, [cohort_id])[cohort_id],
        sessions=[(session, title) for session, title in sessions],
        roster=children,
        active=active,
        curriculum=curriculum,
        staff=staff,
        candidates=candidates,
        warnings=warnings_for(cohort, active, programme),
        cap=int(programme.get("cohort_max", 10)),
    )


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
            raise _invalid("cohort_id", f"There is no cohort {data.cohort_id}")
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
        )
        .order_by(col(GroupSession.cohort_id), col(GroupSession.week))
    ).all()
    org = _organisation(db, actor)
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


# One session -------------------------------------------------------------------------------


def get_session(db: Session, *, actor: User, session_id: int) -> GroupSession:
    session = db.exec(
        select(GroupSession)
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(GroupSession.id == session_id, visible_cohorts(actor))
    ).first()
    if session is None:
        raise NotFound(f"There is no session {session_id}.")
    return session


def claim_version(db: Session, session_id: int, version: int, **values: Any) -> bool:
    """Optimistic lock: move the session to version + 1 (with `values`) only if it is
    still at `version`. False only when someone else's save really came first (a writer
    that waits too long for another is the database being busy: 503, never a 409)."""
    result = db.execute(
        update(SESSIONS)
        .where(SESSIONS.c.id == session_id, SESSIONS.c.version == version)
        .values(version=version + 1, **values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


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
) -> GroupSession:
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
        raise _invalid("start_time", "The session must end on the day it starts")
    org = _organisation(db, actor)
    if new_date != session.date:
        closed = closed_days(db, org=org, cohort_id=cohort.id)
        if new_date in closed:
            raise _invalid("date", f"{new_date:%d %B %Y} is a closure day")
        out_of_order = _out_of_order(db, session=session, new_date=new_date)
        if out_of_order:
            raise _invalid("date", out_of_order)
    facilitator_ids = [f.id or 0 for f in facilitators_of(db, [cohort.id or 0])[cohort.id or 0]]
    clash = find_clash(
        db,
        org_id=actor.org_id,
        slots=[Slot(new_date, new_start, new_end)],
        facilitator_ids=facilitator_ids,
        venue=new_venue,
        exclude_cohort_id=cohort.id,
    )
    if clash:
        raise Conflict(f"Double booking: {clash}")
    before = {"date": session.date, "start_time": session.start_time, "venue": session.venue}
    _claim(db, session, version)
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
            before, {"date": new_date, "start_time": new_start, "venue": new_venue}
        ),
    )
    return session


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
        org=_organisation(db, actor),
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


# Enrolment ---------------------------------------------------------------------------------


def enrol(
    db: Session, *, actor: User, cohort_id: int, data: EnrolmentCreate, today: dt.date
) -> Enrolment:
    require_staff(actor)
    cohort = db.exec(
        select(Cohort)
        .where(Cohort.id == cohort_id, Cohort.org_id == actor.org_id)
        .with_for_update()
    ).first()
    if cohort is None:
        raise NotFound(f"There is no cohort {cohort_id}.")
    child = db.exec(
        select(Child).where(Child.id == data.child_id, Child.org_id == actor.org_id)
    ).first()
    if child is None:
        raise _invalid("child_id", f"There is no child {data.child_id}")
    curriculum = db.get(Curriculum, cohort.curriculum_id)
    programme = curriculum.programme if curriculum else {}
    low, high = int(programme.get("age_min", 9)), int(programme.get("age_max", 11))
    age = age_on(child.date_of_birth, cohort.start_date)
    if not low <= age <= high and not data.eligibility_override:
        raise _invalid(
            "eligibility_override",
            f"{child.first_name} is {age} on the cohort's first date; the programme is for "
            f"ages {low} to {high}. Give a reason to enrol them anyway.",
        )
    start = data.start_date or max(cohort.start_date, today)
    if start < cohort.start_date:
        raise _invalid("start_date", "The enrolment cannot start before the cohort's first date")
    cap = int(programme.get("cohort_max", 10))
    active = db.exec(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.active)
    ).one()
    if active >= cap:
        raise Conflict(f"{cohort.name} already has {cap} active children, the most it can have.")
    elsewhere = db.exec(
        select(Cohort.name)
        .join(Enrolment, col(Enrolment.cohort_id) == col(Cohort.id))
        .where(Enrolment.child_id == child.id, Enrolment.status == EnrolmentStatus.active)
    ).first()
    if elsewhere:
        raise Conflict(f"{child.first_name} is already enrolled in {elsewhere}.")
    enrolment = Enrolment(
        org_id=actor.org_id,
        child_id=child.id or 0,
        cohort_id=cohort_id,
        start_date=start,
        eligibility_override=data.eligibility_override if not low <= age <= high else None,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(enrolment)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # the same child enrolled at the same moment elsewhere
        raise Conflict(f"{child.first_name} is already enrolled in another cohort.") from None
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="enrol",
        entity="enrolment",
        entity_id=enrolment.id,
        changes={
            "child_id": [None, child.id],
            "cohort_id": [None, cohort_id],
            "start_date": [None, start.isoformat()],
            **(
                {"eligibility_override": [None, enrolment.eligibility_override]}
                if enrolment.eligibility_override
                else {}
            ),
        },
    )
    return enrolment


def get_enrolment(db: Session, *, actor: User, enrolment_id: int) -> tuple[Enrolment, Child]:
    """An enrolment of the organisation's, with its child."""
    row = db.exec(
        select(Enrolment, Child)
        .join(Child, col(Child.id) == col(Enrolment.child_id))
        .where(Enrolment.id == enrolment_id, Enrolment.org_id == actor.org_id)
    ).first()
    if row is None:
        raise NotFound(f"There is no enrolment {enrolment_id}.")
    return row[0], row[1]


def withdraw(
    db: Session, *, actor: User, enrolment_id: int, date: dt.date, reason: str
) -> Enrolment:
    require_staff(actor)
    enrolment = db.exec(
        select(Enrolment).where(Enrolment.id == enrolment_id, Enrolment.org_id == actor.org_id)
    ).first()
    if enrolment is None:
        raise NotFound(f"There is no enrolment {enrolment_id}.")
    if enrolment.status != EnrolmentStatus.active:
        raise Conflict("This child has already been withdrawn.")
    if date < enrolment.start_date:
        raise _invalid("date", "The withdrawal date cannot be before the enrolment started")
    enrolment.status = EnrolmentStatus.withdrawn
    enrolment.end_date = date
    enrolment.withdraw_reason = reason
    db.add(enrolment)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="withdraw",
        entity="enrolment",
        entity_id=enrolment.id,
        changes={
            "status": ["active", "withdrawn"],
            "end_date": [None, date.isoformat()],
            "reason": [None, reason],
        },
    )
    return enrolment


def expected_children(sessions_date: dt.date) -> Any:
    """Enrolments whose child is expected at a session on this date (or a session's date
    column)."""
    return enrolled_on(sessions_date)


def active_enrolments_of(db: Session, *, actor: User, child_id: int) -> list[tuple[Enrolment, str]]:
    """A child's active enrolments with their cohort's name, earliest first (for the
    child's page; the caller has already checked the actor may see the child)."""
    rows = db.exec(
        select(Enrolment, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(
            Enrolment.child_id == child_id,
            Enrolment.org_id == actor.org_id,
            Enrolment.status == EnrolmentStatus.active,
        )
        .order_by(col(Enrolment.start_date))
    ).all()
    return [(enrolment, name) for enrolment, name in rows]


@children.SEEN_BY_FACILITATOR.set
def _facilitators_children(actor: User) -> SelectOfScalar[int]:
    """The children a facilitator may see: those enrolled in their cohorts (any time)."""
    return (
        select(Enrolment.child_id)
        .join(CohortFacilitator, col(CohortFacilitator.cohort_id) == col(Enrolment.cohort_id))
        .where(CohortFacilitator.user_id == actor.id, Enrolment.org_id == actor.org_id)
    )
