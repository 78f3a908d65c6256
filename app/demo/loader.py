"""`tandem demo`: the demo organisation, its logins, and its story (app/demo/story.py) built
once through the services. A second run resets the logins and leaves the data alone; on an
organisation an earlier version of the demo built, it adds only what that version lacked."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.auth.models import Organisation, Role, User
from app.auth.security import hash_password
from app.auth.service import create_user, get_or_create_organisation
from app.children.models import Child
from app.clock import today_for
from app.cohorts.models import Cohort
from app.curriculum.service import latest_curricula
from app.demo.builder import build_cohorts, build_mentoring, build_visitors
from app.demo.outcomes import build_outcomes
from app.demo.story import (
    DEMO_ORG,
    DEMO_USERS,
    FIRST_WAVE,
    IV_PROGRAMME,
    IV_SHARED_CHILD,
    IV_SHARED_MENTOR,
    LEAD,
    MORE_WAVE,
)
from app.mail.models import OutboxMessage, OutboxStatus
from app.mentoring.models import MentorProfile
from app.programmes import service as _programmes  # noqa: F401  (its hook: the demo org's programme)
from app.programmes.models import Programme


def load_demo(db: Session, *, password: str, today: dt.date | None = None) -> None:
    """Create (or refresh) the demo organisation, as of `today` (default: the lead's date),
    committing each step. The story happened in the past: the emails its steps queue (new
    mentees, a safeguarding concern) are dropped, not sent; the worker's reminders about
    where the demo stands now (a register not recorded, a DBS check running out) still go."""
    already_queued = db.exec(select(func.max(OutboxMessage.id))).one() or 0
    organisation = _people(db, password)
    db.commit()
    org_id = organisation.id or 0
    lead = db.exec(select(User).where(User.email == LEAD)).one()
    day = today or today_for(db, lead)

    # The first wave in two steps, as the demo grew: the Monday group, then its mentoring.
    curricula = latest_curricula(db)
    if curricula and not _any_cohort(db, org_id):
        build_cohorts(
            db,
            org_id=org_id,
            lead=lead,
            curriculum_id=curricula[0].id or 0,
            wave=FIRST_WAVE,
            today=day,
        )
    db.commit()
    first = db.exec(select(Cohort).where(Cohort.org_id == org_id).order_by(col(Cohort.id))).first()
    if first is not None and _unmentored(db, org_id):
        build_mentoring(db, org_id=org_id, wave=FIRST_WAVE, cohorts=[first], today=day)
    db.commit()

    # The Wednesday and Thursday groups, beside a Monday group built before them.
    users = {u.email: u for u in db.exec(select(User).where(User.org_id == org_id)).all()}
    names = [group.name for group in MORE_WAVE.cohorts]
    if (
        curricula
        and LEAD in users
        and _any_cohort(db, org_id)
        and not db.exec(
            select(Cohort.id).where(Cohort.org_id == org_id, col(Cohort.name).in_(names))
        ).first()
    ):
        cohorts = build_cohorts(
            db,
            org_id=org_id,
            lead=users[LEAD],
            curriculum_id=curricula[0].id or 0,
            wave=MORE_WAVE,
            today=day,
        )
        build_mentoring(db, org_id=org_id, wave=MORE_WAVE, cohorts=cohorts, today=day)
    db.commit()

    # The Independent Visitor service beside the groups, once their mentors and children
    # are there (an FHF-PT mentor and child are in it too).
    if (
        _groups_mentored(db, org_id)
        and not db.exec(
            select(Programme.id).where(Programme.org_id == org_id, Programme.name == IV_PROGRAMME)
        ).first()
    ):
        build_visitors(db, org_id=org_id, today=day)
    db.execute(
        delete(OutboxMessage).where(
            col(OutboxMessage.org_id) == org_id,
            col(OutboxMessage.id) > already_queued,
            col(OutboxMessage.status) == OutboxStatus.queued,
        )
    )
    db.commit()

    # The children's assessments (each measure that is loaded) and their life events.
    build_outcomes(db, org_id=org_id, today=day)
    db.commit()


def _people(db: Session, password: str) -> Organisation:
    """The organisation and everyone in DEMO_USERS: created, or signed in again with
    `password` (unlocked and active) when they are already there."""
    organisation, _ = get_or_create_organisation(db, DEMO_ORG)
    password_hash = None  # hashed once for everyone on a re-run: the demo stays fast
    for email, name, role in DEMO_USERS:
        user = db.exec(select(User).where(User.email == email)).first()
        if user is None:
            create_user(
                db,
                actor=None,
                org_id=organisation.id or 0,
                email=email,
                name=name,
                role=Role(role),
                password=password,
            )
        elif user.org_id == organisation.id:
            password_hash = password_hash or hash_password(password)
            user.password_hash = password_hash
            user.active, user.failed_logins, user.locked_until = True, 0, None
            db.add(user)
    return organisation


def _any_cohort(db: Session, org_id: int) -> bool:
    return db.exec(select(Cohort.id).where(Cohort.org_id == org_id).limit(1)).first() is not None


def _unmentored(db: Session, org_id: int) -> bool:
    """The Monday group's children are all there, and nobody has a mentor profile yet."""
    refs = set(db.exec(select(Child.reference).where(Child.org_id == org_id)).all())
    return all(kid.reference in refs for kid in FIRST_WAVE.cohorts[0].children) and (
        db.exec(select(MentorProfile.user_id).where(MentorProfile.org_id == org_id)).first() is None
    )


def _groups_mentored(db: Session, org_id: int) -> bool:
    """The FHF-PT mentor and child the Independent Visitor service shares are there, the
    mentor with a profile."""
    child = db.exec(
        select(Child.id).where(Child.org_id == org_id, Child.reference == IV_SHARED_CHILD)
    ).first()
    profile = db.exec(
        select(MentorProfile.user_id)
        .join(User, col(User.id) == col(MentorProfile.user_id))
        .where(MentorProfile.org_id == org_id, User.email == IV_SHARED_MENTOR)
    ).first()
    return child is not None and profile is not None
