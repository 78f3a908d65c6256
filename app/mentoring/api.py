"""JSON API for mentoring: mentors, suggestions, matches, visits, practice tasks and the
mentor's week.

One router for all of mentoring's nouns (their rules are in each noun's service): the
converters are shared (a week is made of visits and tasks), and the routes keep the order
FastAPI matches them in (/mentors/me/week before /mentors/{mentor_id})."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlmodel import Session

from app.auth.deps import CurrentUser, LeadUser, Today
from app.auth.models import User
from app.clock import now_for
from app.db import DbSession
from app.errors import problem_responses
from app.idempotency import Idempotent
from app.mentoring.concerns import service as concerns
from app.mentoring.matching import service as matching
from app.mentoring.models import MentorVisit, VisitStatus
from app.mentoring.practice import service as practice
from app.mentoring.profiles import service as profiles
from app.mentoring.schemas import (
    AssignmentPublic,
    AssignmentUpdate,
    CheckInCreate,
    CheckInPublic,
    ConcernReviewCreate,
    ConcernReviewPublic,
    LastSession,
    MatchCreate,
    MatchDetail,
    MatchEnd,
    MatchPublic,
    MenteeWeek,
    MentorCreate,
    MentorPublic,
    MentorUpdate,
    MentorWeek,
    Suggestion,
    TaskPublic,
    VisitBrief,
    VisitCreate,
    VisitPlanIn,
    VisitPlanOut,
    VisitPublic,
    VisitRestore,
    VisitUpdate,
    WeekBand,
)
from app.mentoring.visits import planning
from app.mentoring.visits import service as visits
from app.mentoring.week import service as weeks
from app.sessions.models import AssignmentStatus
from app.web import Day, PathId

router = APIRouter(tags=["mentoring"], responses=problem_responses(401))


def optional_id() -> Any:
    """An optional id filter. A fresh Query() per parameter: FastAPI binds each instance to
    one parameter name, so a shared one makes every filter after the first read the wrong
    name."""
    return Query(default=None, ge=1, le=2**31 - 1)


# Converters ----------------------------------------------------------------------------------


def mentor_public(row: profiles.MentorRow) -> MentorPublic:
    p, u = row.profile, row.user
    return MentorPublic(
        user_id=p.user_id,
        name=u.name,
        email=u.email,
        active=u.active,
        gender=p.gender,
        gender_other=p.gender_other,
        ethnicity=p.ethnicity,
        ethnicity_other=p.ethnicity_other,
        languages=p.languages,
        languages_other=p.languages_other,
        interests=p.interests,
        care_experience=p.care_experience,
        availability=p.availability,
        about=p.about,
        dbs_checked_on=p.dbs_checked_on,
        dbs_expires_on=row.readiness.dbs_expires_on,
        barred_list_checked=p.barred_list_checked,
        references_checked=p.references_checked,
        interviewed_on=p.interviewed_on,
        training_completed_on=p.training_completed_on,
        max_caseload=p.max_caseload,
        active_matches=row.active_matches,
        ready=row.readiness.ready,
        missing=row.readiness.missing,
    )


def match_public(row: matching.MatchRow, today: dt.date) -> dict[str, Any]:
    m = row.match
    return {
        "id": m.id,
        "programme_id": m.programme_id,
        "child_id": m.child_id,
        "child_first_name": row.child_first_name,
        "child_reference": row.child_reference,
        "mentor_id": m.mentor_id,
        "mentor_name": row.mentor_name,
        "start_date": m.start_date,
        "end_date": m.end_date,
        "active": m.end_date is None,
        "score": m.score,
        "reasons": m.reasons,
        "chosen_by_young_person": m.chosen_by_young_person,
        "visit_weekday": m.visit_weekday,
        "visit_start_time": m.visit_start_time,
        "visit_minutes": m.visit_minutes,
        "ended_by": m.ended_by,
        "end_reason": m.end_reason,
        "closure_note": m.closure_note,
        "last_check_in": row.last_check_in,
        "check_in_due": row.check_in_due(),
        "check_in_overdue": row.check_in_overdue(today),
        "programme_name": row.programme_name,
        "age_override": m.age_override,
        "child_agreed_on": m.child_agreed_on,
        "child_agreed_how": m.child_agreed_how,
        "ended_early": row.ended_early,
    }


def match_detail(db: Session, actor: User, match_id: int, today: dt.date) -> MatchDetail:
    row = matching.match_row(db, actor=actor, match_id=match_id)
    return MatchDetail(
        **match_public(row, today),
        check_ins=[CheckInPublic.model_validate(c) for c in matching.check_ins_of(db, match_id)],
    )


def visit_public(visit: MentorVisit, assignment_ids: list[int]) -> VisitPublic:
    return VisitPublic(
        id=visit.id or 0,
        match_id=visit.match_id,
        programme_id=visit.programme_id,
        mentor_id=visit.mentor_id,
        child_id=visit.child_id,
        date=visit.date,
        start_time=visit.start_time,
        end_time=visits.end_time(visit.start_time, visit.minutes),
        minutes=visit.minutes,
        status=visit.status,
        summary=visit.summary,
        safeguarding_concern=visit.safeguarding_concern,
        assignment_ids=assignment_ids,
        version=visit.version,
        called_off_by=visit.called_off_by,
        cancel_reason=visit.cancel_reason,
    )


def visits_public(db: Session, rows: list[MentorVisit]) -> list[VisitPublic]:
    links = visits.links_of(db, [v.id or 0 for v in rows])
    return [visit_public(v, links.get(v.id or 0, [])) for v in rows]


def assignment_public(row: Any) -> AssignmentPublic:
    a, key, title, description, week, date = row
    return AssignmentPublic(
        id=a.id,
        child_id=a.child_id,
        session_id=a.session_id,
        week=week,
        session_date=date,
        task=TaskPublic(id=a.task_id, key=key, title=title, description=description),
        kind=a.kind,
        status=a.status,
        mentor_id=a.mentor_id,
        note=a.note,
    )


def _visit_brief(visit: weeks.VisitRef | None) -> VisitBrief | None:
    if visit is None:
        return None
    return VisitBrief(
        visit_id=visit.id,
        date=visit.date,
        start_time=visit.start_time,
        minutes=visit.minutes,
        status=visit.status,
    )


def week_public(week: weeks.Week, *, today: dt.date) -> MentorWeek:
    low, high = week.band
    mentees = []
    for m in week.mentees:
        hours = round(m.minutes_completed / 60, 2)
        planned = sum(v.minutes for v in m.visits if v.status == VisitStatus.planned)
        last = None
        if m.last_session is not None:
            session_id, date, number, title, attendance = m.last_session
            last = LastSession(
                session_id=session_id,
                date=date,
                week=number,
                title=title,
                attendance=attendance,
                missed_core_activities=m.missed_core,
                skipped_activities=[a.title for a in m.not_covered if a.status == "skipped"],
                partial_activities=[a.title for a in m.not_covered if a.status == "partial"],
                note_about_mentee=m.register_note,
            )
        groups = m.programme.has_groups
        mentees.append(
            MenteeWeek(
                child_id=m.match.child_id,
                match_id=m.match.id or 0,
                first_name=m.first_name,
                last_session=last,
                assignments=[assignment_public(a) for a in m.assignments],
                visits=[visit_public(v, week.links.get(v.id or 0, [])) for v in m.visits],
                inherited_assignment_ids=[row[0].id for row in m.inherited],
                hours_this_week=hours,
                in_band=m.in_band(),
                hours_planned=round(planned / 60, 2),
                target=m.target(week, today),
                programme_id=m.programme.id,
                programme_name=m.programme.name,
                programme_kind=m.programme.kind,
                band=WeekBand(per=m.band.per, min_hours=m.band.low, max_hours=m.band.high),
                last_visit=None if groups else _visit_brief(m.last_visit),
                next_visit=None if groups else _visit_brief(m.next_visit),
                hours_this_month=None if groups else round(m.month_minutes_completed / 60, 2),
            )
        )
    return MentorWeek(
        week_start=week.start, week_end=week.end, mentees=mentees, target_hours=(low, high)
    )


# Mentors -------------------------------------------------------------------------------------


@router.post(
    "/mentors",
    status_code=201,
    response_model=MentorPublic,
    summary="Add a mentor's profile and safer-recruitment checks (lead)",
    responses=problem_responses(403, 409, 422),
)
def create_mentor(db: DbSession, actor: LeadUser, today: Today, body: MentorCreate) -> MentorPublic:
    profiles.create_profile(db, actor=actor, data=body, today=today)
    row = profiles.get_mentor(db, actor=actor, mentor_id=body.user_id, today=today)
    return mentor_public(row)


@router.get(
    "/mentors",
    response_model=list[MentorPublic],
    summary="Mentors with their readiness and caseload (lead)",
    responses=problem_responses(403),
)
def list_mentors(db: DbSession, actor: LeadUser, today: Today) -> list[MentorPublic]:
    rows = profiles.list_mentors(db, actor=actor, today=today)
    return [mentor_public(r) for r in rows]


@router.get(
    "/mentors/me/week",
    response_model=MentorWeek,
    summary="The mentor's week, across programmes: each mentee's last group and practice "
    "tasks (a programme with groups) or last and next visit and hours this month (one "
    "without), the week's visits and hours",
    responses=problem_responses(403, 422),
)
def my_week(
    db: DbSession, actor: CurrentUser, today: Today, date: Annotated[Day | None, Query()] = None
) -> MentorWeek:
    week = weeks.mentor_week(db, actor=actor, day=date or today, now=now_for(db, actor))
    return week_public(week, today=today)


@router.get(
    "/mentors/{mentor_id}",
    response_model=MentorPublic,
    summary="One mentor (lead; a mentor may read their own)",
    responses=problem_responses(404),
)
def get_mentor(db: DbSession, actor: CurrentUser, today: Today, mentor_id: PathId) -> MentorPublic:
    row = profiles.get_mentor(db, actor=actor, mentor_id=mentor_id, today=today)
    return mentor_public(row)


@router.patch(
    "/mentors/{mentor_id}",
    response_model=MentorPublic,
    summary="Update a mentor's profile or checks (lead)",
    responses=problem_responses(403, 404, 422),
)
def update_mentor(
    db: DbSession, actor: LeadUser, today: Today, body: MentorUpdate, mentor_id: PathId
) -> MentorPublic:
    profiles.update_profile(db, actor=actor, mentor_id=mentor_id, data=body, today=today)
    return mentor_public(profiles.get_mentor(db, actor=actor, mentor_id=mentor_id, today=today))


@router.get(
    "/children/{child_id}/mentor-suggestions",
    response_model=list[Suggestion],
    summary="Ready mentors with room in the programme, ranked for a child, with the reasons (lead)",
    responses=problem_responses(403, 404, 422),
)
def suggestions(
    db: DbSession,
    actor: LeadUser,
    today: Today,
    child_id: PathId,
    top: int = Query(default=10, ge=1, le=50, description="How many to return"),
    programme_id: int | None = Query(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The programme to match in; optional while the organisation has one",
    ),
) -> list[Suggestion]:
    found = matching.suggestions(
        db, actor=actor, child_id=child_id, today=today, top=top, programme_id=programme_id
    )
    return [Suggestion(**vars(s)) for s in found]


# Matches -------------------------------------------------------------------------------------


@router.post(
    "/matches",
    status_code=201,
    response_model=MatchDetail,
    summary="Match a mentor with a child (lead)",
    responses=problem_responses(403, 409, 422),
)
def create_match(
    db: DbSession, actor: LeadUser, today: Today, body: MatchCreate, once: Idempotent
) -> MatchDetail | Response:
    if (replay := once.replay()) is not None:
        return replay
    match = matching.create_match(db, actor=actor, data=body, today=today)
    return once.keep(match_detail(db, actor, match.id or 0, today))


@router.get(
    "/matches",
    response_model=list[MatchPublic],
    summary="Matches I may see (lead: all; a mentor: their active ones)",
)
def list_matches(
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    active: bool | None = Query(default=None),
    mentor_id: int | None = optional_id(),
    child_id: int | None = optional_id(),
    programme_id: int | None = optional_id(),
) -> list[MatchPublic]:
    rows = matching.list_matches(
        db,
        actor=actor,
        active=active,
        mentor_id=mentor_id,
        child_id=child_id,
        programme_id=programme_id,
    )
    return [MatchPublic(**match_public(r, today)) for r in rows]


@router.get(
    "/matches/{match_id}",
    response_model=MatchDetail,
    summary="One match with its check-ins",
    responses=problem_responses(404),
)
def get_match(db: DbSession, actor: CurrentUser, today: Today, match_id: PathId) -> MatchDetail:
    return match_detail(db, actor, match_id, today)


@router.post(
    "/matches/{match_id}/end",
    response_model=MatchDetail,
    summary="End a match: date, who ended it, why (lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def end_match(
    db: DbSession, actor: LeadUser, today: Today, body: MatchEnd, match_id: PathId
) -> MatchDetail:
    matching.end_match(db, actor=actor, match_id=match_id, data=body, today=today)
    return match_detail(db, actor, match_id, today)


@router.post(
    "/matches/{match_id}/check-ins",
    status_code=201,
    response_model=CheckInPublic,
    summary="Record a monthly support check-in (lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def add_check_in(
    db: DbSession,
    actor: LeadUser,
    today: Today,
    body: CheckInCreate,
    once: Idempotent,
    match_id: PathId,
) -> CheckInPublic | Response:
    if (replay := once.replay()) is not None:
        return replay
    check_in = matching.add_check_in(db, actor=actor, match_id=match_id, data=body, today=today)
    return once.keep(CheckInPublic.model_validate(check_in))


@router.post(
    "/matches/{match_id}/visit-plan",
    status_code=201,
    response_model=VisitPlanOut,
    summary="Plan a visit slot, weekly or monthly (`every`), until the cohort ends or the "
    "match's expected end (the mentor, or lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def plan_visits(
    db: DbSession, actor: CurrentUser, body: VisitPlanIn, match_id: PathId
) -> VisitPlanOut:
    planned = planning.plan_visits(
        db, actor=actor, match_id=match_id, data=body, now=now_for(db, actor)
    )
    return VisitPlanOut(visits=visits_public(db, planned))


# Visits --------------------------------------------------------------------------------------


@router.post(
    "/visits",
    status_code=201,
    response_model=VisitPublic,
    summary="Log a visit, or plan a single one (the match's mentor, or lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def create_visit(
    db: DbSession, actor: CurrentUser, body: VisitCreate, once: Idempotent
) -> VisitPublic | Response:
    if (replay := once.replay()) is not None:
        return replay
    visit = visits.create_visit(db, actor=actor, data=body, now=now_for(db, actor))
    return once.keep(visits_public(db, [visit])[0])


@router.get(
    "/visits",
    response_model=list[VisitPublic],
    summary="Visits I may see, by match and dates",
    responses=problem_responses(404, 422),
)
def list_visits(
    db: DbSession,
    actor: CurrentUser,
    match_id: int | None = optional_id(),
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Annotated[Day | None, Query()] = None,
) -> list[VisitPublic]:
    rows = visits.list_visits(db, actor=actor, match_id=match_id, first=from_, last=to)
    return visits_public(db, rows)


@router.get(
    "/visits/{visit_id}",
    response_model=VisitPublic,
    summary="One visit",
    responses=problem_responses(404),
)
def get_visit(db: DbSession, actor: CurrentUser, visit_id: PathId) -> VisitPublic:
    return visits_public(db, [visits.get_visit(db, actor=actor, visit_id=visit_id)])[0]


@router.patch(
    "/visits/{visit_id}",
    response_model=VisitPublic,
    summary="Record how a planned visit went, move it or cancel it",
    responses=problem_responses(403, 404, 409, 422),
)
def update_visit(
    db: DbSession, actor: CurrentUser, body: VisitUpdate, visit_id: PathId
) -> VisitPublic:
    visit = visits.update_visit(
        db, actor=actor, visit_id=visit_id, data=body, now=now_for(db, actor)
    )
    return visits_public(db, [visit])[0]


@router.post(
    "/visits/{visit_id}/restore",
    response_model=VisitPublic,
    summary="Undo the cancelling of a visit whose time has not passed (the mentor, or lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def restore_visit(
    db: DbSession, actor: CurrentUser, body: VisitRestore, visit_id: PathId
) -> VisitPublic:
    visit = planning.restore_visit(
        db, actor=actor, visit_id=visit_id, version=body.version, now=now_for(db, actor)
    )
    return visits_public(db, [visit])[0]


@router.post(
    "/visits/{visit_id}/concern-reviewed",
    response_model=VisitPublic,
    summary="Mark a visit's safeguarding concern as reviewed (lead; kept for earlier "
    "clients: records a minimal review, action other, when the concern has none)",
    responses=problem_responses(403, 404, 409),
)
def review_concern(db: DbSession, actor: LeadUser, visit_id: PathId) -> VisitPublic:
    visit = concerns.mark_reviewed(db, actor=actor, visit_id=visit_id, now=now_for(db, actor))
    return visits_public(db, [visit])[0]


def review_public(review: concerns.Review) -> ConcernReviewPublic:
    return ConcernReviewPublic(
        id=review.id,
        visit_id=review.visit_id,
        reviewed_by=review.reviewed_by,
        reviewed_by_name=review.reviewed_by_name,
        reviewed_at=review.reviewed_at,
        action=review.action,
        note=review.note,
        escalated=review.escalated,
        follow_up=review.follow_up,
    )


@router.post(
    "/visits/{visit_id}/concern-review",
    status_code=201,
    response_model=ConcernReviewPublic,
    summary="Review a visit's safeguarding concern: what was done, a note, escalated or not "
    "(lead). The first review closes the concern; later ones are follow-ups",
    responses=problem_responses(403, 404, 422),
)
def add_concern_review(
    db: DbSession,
    actor: LeadUser,
    body: ConcernReviewCreate,
    once: Idempotent,
    visit_id: PathId,
) -> ConcernReviewPublic | Response:
    # Idempotent: a retried review would otherwise be kept as a follow-up, twice.
    if (replay := once.replay()) is not None:
        return replay
    review = concerns.review_concern(
        db, actor=actor, visit_id=visit_id, data=body, now=now_for(db, actor)
    )
    return once.keep(review_public(concerns.get_review(db, actor=actor, review=review)))


@router.get(
    "/visits/{visit_id}/concern-reviews",
    response_model=list[ConcernReviewPublic],
    summary="The reviews of a visit's safeguarding concern, oldest first (a mentor sees who "
    "reviewed it and when, not the action or the note)",
    responses=problem_responses(403, 404),
)
def list_concern_reviews(
    db: DbSession, actor: CurrentUser, visit_id: PathId
) -> list[ConcernReviewPublic]:
    visits.require_visit_role(actor)
    return [review_public(r) for r in concerns.list_reviews(db, actor=actor, visit_id=visit_id)]


# Practice tasks ------------------------------------------------------------------------------


@router.get(
    "/assignments",
    response_model=list[AssignmentPublic],
    summary="Practice tasks (a mentor sees only their own)",
)
def list_assignments(
    db: DbSession,
    actor: CurrentUser,
    status: Annotated[AssignmentStatus | None, Query()] = None,
    child_id: int | None = optional_id(),
) -> list[AssignmentPublic]:
    rows = practice.list_assignments(db, actor=actor, status=status, child_id=child_id)
    return [assignment_public(r) for r in rows]


@router.patch(
    "/assignments/{assignment_id}",
    response_model=AssignmentPublic,
    summary="Mark a practice task practised or completed (the mentor, or lead)",
    responses=problem_responses(403, 404, 422),
)
def update_assignment(
    db: DbSession, actor: CurrentUser, body: AssignmentUpdate, assignment_id: PathId
) -> AssignmentPublic:
    practice.update_assignment(db, actor=actor, assignment_id=assignment_id, data=body)
    rows = practice.list_assignments(db, actor=actor, assignment_id=assignment_id)
    return assignment_public(rows[0])
