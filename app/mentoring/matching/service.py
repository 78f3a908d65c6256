"""Matching: ranked suggestions of ready mentors with room, matches (one place at a time,
even under concurrent requests), the lead's monthly check-ins, and ending a match."""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.auth.service import require_staff
from app.children import service as children_service
from app.children.models import Child
from app.exceptions import Conflict, NotFound
from app.mail import service as mail
from app.mail.kinds import Kind
from app.mentoring.matching.scoring import ChildNeeds, Scorer, score
from app.mentoring.models import CheckIn, Match, MentorProfile, MentorVisit
from app.mentoring.profiles.service import (
    MentorRow,
    active_counts,
    claim_mentor,
    dbs_run_out_by,
    list_mentors,
)
from app.mentoring.schemas import CheckInCreate, MatchCreate, MatchEnd
from app.mentoring.shared import add_months, invalid, organisation
from app.programmes import service as programmes
from app.programmes.models import ProgrammeKind
from app.sessions import service as sessions_service
from app.sessions.models import AssignmentStatus, PracticeAssignment

ASSIGNMENTS: Table = PracticeAssignment.__table__  # type: ignore[attr-defined]


# Suggestions ---------------------------------------------------------------------------------


def eligible_mentors_query(org_id: int, *, today: dt.date, renewal_years: int) -> Any:
    """Ready mentors with room in their caseload (the columns scoring needs): one SELECT."""
    active = active_counts(org_id)
    n = func.coalesce(active.c.n, 0)
    oldest = dbs_run_out_by(today, renewal_years)
    return (
        sa_select(
            col(MentorProfile.user_id),
            col(User.name),
            col(MentorProfile.gender),
            col(MentorProfile.ethnicity),
            col(MentorProfile.languages),
            col(MentorProfile.interests),
            col(MentorProfile.care_experience),
            col(MentorProfile.about),
            col(MentorProfile.max_caseload),
            n.label("active_matches"),
        )
        .join(User, col(User.id) == col(MentorProfile.user_id))
        .outerjoin(active, active.c.mentor_id == col(MentorProfile.user_id))
        .where(
            col(MentorProfile.org_id) == org_id,
            col(User.active).is_(True),
            col(User.role) == Role.mentor,
            col(MentorProfile.dbs_checked_on) > oldest,
            col(MentorProfile.dbs_checked_on) <= today,
            col(MentorProfile.barred_list_checked).is_(True),
            col(MentorProfile.references_checked).is_(True),
            col(MentorProfile.interviewed_on).is_not(None),
            col(MentorProfile.training_completed_on).is_not(None),
            n < col(MentorProfile.max_caseload),
        )
    )


@dataclass(frozen=True)
class Suggested:
    mentor_id: int
    name: str
    score: float
    reasons: list[str]
    active_matches: int
    max_caseload: int
    interests: list[str]
    about: str | None


def suggestions(
    db: Session, *, actor: User, child_id: int, today: dt.date, top: int = 10
) -> list[Suggested]:
    """The best `top` ready mentors with room, by score (then the fewest mentees): two
    queries (the child and organisation, then the eligible mentors), whatever their number."""
    require_staff(actor)
    row = db.exec(
        select(Child, Organisation)
        .join(Organisation, col(Organisation.id) == col(Child.org_id))
        .where(Child.id == child_id, Child.org_id == actor.org_id)
    ).first()
    if row is None:
        raise NotFound(f"There is no child {child_id}.")
    child, org = row
    needs = ChildNeeds.of(child)
    scorer = Scorer(needs, org.match_weights or {})
    scored = []
    # Plain rows through the session's connection; a number for every eligible mentor, then
    # the reasons for the best `top` only (picked with a heap, not a sort of all of them).
    for row in db.connection().execute(
        eligible_mentors_query(org.id or 0, today=today, renewal_years=org.dbs_renewal_years)
    ):
        _id, name, gender, ethnicity, languages, interests, care, _about, _cap, n = row
        scored.append((-scorer(gender, ethnicity, languages, interests, care), n, name, row))
    out = []
    for negative, n, name, row in heapq.nsmallest(top, scored, key=lambda s: s[:3]):
        reasons: list[str] = []
        scorer(
            row.gender, row.ethnicity, row.languages, row.interests, row.care_experience, reasons
        )
        out.append(
            Suggested(
                row.user_id,
                name,
                -negative,
                reasons,
                int(n),
                row.max_caseload,
                list(row.interests or ()),
                row.about,
            )
        )
    return out


