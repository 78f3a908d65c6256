"""The lead's overview of mentoring on the home page: unreviewed safeguarding concerns, overdue
check-ins, DBS checks running out, unassigned practice tasks and children still waiting for
a mentor, each with the place to act."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.auth.models import Organisation, User
from app.children.models import Child
from app.clock import today_for
from app.cohorts.models import Enrolment, EnrolmentStatus
from app.mentoring.concerns import service as concern_reviews
from app.mentoring.models import CheckIn, Match, MentorProfile
from app.mentoring.profiles.service import SOON_DAYS
from app.mentoring.shared import add_months, add_years
from app.sessions.models import AssignmentStatus, PracticeAssignment


def _latest_overdue_since(today: dt.date) -> dt.date:
    """The latest last check-in (or start date) whose next monthly check-in is overdue today,
    by matching's own rule (MatchRow: due one month on, overdue when due < today). Every earlier
    date is overdue too, so the count is a single comparison in SQL."""
    for back in range(0, 40):
        day = today - dt.timedelta(days=back)
        if add_months(day, 1) < today:
            return day
    raise AssertionError("unreachable: a month is shorter than 40 days")


def _last_check_on_running_out(today: dt.date, renewal_years: int) -> dt.date:
    """The latest DBS check date that runs out within SOON_DAYS (or has run out)."""
    limit = today + dt.timedelta(days=SOON_DAYS)
    guess = add_years(limit, -renewal_years) + dt.timedelta(days=3)
    while add_years(guess, renewal_years) > limit:
        guess -= dt.timedelta(days=1)
    return guess


def mentoring_panel(db: Session, actor: User) -> dict[str, Any]:
    """The lead's mentoring counts, each with the place to act: four queries, whatever the
    number of mentors, matches, children or tasks."""
    today = today_for(db, actor)
    org = db.get(Organisation, actor.org_id)
    renewal = org.dbs_renewal_years if org else 3
    concerns = concern_reviews.concerns(db, actor=actor)
    last = (
        sa_select(col(CheckIn.match_id), func.max(CheckIn.date).label("last"))
        .where(col(CheckIn.org_id) == actor.org_id)
        .group_by(col(CheckIn.match_id))
        .subquery()
    )
    overdue = (
        sa_select(func.count())
        .select_from(Match)
        .outerjoin(last, last.c.match_id == col(Match.id))
        .where(
            col(Match.org_id) == actor.org_id,
            col(Match.end_date).is_(None),
            func.coalesce(last.c.last, col(Match.start_date)) <= _latest_overdue_since(today),
        )
        .scalar_subquery()
    )
    dbs = (
        sa_select(func.count())
        .select_from(MentorProfile)
        .join(User, col(User.id) == col(MentorProfile.user_id))
        .where(
            col(MentorProfile.org_id) == actor.org_id,
            col(User.active).is_(True),
            col(MentorProfile.dbs_checked_on) <= _last_check_on_running_out(today, renewal),
        )
        .scalar_subquery()
    )
    unassigned = (
        sa_select(func.count())
        .select_from(PracticeAssignment)
        .where(
            col(PracticeAssignment.org_id) == actor.org_id,
            col(PracticeAssignment.mentor_id).is_(None),
            col(PracticeAssignment.status) != AssignmentStatus.completed,
        )
        .scalar_subquery()
    )
    overdue_n, dbs_n, unassigned_n = db.execute(sa_select(overdue, dbs, unassigned)).one()
    matched = sa_select(col(Match.child_id)).where(
        col(Match.org_id) == actor.org_id, col(Match.end_date).is_(None)
    )
    unmatched = db.execute(
        sa_select(
            col(Child.id),
            col(Child.first_name),
            col(Child.reference),
            func.count().over().label("n"),
        )
        .join(Enrolment, col(Enrolment.child_id) == col(Child.id))
        .where(
            col(Child.org_id) == actor.org_id,
            col(Enrolment.org_id) == actor.org_id,
            col(Enrolment.status) == EnrolmentStatus.active,
            col(Child.id).not_in(matched),
        )
        .order_by(col(Child.first_name), col(Child.reference))
        .limit(10)
    ).all()
    return {
        "concerns": [
            {
                "visit_id": c[0],
                "date": c[1],
                "first_name": c[3],
                "reference": c[4],
                "mentor": c[5],
                "match_id": c[6],
            }
            for c in concerns
        ],
        "overdue": int(overdue_n or 0),
        "dbs_soon": int(dbs_n or 0),
        "unassigned": int(unassigned_n or 0),
        "unmatched": [(r[0], r[1], r[2]) for r in unmatched],
        "unmatched_n": int(unmatched[0][3]) if unmatched else 0,
    }
