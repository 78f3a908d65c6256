"""Mentors and matching: profiles and safer-recruitment checks, ranked suggestions with
plain reasons, matches (one place at a time, even under concurrent requests), the lead's
monthly check-ins, and ending a match."""

from __future__ import annotations

import calendar
import datetime as dt
import heapq
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import DEFAULT_MATCH_WEIGHTS, Organisation, Role, User
from app.auth.service import require_staff
from app.children.models import Child
from app.exceptions import Conflict, Invalid, NotFound
from app.mentoring.models import CheckIn, Match, MentorProfile, MentorVisit
from app.mentoring.schemas import (
    CheckInCreate,
    MatchCreate,
    MatchEnd,
    MentorCreate,
    MentorUpdate,
    WeekTarget,
)
from app.sessions.models import AssignmentStatus, PracticeAssignment

ASSIGNMENTS: Table = PracticeAssignment.__table__  # type: ignore[attr-defined]
PROFILES: Table = MentorProfile.__table__  # type: ignore[attr-defined]
WEIGHT_LABELS = {
    "gender": "Gender the young person asked for",
    "ethnicity": "Shared ethnicity",
    "languages": "A shared language",
    "interests": "Shared interests",
    "care_experience": "Mentor has care experience",
}


def invalid(field: str, message: str) -> Invalid:
    return Invalid(message, [{"loc": ["body", field], "msg": message}])


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 28 February)."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def organisation(db: Session, org_id: int) -> Organisation:
    org = db.get(Organisation, org_id)
    assert org is not None
    return org


# The mentor's week ---------------------------------------------------------------------------


def week_target(
    *,
    completed_minutes: int,
    planned_minutes: int,
    band: tuple[int, int],
    week_end: dt.date,
    today: dt.date,
) -> WeekTarget:
    """Where one mentee's visits of one week (Monday to Sunday, ending `week_end`) stand
    against the organisation's band of `low` to `high` hours a week.

    C is the minutes of the week's `completed` visits; P the minutes of its visits still
    `planned` (not yet recorded as completed, missed or cancelled, whatever their time of
    day: until the mentor records how a visit went it may still count). The week is over
    once `today` is after `week_end`.

    - `above_target`: C > high * 60. More has been done than the band already.
    - `on_target`: low * 60 <= C <= high * 60. The band is met.
    - `below_target`: C < low * 60, and either the week is over or C + P < low * 60: the
      completed and still-planned visits together can no longer reach the band.
    - `on_track`: otherwise (C < low * 60, the week not over, C + P >= low * 60): not met
      yet, but the visits still planned would meet it. Neutral: no warning.
    """
    low, high = band[0] * 60, band[1] * 60
    if completed_minutes > high:
        return WeekTarget.above_target
    if completed_minutes >= low:
        return WeekTarget.on_target
    if today > week_end or completed_minutes + planned_minutes < low:
        return WeekTarget.below_target
    return WeekTarget.on_track


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


def _active_counts(org_id: int) -> Any:
    return (
        select(col(Match.mentor_id), func.count().label("n"))
        .where(Match.org_id == org_id, col(Match.end_date).is_(None))
        .group_by(col(Match.mentor_id))
        .subquery()
    )


@dataclass
class MentorRow:
    profile: MentorProfile
    user: User
    active_matches: int
    readiness: Readiness


def _check_dates(data: MentorCreate | MentorUpdate, today: dt.date) -> None:
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
    _check_dates(data, today)
    if db.get(MentorProfile, user.id) is not None:
        raise Conflict(f"{user.name} already has a mentor profile.")
    stamp = dt.datetime.now(dt.UTC)
    profile = MentorProfile(
        org_id=actor.org_id, **data.model_dump(), created_at=stamp, updated_at=stamp
    )
    name = user.name
    try:
        with db.begin_nested():  # the INSERT inside the savepoint (see create_match)
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
    active = _active_counts(actor.org_id)
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
    _check_dates(data, today)
    changes = data.model_dump(exclude_unset=True)
    for nullable in ("gender", "ethnicity", "availability", "about"):
        if nullable in changes and changes[nullable] == "":
            changes[nullable] = None
    if changes.get("max_caseload") is not None:
        active = db.exec(
            select(func.count())
            .select_from(Match)
            .where(Match.mentor_id == mentor_id, col(Match.end_date).is_(None))
        ).one()
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


# Suggestions ---------------------------------------------------------------------------------


def _fold(values: Any) -> dict[str, str]:
    return {str(v).strip().casefold(): str(v).strip() for v in values or () if str(v).strip()}


@dataclass(frozen=True)
class ChildNeeds:
    """What a child brings to matching, folded once for comparing with many mentors."""

    gender: str | None
    gender_label: str | None
    ethnicity: str | None
    same_ethnicity_asked: bool
    languages: dict[str, str]
    interests: dict[str, str]

    @classmethod
    def of(cls, child: Child) -> ChildNeeds:
        prefs = child.preferences or {}
        wanted = prefs.get("mentor_gender")
        languages = prefs.get("languages") or child.languages
        return cls(
            gender=wanted.strip().casefold() if wanted else None,
            gender_label=wanted.strip() if wanted else None,
            ethnicity=child.ethnicity.strip().casefold() if child.ethnicity else None,
            same_ethnicity_asked=bool(prefs.get("same_ethnicity")),
            languages=_fold(languages),
            interests=_fold(child.interests),
        )


