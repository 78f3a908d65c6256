"""Changing a cohort once it runs: its name, and, from a date, its time, length, venue and
facilitators; archiving it once nothing is left to run.

Who runs a session: a session with no session_staffing rows is run by its cohort's current
facilitators. When the facilitators change from a date, every session that the change does
not reach (before that date, or already recorded or cancelled) gets rows naming who ran it,
so the record stays true; the scheduled sessions from that date lose any rows of their own
(a cover included) and follow the cohort's new facilitators.

Every function takes the acting user and enforces tenancy and role itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Table, delete, insert, not_, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.auth.service import require_staff
from app.cohorts.models import (
    Cohort,
    CohortFacilitator,
    GroupSession,
    SessionStaffing,
    SessionStatus,
)
from app.cohorts.schemas import CohortChange
from app.cohorts.service import (
    Slot,
    check_facilitators,
    end_of,
    facilitators_of,
    find_clash,
    get_cohort,
)
from app.cohorts.shared import invalid
from app.exceptions import Conflict

COHORTS: Table = Cohort.__table__  # type: ignore[attr-defined]
SESSIONS: Table = GroupSession.__table__  # type: ignore[attr-defined]


def _day(day: dt.date) -> str:
    return f"{day:%-d %B %Y}"


STALE = "Someone else changed this cohort first. Reload it and try again."


def _claim_cohort(db: Session, cohort: Cohort, version: int, **values: Any) -> None:
    """Optimistic lock on the cohort: move it to version + 1 (with `values`) only if it is
    still at `version`, else 409 with the current version."""
    result = db.execute(
        update(COHORTS)
        .where(COHORTS.c.id == cohort.id, COHORTS.c.version == version)
        .values(version=version + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(cohort)
        raise Conflict(STALE, current_version=cohort.version)
    db.refresh(cohort)


def _not_archived(cohort: Cohort) -> None:
    if cohort.archived_at is not None:
        raise Conflict(f"{cohort.name} is archived: an archived cohort cannot change.")


def change_cohort(
    db: Session, *, actor: User, cohort_id: int, data: CohortChange, today: dt.date
) -> Cohort:
    """Apply `data` (see CohortChange); 409 on a stale version, a name already used or a
    double booking (named); 422 naming the field for a bad facilitator or time."""
    require_staff(actor)
    cohort = get_cohort(db, actor=actor, cohort_id=cohort_id)
    _not_archived(cohort)
    start = data.from_ or today
    name = data.name if data.name is not None else cohort.name
    if (
        name != cohort.name
        and db.exec(
            select(Cohort.id).where(Cohort.org_id == actor.org_id, Cohort.name == name)
        ).first()
    ):
        raise Conflict(f"A cohort called {name} already exists.")
    start_time = data.start_time or cohort.start_time
    minutes = data.duration_minutes or cohort.duration_minutes
    end_time = end_of(start_time, minutes)
    if end_time <= start_time:
        field = "duration_minutes" if data.duration_minutes else "start_time"
        raise invalid(field, "The session must end on the day it starts")
    venue = data.venue or cohort.venue
    old_runners = sorted(u.id or 0 for u in facilitators_of(db, [cohort_id])[cohort_id])
    runners = old_runners
    if data.facilitator_ids is not None:
        chosen = check_facilitators(db, actor, data.facilitator_ids, cohort.curriculum_id)
        runners = sorted(u.id or 0 for u in chosen)
    affected = list(
        db.exec(
            select(GroupSession)
            .where(
                GroupSession.cohort_id == cohort_id,
                GroupSession.org_id == actor.org_id,
                GroupSession.status == SessionStatus.scheduled,
                col(GroupSession.date) >= start,
            )
            .order_by(col(GroupSession.date))
        ).all()
    )
    before = {
        "name": cohort.name,
        "venue": cohort.venue,
        "start_time": cohort.start_time,
        "duration_minutes": cohort.duration_minutes,
        "facilitator_ids": old_runners,
    }
    after = {
        "name": name,
        "venue": venue,
        "start_time": start_time,
        "duration_minutes": minutes,
        "facilitator_ids": runners,
    }
    changes = audit.changes_between(before, after)
    if not changes:
        # Nothing to change: the lock is still checked (a stale page is told so), but the
        # cohort keeps its version and no empty event is written.
        if cohort.version != data.version:
            raise Conflict(STALE, current_version=cohort.version)
        return cohort
    if set(changes) - {"name"}:
        clash = find_clash(
            db,
            org_id=actor.org_id,
            slots=[Slot(s.date, start_time, end_time) for s in affected],
            facilitator_ids=runners,
            venue=venue,
            exclude_cohort_id=cohort_id,
        )
        if clash:
            raise Conflict(f"Double booking: {clash}")
    _claim_cohort(
        db,
        cohort,
        data.version,
        name=name,
        venue=venue,
        start_time=start_time,
        duration_minutes=minutes,
    )
    affected_ids = [s.id or 0 for s in affected]
    if runners != old_runners:
        _hand_over(db, cohort=cohort, old=old_runners, new=runners, affected_ids=affected_ids)
    # Only what changed: a session moved on its own keeps its own time when the venue
    # changes, and its own venue when the time does.
    values: dict[str, Any] = {}
    if "venue" in changes:
        values["venue"] = venue
    if {"start_time", "duration_minutes"} & set(changes):
        values.update(start_time=start_time, end_time=end_time)
    if affected_ids and values:
        db.execute(
            update(SESSIONS)
            .where(SESSIONS.c.id.in_(affected_ids))
            .values(**values, version=SESSIONS.c.version + 1)
        )
    changes["from"] = [None, start.isoformat()]
    changes["sessions_changed"] = [None, affected_ids]
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="change",
        entity="cohort",
        entity_id=cohort_id,
        changes=changes,
    )
    db.expire_all()
    return get_cohort(db, actor=actor, cohort_id=cohort_id)


def _hand_over(
    db: Session, *, cohort: Cohort, old: list[int], new: list[int], affected_ids: list[int]
) -> None:
    """The cohort's facilitators become `new`. Sessions the change does not reach and that
    name nobody of their own keep `old` as who ran them; the sessions it reaches follow the
    cohort (their own rows, a cover included, go)."""
    own = select(SessionStaffing.session_id).where(SessionStaffing.org_id == cohort.org_id)
    kept = db.exec(
        select(GroupSession.id).where(
            GroupSession.cohort_id == cohort.id,
            not_(col(GroupSession.id).in_(affected_ids)),
            not_(col(GroupSession.id).in_(own)),
        )
    ).all()
    if kept and old:
        db.execute(
            insert(SessionStaffing),
            [
                {"session_id": sid, "user_id": uid, "org_id": cohort.org_id}
                for sid in kept
                for uid in old
            ],
        )
    if affected_ids:
        db.execute(delete(SessionStaffing).where(col(SessionStaffing.session_id).in_(affected_ids)))
    db.execute(delete(CohortFacilitator).where(col(CohortFacilitator.cohort_id) == cohort.id))
    db.execute(
        insert(CohortFacilitator),
        [{"cohort_id": cohort.id, "user_id": uid, "org_id": cohort.org_id} for uid in new],
    )


# Archiving -----------------------------------------------------------------------------------


def archive_cohort(
    db: Session, *, actor: User, cohort_id: int, version: int | None, today: dt.date
) -> Cohort:
    """Archive a cohort with nothing left to run: no scheduled session today or later (its
    last is past, or every one still to come is cancelled). 409 otherwise, naming how many
    are left and the next; the cohort leaves the lists, its sessions and figures stay."""
    require_staff(actor)
    cohort = get_cohort(db, actor=actor, cohort_id=cohort_id)
    if cohort.archived_at is not None:
        raise Conflict(f"{cohort.name} is already archived.")
    left = db.exec(
        select(col(GroupSession.date))
        .where(
            GroupSession.cohort_id == cohort_id,
            GroupSession.org_id == actor.org_id,
            GroupSession.status == SessionStatus.scheduled,
            col(GroupSession.date) >= today,
        )
        .order_by(col(GroupSession.date))
    ).all()
    if left:
        count = f"{len(left)} session{'s' if len(left) != 1 else ''}"
        raise Conflict(
            f"{cohort.name} still has {count} to run, the next on {_day(left[0])}: "
            "archive it once its last session is past, or cancel the sessions left first."
        )
    now = dt.datetime.now(dt.UTC)
    _claim_cohort(db, cohort, cohort.version if version is None else version, archived_at=now)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="archive",
        entity="cohort",
        entity_id=cohort_id,
        changes={"archived_at": [None, now.isoformat()]},
    )
    return cohort


def is_archived(cohort: Cohort) -> bool:
    return cohort.archived_at is not None
