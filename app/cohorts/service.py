"""Cohorts: who may see one, creating one with all its sessions planned, the cohort's
page, and reading its sessions (the version that guards a change to one included).

Every function takes the acting user and enforces tenancy and role itself. Changing the
dates once planned is app/cohorts/rescheduling.py; who is in a cohort,
app/cohorts/enrolments.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, false, func, insert, or_, true, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.auth.service import STAFF_ROLES, require_staff
from app.children.models import Child
from app.cohorts.enrolments import roster
from app.cohorts.models import (
    Closure,
    Cohort,
    CohortFacilitator,
    Enrolment,
    EnrolmentStatus,
    GroupSession,
    SessionStaffing,
    SessionStatus,
)
from app.cohorts.schedule import ClosedDays, NoFreeSlot, weekly_slots
from app.cohorts.schemas import CohortCreate
from app.cohorts.shared import invalid, organisation
from app.curriculum.models import Curriculum, CurriculumWeek
from app.exceptions import Conflict, NotFound
from app.programmes import service as programmes

STAFF = STAFF_ROLES
SESSIONS: Table = GroupSession.__table__  # type: ignore[attr-defined]


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


def visible_sessions(actor: User) -> Any:
    """The sessions the actor may open (with GroupSession joined to Cohort): those of the
    cohorts they may see, and, for a facilitator, any session that names them in
    session_staffing (a cover, or one they ran before the cohort's facilitators changed):
    that session only, not its cohort."""
    named = select(SessionStaffing.session_id).where(SessionStaffing.user_id == actor.id)
    if actor.role == Role.facilitator:
        return or_(
            visible_cohorts(actor),
            (col(GroupSession.org_id) == actor.org_id) & col(GroupSession.id).in_(named),
        )
    return visible_cohorts(actor)


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
    shares_facilitator = run_by_any_of(org_id, facilitator_ids)
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
    runners = session_facilitators(db, [o.id or 0 for o, _ in others])
    wanted = set(facilitator_ids)
    names = {
        sid: " and ".join(u.name for u in users if u.id in wanted) for sid, users in runners.items()
    }
    for slot in slots:
        for other, cohort_name in others:
            if (
                other.date == slot.date
                and other.start_time < slot.end
                and slot.start < other.end_time
            ):
                shared = names.get(other.id or 0)
                if shared:
                    what = f"{shared} {'facilitate' if ' and ' in shared else 'facilitates'}"
                else:
                    what = f"the venue {other.venue} is booked for"
                return (
                    f"On {slot.date:%d %B %Y}, {what} {cohort_name} "
                    f"({other.start_time:%H:%M}-{other.end_time:%H:%M}, session {other.id})."
                )
    return None


def run_by_any_of(org_id: int, facilitator_ids: Sequence[int]) -> ColumnElement[bool]:
    """GroupSession's rows run by one of `facilitator_ids`: named in its own
    session_staffing rows, or, when it has none, a facilitator of its cohort."""
    own_rows = select(SessionStaffing.session_id).where(SessionStaffing.org_id == org_id)
    named = own_rows.where(col(SessionStaffing.user_id).in_(facilitator_ids))
    by_cohort = col(GroupSession.cohort_id).in_(
        select(CohortFacilitator.cohort_id).where(
            col(CohortFacilitator.user_id).in_(facilitator_ids)
        )
    )
    return or_(col(GroupSession.id).in_(named), by_cohort & col(GroupSession.id).not_in(own_rows))


def session_facilitators(db: Session, session_ids: Sequence[int]) -> dict[int, list[User]]:
    """Who runs each session, by name: its own session_staffing rows if it has any, else
    its cohort's facilitators. Two queries, whatever the number of sessions."""
    out: dict[int, list[User]] = {sid: [] for sid in session_ids}
    if not session_ids:
        return out
    own = db.exec(
        select(SessionStaffing.session_id, User)
        .join(User, col(User.id) == col(SessionStaffing.user_id))
        .where(col(SessionStaffing.session_id).in_(set(session_ids)))
        .order_by(col(User.name))
    ).all()
    for session_id, user in own:
        out[session_id].append(user)
    rest = [sid for sid in out if not out[sid]]
    if rest:
        by_cohort = db.exec(
            select(GroupSession.id, User)
            .join(
                CohortFacilitator, col(CohortFacilitator.cohort_id) == col(GroupSession.cohort_id)
            )
            .join(User, col(User.id) == col(CohortFacilitator.user_id))
            .where(col(GroupSession.id).in_(rest))
            .order_by(col(User.name))
        ).all()
        for runner_of, user in by_cohort:
            out[runner_of or 0].append(user)
    return out


# Creating a cohort ---------------------------------------------------------------------------


def _check_facilitators(db: Session, actor: User, ids: Sequence[int], needed: int) -> list[User]:
    if len(ids) != needed or len(set(ids)) != needed:
        raise invalid("facilitator_ids", f"Choose exactly {needed} different facilitators")
    users = db.exec(
        select(User).where(
            col(User.id).in_(ids),
            User.org_id == actor.org_id,
            User.role == Role.facilitator,
            col(User.active).is_(True),
        )
    ).all()
    if len(users) != needed:
        raise invalid(
            "facilitator_ids",
            "Each facilitator must be an active facilitator of your organisation",
        )
    return list(users)


def check_facilitators(
    db: Session, actor: User, ids: Sequence[int], curriculum_id: int
) -> list[User]:
    """The programme's number of distinct active facilitators of the organisation, or 422
    naming facilitator_ids."""
    curriculum = db.get(Curriculum, curriculum_id)
    needed = int(curriculum.programme.get("facilitators", 2)) if curriculum else 2
    return _check_facilitators(db, actor, ids, needed)


def create_cohort(db: Session, *, actor: User, data: CohortCreate) -> Cohort:
    """The cohort and all its lessons, planned on consecutive free weekly slots: a fixed
    number of statements whatever the number of lessons."""
    require_staff(actor)
    in_programme = programmes.resolve(db, actor.org_id, data.programme_id, needs_groups=True)
    curriculum = db.get(Curriculum, data.curriculum_id)
    if curriculum is None:
        raise invalid("curriculum_id", f"There is no curriculum {data.curriculum_id}")
    if not programmes.curriculum_has_groups(curriculum):
        raise invalid(
            "curriculum_id",
            f"{curriculum.title} has no group weeks: a cohort needs a curriculum of weekly "
            "sessions",
        )
    programme = curriculum.programme
    facilitators = _check_facilitators(
        db, actor, data.facilitator_ids, int(programme.get("facilitators", 2))
    )
    if db.exec(
        select(Cohort.id).where(Cohort.org_id == actor.org_id, Cohort.name == data.name)
    ).first():
        raise Conflict(f"A cohort called {data.name} already exists.")
    org = organisation(db, actor.org_id)
    weeks = int(programme.get("weeks", 30))
    try:
        dates = _take(
            weekly_slots(data.start_date, closed_days(db, org=org, cohort_id=None)), weeks
        )
    except NoFreeSlot as exc:
        raise invalid("start_date", str(exc)) from None
    end_time = end_of(data.start_time, data.duration_minutes)
    if end_time <= data.start_time:
        raise invalid("duration_minutes", "The session must end on the day it starts")
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
        programme_id=in_programme.id or 0,
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


def list_cohorts(db: Session, *, actor: User, archived: bool = False) -> list[tuple[Cohort, int]]:
    """Cohorts with their number of active children: one query. Archived cohorts only when
    `archived` (then only they): they leave the lists, their figures stay."""
    active = (
        select(func.count())
        .where(Enrolment.cohort_id == Cohort.id, Enrolment.status == EnrolmentStatus.active)
        .correlate(Cohort)
        .scalar_subquery()
    )
    rows = db.exec(
        select(Cohort, active)
        .where(
            visible_cohorts(actor),
            col(Cohort.archived_at).is_not(None) if archived else col(Cohort.archived_at).is_(None),
        )
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
    # Sessions run by someone other than the cohort's facilitators (a cover, or who ran
    # it before they changed): session id -> who.
    own_runners: dict[int, list[User]]


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
    own_runners: dict[int, list[User]] = {}
    for session_id, user in db.exec(
        select(SessionStaffing.session_id, User)
        .join(User, col(User.id) == col(SessionStaffing.user_id))
        .join(GroupSession, col(GroupSession.id) == col(SessionStaffing.session_id))
        .where(GroupSession.cohort_id == cohort_id, SessionStaffing.org_id == actor.org_id)
        .order_by(col(User.name))
    ).all():
        own_runners.setdefault(session_id, []).append(user)
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
        own_runners=own_runners,
    )


# One session -------------------------------------------------------------------------------


def get_session(db: Session, *, actor: User, session_id: int) -> GroupSession:
    session = db.exec(
        select(GroupSession)
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(GroupSession.id == session_id, visible_sessions(actor))
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