# Matches -------------------------------------------------------------------------------------


def create_match(db: Session, *, actor: User, data: MatchCreate, today: dt.date) -> Match:
    require_staff(actor)
    child = db.exec(
        select(Child).where(Child.id == data.child_id, Child.org_id == actor.org_id)
    ).first()
    if child is None:
        raise invalid("child_id", f"There is no child {data.child_id}")
    programme = programmes.resolve(db, actor.org_id, data.programme_id)
    mentor = get_mentor_for_match(db, actor=actor, mentor_id=data.mentor_id, today=today)
    if data.start_date > add_months(today, 3):
        raise invalid("start_date", "A match can start at most three months from today")
    if data.start_date < add_months(today, -12):
        raise invalid("start_date", "A match cannot start more than a year ago")
    if not claim_mentor(db, data.mentor_id, actor.org_id):
        raise invalid("mentor_id", f"User {data.mentor_id} has no mentor profile")
    active = db.exec(
        select(func.count())
        .select_from(Match)
        .where(
            Match.mentor_id == data.mentor_id,
            Match.programme_id == programme.id,
            col(Match.end_date).is_(None),
        )
    ).one()
    # The caseload is counted in this programme: the mentor's own limit or the programme's,
    # whichever is smaller.
    limit = min(mentor.profile.max_caseload, programme.caseload_max)
    if active >= limit:
        raise Conflict(
            f"{mentor.user.name} already has {active} active mentees in {programme.name}, "
            f"the most their caseload allows ({limit})."
        )
    current = db.exec(
        select(User.name)
        .join(Match, col(Match.mentor_id) == col(User.id))
        .where(
            Match.child_id == child.id,
            Match.programme_id == programme.id,
            col(Match.end_date).is_(None),
        )
    ).first()
    if current is not None:
        raise Conflict(
            f"{child.first_name} already has a mentor ({current}). End that match first."
        )
    org = organisation(db, actor.org_id)
    value, reasons = score(
        ChildNeeds.of(child),
        gender=mentor.profile.gender,
        ethnicity=mentor.profile.ethnicity,
        languages=mentor.profile.languages,
        interests=mentor.profile.interests,
        care_experience=mentor.profile.care_experience,
        weights=org.match_weights or {},
    )
    if data.chosen_by_young_person:
        reasons = ["the young person chose this mentor", *reasons]
    match = Match(
        org_id=actor.org_id,
        programme_id=programme.id or 0,
        child_id=child.id or 0,
        mentor_id=data.mentor_id,
        start_date=data.start_date,
        score=value,
        reasons=reasons,
        chosen_by_young_person=data.chosen_by_young_person,
        created_by=actor.id or 0,
        created_at=dt.datetime.now(dt.UTC),
    )
    # Added inside the savepoint: begin_nested() flushes what is pending before it starts,
    # and a failure there would break the whole transaction (expiring `child`), not just
    # the savepoint.
    name = child.first_name
    try:
        with db.begin_nested():
            db.add(match)
            db.flush()
    except IntegrityError:
        raise Conflict(f"{name} already has a mentor.") from None
    # The child's open practice tasks go to the new mentor, in a programme with groups (the
    # tasks come from them): an Independent Visitor does not take over a group's tasks.
    moved = 0
    if ProgrammeKind(programme.kind).has_groups:
        moved = db.execute(
            update(ASSIGNMENTS)
            .where(
                ASSIGNMENTS.c.org_id == actor.org_id,
                ASSIGNMENTS.c.child_id == child.id,
                ASSIGNMENTS.c.status != AssignmentStatus.completed.value,
            )
            .values(mentor_id=data.mentor_id)
        ).rowcount  # type: ignore[attr-defined]
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="match",
        entity_id=match.id,
        changes={
            "child_id": [None, child.id],
            "mentor_id": [None, data.mentor_id],
            "start_date": [None, data.start_date.isoformat()],
            "chosen_by_young_person": [None, data.chosen_by_young_person],
            "score": [None, value],
            "assignments_moved": [None, moved],
        },
    )
    # The mentor hears at once, in this transaction (sent iff the match is saved).
    mail.send(
        db,
        recipient=mentor.user,
        kind=Kind.new_match,
        context={"reference": child.reference, "start_date": match.start_date},
        dedupe_key=f"new_match:match:{match.id}",
    )
    return match


