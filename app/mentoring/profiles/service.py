"""Mentor profiles: the safer-recruitment checks and when a mentor is ready, the profile
with its caseload, and the lock on a mentor's row that new matches and visits take."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.auth.service import require_staff
from app.exceptions import Conflict, Invalid, NotFound
from app.mentoring.models import Match, MentorProfile
from app.mentoring.schemas import MentorCreate, MentorUpdate
from app.mentoring.shared import add_years, invalid, organisation

PROFILES: Table = MentorProfile.__table__  # type: ignore[attr-defined]
SOON_DAYS = 60  # a DBS check that runs out within this many days is flagged


# Readiness -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    ready: bool
    missing: list[str]
    dbs_expires_on: dt.date | None


def dbs_run_out_by(today: dt.date, renewal_years: int) -> dt.date:
    """The latest DBS date that has run out by `today`: a check is current exactly when it
    is later than this (what `readiness` says, as a bound a query can use). A check of
    29 February runs out on 28 February, so on 28 February that day has run out too."""
    oldest = add_years(today, -renewal_years)
    following = oldest + dt.timedelta(days=1)
    return following if add_years(following, renewal_years) <= today else oldest


def readiness(profile: Any, *, today: dt.date, renewal_years: int) -> Readiness:
    """Ready only when every safer-recruitment check is done and the DBS check is current."""
    missing = []
    expires = add_years(profile.dbs_checked_on, renewal_years) if profile.dbs_checked_on else None
    if profile.dbs_checked_on is None:
        missing.append("an enhanced DBS check")
    elif expires is not None and expires <= today:
        missing.append(f"a new DBS check (the last one ran out on {expires:%-d %B %Y})")
    if not profile.barred_list_checked:
        missing.append("the barred-list check")
    if not profile.references_checked:
        missing.append("two references")
    if profile.interviewed_on is None:
        missing.append("an interview")
    if profile.training_completed_on is None:
        missing.append("the mentor training")
    return Readiness(not missing, missing, expires)


# Profiles ------------------------------------------------------------------------------------


def active_counts(org_id: int, programme_id: int | None = None) -> Any:
    """Each mentor's active matches: in one programme (a caseload is counted per programme),
    or in all of them (`programme_id` None)."""
    stmt = select(col(Match.mentor_id), func.count().label("n")).where(
        Match.org_id == org_id, col(Match.end_date).is_(None)
    )
    if programme_id is not None:
        stmt = stmt.where(Match.programme_id == programme_id)
    return stmt.group_by(col(Match.mentor_id)).subquery()


def caseloads_in(db: Session, org_id: int, programme_id: int) -> dict[int, int]:
    """Mentor id → active matches in the programme (one query)."""
    counts = active_counts(org_id, programme_id)
    return {int(m): int(n) for m, n in db.execute(select(counts.c.mentor_id, counts.c.n)).all()}


@dataclass
class MentorRow:
    profile: MentorProfile
    user: User
    active_matches: int
    readiness: Readiness


def check_dates(data: MentorCreate | MentorUpdate, today: dt.date) -> None:
    errors = [
        {"loc": ["body", name], "msg": "Give a date today or earlier"}
        for name in ("dbs_checked_on", "interviewed_on", "training_completed_on")
        if (value := getattr(data, name)) is not None and value > today
    ]
    if errors:
        raise Invalid("A check cannot be dated in the future", errors)


def create_profile(
    db: Session, *, actor: User, data: MentorCreate, today: dt.date
) -> MentorProfile:
    require_staff(actor)
    user = db.exec(select(User).where(User.id == data.user_id, User.org_id == actor.org_id)).first()
    if user is None or user.role != Role.mentor:
        raise invalid("user_id", f"User {data.user_id} is not a mentor in this organisation")
    check_dates(data, today)
    if db.get(MentorProfile, user.id) is not None:
        raise Conflict(f"{user.name} already has a mentor profile.")
    stamp = dt.datetime.now(dt.UTC)
    profile = MentorProfile(
        org_id=actor.org_id, **data.model_dump(), created_at=stamp, updated_at=stamp
    )
    name = user.name
    try:
        with db.begin_nested():  # the INSERT inside the savepoint (see matching's create_match)
            db.add(profile)
            db.flush()
    except IntegrityError:
        raise Conflict(f"{name} already has a mentor profile.") from None
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="mentor_profile",
        entity_id=user.id,
        changes=audit.changes_between({}, data.model_dump(mode="json")),
    )
    return profile


def get_mentor(db: Session, *, actor: User, mentor_id: int, today: dt.date) -> MentorRow:
    """Staff see every mentor of the organisation; a mentor, only their own profile."""
    if actor.role not in (Role.lead, Role.admin) and actor.id != mentor_id:
        raise NotFound(f"There is no mentor {mentor_id}.")
    rows = list_mentors(db, actor=actor, today=today, mentor_id=mentor_id)
    if not rows:
        raise NotFound(f"There is no mentor {mentor_id}.")
    return rows[0]


def list_mentors(
    db: Session, *, actor: User, today: dt.date, mentor_id: int | None = None
) -> list[MentorRow]:
    """Every mentor profile with its caseload and readiness: one query."""
    if actor.role not in (Role.lead, Role.admin) and (mentor_id is None or mentor_id != actor.id):
        require_staff(actor)
    org = organisation(db, actor.org_id)
    active = active_counts(actor.org_id)
    stmt = (
        select(MentorProfile, User, func.coalesce(active.c.n, 0))
        .join(User, col(User.id) == col(MentorProfile.user_id))
        .outerjoin(active, active.c.mentor_id == col(MentorProfile.user_id))
        .where(MentorProfile.org_id == actor.org_id)
        .order_by(col(User.name))
    )
    if mentor_id is not None:
        stmt = stmt.where(MentorProfile.user_id == mentor_id)
    return [
        MentorRow(p, u, int(n), readiness(p, today=today, renewal_years=org.dbs_renewal_years))
        for p, u, n in db.exec(stmt).all()
    ]


def unprofiled_mentors(db: Session, *, actor: User) -> list[User]:
    """Active people with the mentor role who have no profile yet, by name (one query)."""
    require_staff(actor)
    has_profile = select(MentorProfile.user_id).where(MentorProfile.org_id == actor.org_id)
    return list(
        db.exec(
            select(User)
            .where(
                User.org_id == actor.org_id,
                User.role == Role.mentor,
                col(User.active).is_(True),
                col(User.id).not_in(has_profile),
            )
            .order_by(col(User.name))
        ).all()
    )


def update_profile(
    db: Session, *, actor: User, mentor_id: int, data: MentorUpdate, today: dt.date
) -> MentorProfile:
    require_staff(actor)
    profile = db.exec(
        select(MentorProfile).where(
            MentorProfile.user_id == mentor_id, MentorProfile.org_id == actor.org_id
        )
    ).first()
    if profile is None:
        raise NotFound(f"There is no mentor {mentor_id}.")
    check_dates(data, today)
    changes = data.model_dump(exclude_unset=True)
    for nullable in ("gender", "ethnicity", "availability", "about"):
        if nullable in changes and changes[nullable] == "":
            changes[nullable] = None
    if changes.get("max_caseload") is not None:
        # The limit holds in each programme: the fullest one decides how low it may go.
        per_programme = (
            select(func.count().label("n"))
            .where(Match.mentor_id == mentor_id, col(Match.end_date).is_(None))
            .group_by(col(Match.programme_id))
            .subquery()
        )
        active = db.exec(select(func.coalesce(func.max(per_programme.c.n), 0))).one()
        if changes["max_caseload"] < active:
            raise invalid(
                "max_caseload",
                f"The mentor has {active} active mentees; end a match before lowering this",
            )
    # Null for a field that cannot be empty leaves it as it is.
    for required in (
        "languages",
        "interests",
        "care_experience",
        "barred_list_checked",
        "references_checked",
        "max_caseload",
    ):
        if required in changes and changes[required] is None:
            del changes[required]
    audit.update(db, profile, changes, actor=actor, entity="mentor_profile", entity_id=mentor_id)
    return profile


# The mentor's lock ---------------------------------------------------------------------------


def claim_mentor(db: Session, mentor_id: int, org_id: int) -> bool:
    """Lock the mentor's profile row for the rest of the transaction, so that two matches
    for the mentor's last free place are serialised (the second waits for the first)."""
    result = db.execute(
        update(PROFILES)
        .where(PROFILES.c.user_id == bindparam("m"), PROFILES.c.org_id == bindparam("o"))
        .values(version=PROFILES.c.version + 1),
        {"m": mentor_id, "o": org_id},
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
