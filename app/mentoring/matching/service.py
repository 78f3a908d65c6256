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
from app.cohorts.models import Cohort, GroupSession
from app.exceptions import Conflict, Invalid, NotFound
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
from app.mentoring.shared import add_months, ended_early, invalid, organisation
from app.programmes import service as programmes
from app.programmes.models import Programme, ProgrammeKind
from app.sessions import service as sessions_service
from app.sessions.models import AssignmentStatus, PracticeAssignment

ASSIGNMENTS: Table = PracticeAssignment.__table__  # type: ignore[attr-defined]


# Suggestions ---------------------------------------------------------------------------------


def eligible_mentors_query(
    org_id: int, *, programme: Programme, today: dt.date, renewal_years: int
) -> Any:
    """Ready mentors with room in their caseload in the programme (the columns scoring
    needs): one SELECT. Room: fewer active matches in that programme than their own limit
    and than the programme's."""
    active = active_counts(org_id, programme.id)
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
            n < programme.caseload_max,
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
    db: Session,
    *,
    actor: User,
    child_id: int,
    today: dt.date,
    top: int = 10,
    programme: Programme | None = None,
    programme_id: int | None = None,
) -> list[Suggested]:
    """The best `top` ready mentors with room in the programme (given, or resolved from
    `programme_id` as for a new match), by score (then the fewest mentees): a fixed number of
    queries (the programme, the child and organisation, then the eligible mentors), whatever
    their number."""
    require_staff(actor)
    if programme is None:
        programme = programmes.resolve(db, actor.org_id, programme_id)
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
        eligible_mentors_query(
            org.id or 0, programme=programme, today=today, renewal_years=org.dbs_renewal_years
        )
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
                min(row.max_caseload, programme.caseload_max),
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
    check_age(child, programme, data)
    check_agreement(programme, data, today)
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
        age_override=data.age_override,
        child_agreed_on=data.child_agreed_on,
        child_agreed_how=data.child_agreed_how,
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
    # The child's open practice tasks from this programme's groups go to the new mentor
    # (a programme without groups has none: an Independent Visitor never gets them).
    moved = 0
    if ProgrammeKind(programme.kind).has_groups:
        moved = db.execute(
            update(ASSIGNMENTS)
            .where(
                ASSIGNMENTS.c.org_id == actor.org_id,
                ASSIGNMENTS.c.child_id == child.id,
                ASSIGNMENTS.c.status != AssignmentStatus.completed.value,
                ASSIGNMENTS.c.session_id.in_(sessions_of(actor.org_id, programme.id or 0)),
            )
            .values(mentor_id=data.mentor_id)
        ).rowcount  # type: ignore[attr-defined]
    extra: dict[str, list[Any]] = {
        key: [None, value.isoformat() if isinstance(value, dt.date) else value]
        for key in ("age_override", "child_agreed_on", "child_agreed_how")
        if (value := getattr(data, key)) is not None
    }
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="match",
        entity_id=match.id,
        changes={
            "programme_id": [None, programme.id],
            "child_id": [None, child.id],
            "mentor_id": [None, data.mentor_id],
            "start_date": [None, data.start_date.isoformat()],
            "chosen_by_young_person": [None, data.chosen_by_young_person],
            "score": [None, value],
            "assignments_moved": [None, moved],
            **extra,
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


def sessions_of(org_id: int, programme_id: Any) -> Any:
    """The ids of the group sessions of the programme's cohorts (a subquery)."""
    return (
        sa_select(col(GroupSession.id))
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(col(Cohort.org_id) == org_id, col(Cohort.programme_id) == programme_id)
    )


def check_age(child: Child, programme: Programme, data: MatchCreate) -> None:
    """A child outside the programme's ages on the start date is matched only with a
    reason (`age_override`)."""
    age = children_service.age_of(child, data.start_date)
    if age is None or programme.age_min <= age <= programme.age_max or data.age_override:
        return
    raise invalid(
        "age_override",
        f"{child.first_name} will be {age} on the start date, outside {programme.name}'s "
        f"ages ({programme.age_min} to {programme.age_max}): give the reason to match them "
        "all the same",
    )


def check_agreement(programme: Programme, data: MatchCreate, today: dt.date) -> None:
    """An Independent Visitor is only for a child who wants one: when and how they said so
    (asked again when it was more than a year before the start). Other kinds may record it."""
    agreed_on = data.child_agreed_on
    if agreed_on is not None:
        if agreed_on > today:
            raise invalid("child_agreed_on", "Give the date the child agreed: today or earlier")
        if agreed_on < add_months(data.start_date, -12):
            raise invalid(
                "child_agreed_on",
                "The child agreed more than a year before the start date: ask them again",
            )
    if programme.kind != ProgrammeKind.independent_visitor:
        return
    # Both missing: both named at once, so the form shows every field to fill in.
    missing = []
    if agreed_on is None:
        missing.append(
            ("child_agreed_on", "Give the date the child said they want an Independent Visitor")
        )
    if not data.child_agreed_how:
        missing.append(
            ("child_agreed_how", "Say how the child said they want an Independent Visitor")
        )
    if missing:
        raise Invalid(
            "; ".join(message for _, message in missing),
            [{"loc": ["body", field], "msg": message} for field, message in missing],
        )


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
    programme_name: str = ""
    # The programme's expected length in months (None: open-ended).
    match_length_months: int | None = None

    @property
    def ended_early(self) -> bool | None:
        m = self.match
        return ended_early(m.start_date, m.end_date, self.match_length_months)

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
    programme_id: int | None = None,
) -> list[MatchRow]:
    """Matches with names, their programme and the last check-in: one query."""
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
            col(Programme.name),
            col(Programme.match_length_months),
        )
        .join(Child, col(Child.id) == col(Match.child_id))
        .join(User, col(User.id) == col(Match.mentor_id))
        .join(Programme, col(Programme.id) == col(Match.programme_id))
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
    if programme_id is not None:
        stmt = stmt.where(col(Match.programme_id) == programme_id)
    return [MatchRow(*row) for row in db.execute(stmt).all()]


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
            ASSIGNMENTS.c.session_id.in_(sessions_of(match.org_id, match.programme_id)),
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
def _active_mentor(child_id: Any, programme_id: Any) -> ScalarSelect[Any]:
    """A child's active mentor in the programme, if any (at most one active match per child
    in each programme: a unique index). An Independent Visitor is in another programme, so
    never the mentor of a group's practice tasks."""
    return (
        select(Match.mentor_id)
        .where(
            col(Match.child_id) == child_id,
            col(Match.programme_id) == programme_id,
            col(Match.end_date).is_(None),
        )
        .scalar_subquery()
    )