def get_mentor_for_match(db: Session, *, actor: User, mentor_id: int, today: dt.date) -> MentorRow:
    """The mentor to match: 422 when they are not a mentor here or not ready yet."""
    rows = list_mentors(db, actor=actor, today=today, mentor_id=mentor_id)
    if not rows or rows[0].user.role != Role.mentor:
        raise invalid("mentor_id", f"User {mentor_id} is not a mentor in this organisation")
    mentor = rows[0]
    if not mentor.user.active:
        raise invalid("mentor_id", f"{mentor.user.name}'s account is switched off")
    if not mentor.readiness.ready:
        raise invalid(
            "mentor_id",
            f"{mentor.user.name} is not ready to mentor yet: still needs "
            + ", ".join(mentor.readiness.missing),
        )
    return mentor


def visible_matches(actor: User) -> Any:
    """Staff see the organisation's matches; a mentor, their own active ones."""
    in_org = col(Match.org_id) == actor.org_id
    if actor.role in (Role.lead, Role.admin):
        return in_org
    if actor.role == Role.mentor:
        return in_org & (col(Match.mentor_id) == actor.id) & col(Match.end_date).is_(None)
    return in_org & (col(Match.id).is_(None))


def get_match(db: Session, *, actor: User, match_id: int) -> Match:
    match = db.exec(select(Match).where(Match.id == match_id, visible_matches(actor))).first()
    if match is None:
        raise NotFound(f"There is no match {match_id}.")
    return match


def require_active(match: Match) -> None:
    if match.end_date is not None:
        raise Conflict(f"This match ended on {match.end_date:%-d %B %Y}; it is read-only.")


@dataclass
class MatchRow:
    match: Match
    child_first_name: str
    child_reference: str
    mentor_name: str
    last_check_in: dt.date | None
    mentor_email: str = ""  # how the lead reaches the mentor (a flag's "no visit" lands here)

    def check_in_due(self) -> dt.date | None:
        if self.match.end_date is not None:
            return None
        return add_months(self.last_check_in or self.match.start_date, 1)

    def check_in_overdue(self, today: dt.date) -> bool:
        due = self.check_in_due()
        return due is not None and due < today


def list_matches(
    db: Session,
    *,
    actor: User,
    active: bool | None = None,
    mentor_id: int | None = None,
    child_id: int | None = None,
    match_id: int | None = None,
) -> list[MatchRow]:
    """Matches with names and the last check-in: one query."""
    last = (
        select(col(CheckIn.match_id), func.max(CheckIn.date).label("last"))
        .where(CheckIn.org_id == actor.org_id)
        .group_by(col(CheckIn.match_id))
        .subquery()
    )
    stmt = (
        sa_select(
            Match,
            col(Child.first_name),
            col(Child.reference),
            col(User.name),
            last.c.last,
            col(User.email),
        )
        .join(Child, col(Child.id) == col(Match.child_id))
        .join(User, col(User.id) == col(Match.mentor_id))
        .outerjoin(last, last.c.match_id == col(Match.id))
        .where(visible_matches(actor))
        .order_by(col(Match.end_date).is_not(None), col(User.name), col(Child.first_name))
    )
    if active is not None:
        stmt = stmt.where(
            col(Match.end_date).is_(None) if active else col(Match.end_date).is_not(None)
        )
    if mentor_id is not None:
        stmt = stmt.where(col(Match.mentor_id) == mentor_id)
    if child_id is not None:
        stmt = stmt.where(col(Match.child_id) == child_id)
    if match_id is not None:
        stmt = stmt.where(col(Match.id) == match_id)
    return [MatchRow(m, f, r, n, last_, e) for m, f, r, n, last_, e in db.execute(stmt).all()]


def match_row(db: Session, *, actor: User, match_id: int) -> MatchRow:
    rows = list_matches(db, actor=actor, match_id=match_id)
    if not rows:
        raise NotFound(f"There is no match {match_id}.")
    return rows[0]