def _keys(values: Any) -> set[str]:
    return {str(v).strip().casefold() for v in values or ()}


class Scorer:
    """Scores mentors for one child: what depends only on the child and the weights (which
    characteristics count, and the total) is worked out once, not for every mentor."""

    def __init__(self, needs: ChildNeeds, weights: dict[str, int]) -> None:
        w = {**DEFAULT_MATCH_WEIGHTS, **weights}
        self.needs = needs
        self.gender = w["gender"] if needs.gender is not None else 0
        self.ethnicity = w["ethnicity"] if needs.ethnicity is not None else 0
        self.languages = w["languages"] if needs.languages else 0
        self.interests = w["interests"] if needs.interests else 0
        self.care = w["care_experience"]
        self.total = self.gender + self.ethnicity + self.languages + self.interests + self.care
        self.enough = min(3, len(needs.interests)) or 1

    def __call__(
        self,
        gender: str | None,
        ethnicity: str | None,
        languages: Any,
        interests: Any,
        care_experience: bool,
        reasons: list[str] | None = None,
    ) -> float:
        """The score in [0, 1]; the reasons are added to `reasons` when it is given."""
        if not self.total:
            return 0.0
        needs, earned = self.needs, 0.0
        if self.gender and gender and gender.strip().casefold() == needs.gender:
            earned += self.gender
            if reasons is not None:
                reasons.append(f"child asked for a {needs.gender_label} mentor")
        if self.ethnicity and ethnicity and ethnicity.strip().casefold() == needs.ethnicity:
            earned += self.ethnicity
            if reasons is not None:
                reasons.append(
                    "child asked for a mentor of the same ethnicity"
                    if needs.same_ethnicity_asked
                    else f"same ethnicity ({ethnicity.strip()})"
                )
        if self.languages and languages:
            theirs = _keys(languages)
            if not theirs.isdisjoint(needs.languages):
                earned += self.languages
                if reasons is not None:
                    spoken = [label for key, label in needs.languages.items() if key in theirs]
                    reasons.append("speaks " + ", ".join(spoken))
        if self.interests and interests:
            theirs = _keys(interests)
            shared = len(theirs.intersection(needs.interests))
            if shared:
                earned += self.interests * min(1.0, shared / self.enough)
                if reasons is not None:
                    labels = [label for key, label in needs.interests.items() if key in theirs]
                    reasons.append("shares interests: " + ", ".join(labels))
        if self.care and care_experience:
            earned += self.care
            if reasons is not None:
                reasons.append("mentor has care experience")
        return round(earned / self.total, 3)


def score(
    needs: ChildNeeds,
    *,
    gender: str | None,
    ethnicity: str | None,
    languages: Any,
    interests: Any,
    care_experience: bool,
    weights: dict[str, int],
) -> tuple[float, list[str]]:
    """A score in [0, 1]: the weighted share of the child's wishes and characteristics the
    mentor meets, over the characteristics the child has (so an unknown one neither helps
    nor harms), with the reasons in plain words."""
    reasons: list[str] = []
    value = Scorer(needs, weights)(
        gender, ethnicity, languages, interests, care_experience, reasons
    )
    return value, reasons


def eligible_mentors_query(org_id: int, *, today: dt.date, renewal_years: int) -> Any:
    """Ready mentors with room in their caseload (the columns scoring needs): one SELECT."""
    active = _active_counts(org_id)
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


def _claim_mentor(db: Session, mentor_id: int, org_id: int) -> bool:
    """Lock the mentor's profile row for the rest of the transaction, so that two matches
    for the mentor's last free place are serialised (the second waits for the first)."""
    result = db.execute(
        update(PROFILES)
        .where(PROFILES.c.user_id == bindparam("m"), PROFILES.c.org_id == bindparam("o"))
        .values(version=PROFILES.c.version + 1),
        {"m": mentor_id, "o": org_id},
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def create_match(db: Session, *, actor: User, data: MatchCreate, today: dt.date) -> Match:
    require_staff(actor)
    child = db.exec(
        select(Child).where(Child.id == data.child_id, Child.org_id == actor.org_id)
    ).first()
    if child is None:
        raise invalid("child_id", f"There is no child {data.child_id}")
    mentor = get_mentor_for_match(db, actor=actor, mentor_id=data.mentor_id, today=today)
    if data.start_date > add_months(today, 3):
        raise invalid("start_date", "A match can start at most three months from today")
    if data.start_date < add_months(today, -12):
        raise invalid("start_date", "A match cannot start more than a year ago")
    if not _claim_mentor(db, data.mentor_id, actor.org_id):
        raise invalid("mentor_id", f"User {data.mentor_id} has no mentor profile")
    active = db.exec(
        select(func.count())
        .select_from(Match)
        .where(Match.mentor_id == data.mentor_id, col(Match.end_date).is_(None))
    ).one()
    if active >= mentor.profile.max_caseload:
        raise Conflict(
            f"{mentor.user.name} already has {active} active mentees, "
            f"the most their caseload allows ({mentor.profile.max_caseload})."
        )
    current = db.exec(
        select(User.name)
        .join(Match, col(Match.mentor_id) == col(User.id))
        .where(Match.child_id == child.id, col(Match.end_date).is_(None))
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
    # The child's open practice tasks go to the new mentor.
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
        sa_select(Match, col(Child.first_name), col(Child.reference), col(User.name), last.c.last)
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
    return [MatchRow(m, f, r, n, last_) for m, f, r, n, last_ in db.execute(stmt).all()]


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