def end_match(db: Session, *, actor: User, match_id: int, data: MatchEnd, today: dt.date) -> Match:
    require_staff(actor)
    match = get_match(db, actor=actor, match_id=match_id)
    require_active(match)
    if data.end_date < match.start_date:
        raise invalid("end_date", "The end date cannot be before the match started")
    if data.end_date > today:
        raise invalid("end_date", "Give today's date or an earlier one")
    if data.reason.value == "other" and not data.note:
        raise invalid("note", "Say why the match ended")
    visits = _visit_table()
    recorded_after = db.execute(
        select(func.count())
        .select_from(visits)
        .where(
            visits.c.match_id == match.id,
            visits.c.status.in_(("completed", "missed")),
            visits.c.date > data.end_date,
        )
    ).scalar_one()
    if recorded_after:
        raise invalid("end_date", "Visits are recorded after this date; give a later end date")
    match.end_date = data.end_date
    match.end_reason = data.reason
    match.ended_by = data.ended_by
    match.closure_note = data.note or None
    db.add(match)
    db.flush()
    # Visits still planned from the end date on are cancelled (the match is read-only
    # from now, so they could never be recorded); open practice tasks become unassigned.
    cancelled = db.execute(
        update(visits)
        .where(
            visits.c.match_id == match.id,
            visits.c.status == "planned",
            visits.c.date >= data.end_date,
        )
        .values(
            status="cancelled",
            version=visits.c.version + 1,
            updated_at=dt.datetime.now(dt.UTC),
        )
    ).rowcount  # type: ignore[attr-defined]
    db.execute(
        update(ASSIGNMENTS)
        .where(
            ASSIGNMENTS.c.child_id == match.child_id,
            ASSIGNMENTS.c.mentor_id == match.mentor_id,
            ASSIGNMENTS.c.status != AssignmentStatus.completed.value,
        )
        .values(mentor_id=None)
    )
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="end",
        entity="match",
        entity_id=match.id,
        changes={
            "end_date": [None, data.end_date.isoformat()],
            "end_reason": [None, data.reason.value],
            "ended_by": [None, data.ended_by.value],
            "planned_visits_cancelled": [None, cancelled],
        },
    )
    return match


def _visit_table() -> Table:
    return MentorVisit.__table__  # type: ignore[attr-defined, no-any-return]


def add_check_in(
    db: Session, *, actor: User, match_id: int, data: CheckInCreate, today: dt.date
) -> CheckIn:
    require_staff(actor)
    match = get_match(db, actor=actor, match_id=match_id)
    require_active(match)
    if data.date > today:
        raise invalid("date", "Give today's date or an earlier one")
    if data.date < match.start_date:
        raise invalid("date", "The check-in cannot be before the match started")
    check_in = CheckIn(
        org_id=actor.org_id,
        match_id=match.id or 0,
        **data.model_dump(),
        recorded_by=actor.id or 0,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(check_in)
    db.flush()
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="check_in",
        entity="match",
        entity_id=match.id,
        changes=audit.changes_between({}, data.model_dump(mode="json")),
    )
    return check_in


def check_ins_of(db: Session, match_id: int) -> list[CheckIn]:
    return list(
        db.exec(
            select(CheckIn)
            .where(CheckIn.match_id == match_id)
            .order_by(col(CheckIn.date).desc(), col(CheckIn.id).desc())
        ).all()
    )


# What earlier domains ask of mentoring (app/hooks.py): a mentor's children, a child's mentor.


@children_service.SEEN_BY_MENTOR.set
def _mentees(actor: User) -> SelectOfScalar[int]:
    """The children a mentor may see: their active mentees."""
    return select(Match.child_id).where(Match.mentor_id == actor.id, col(Match.end_date).is_(None))


@sessions_service.ACTIVE_MENTOR.set
def _active_mentor(child_id: Any) -> ScalarSelect[Any]:
    """A child's active mentor, if any (at most one active match per child: a unique index)."""
    return (
        select(Match.mentor_id)
        .where(col(Match.child_id) == child_id, col(Match.end_date).is_(None))
        .scalar_subquery()
    )
