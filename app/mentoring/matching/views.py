"""The lead's matching pages: a child's ranked suggestions and the shortlist to give them,
making a match, the matches, and a match's page with its check-ins, visit plan, ending and
the safeguarding concerns of its visits.

Every page calls the same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.auth.deps import CurrentOrg, LeadUser, Today
from app.auth.models import DEFAULT_MATCH_WEIGHTS, Organisation, Role, User
from app.auth.schemas import WEIGHT_LABELS
from app.children import service as children
from app.children.lists import language_names
from app.clock import now_for
from app.db import DbSession
from app.exceptions import Invalid
from app.forms import FORM, Submission, show_again
from app.mentoring.concerns import service as concern_reviews
from app.mentoring.matching import service as matching
from app.mentoring.matching.forms import (
    CHECK_IN_FIELDS,
    PLAN_FIELDS,
    CheckInForm,
    EndForm,
    MatchForm,
    VisitPlanForm,
)
from app.mentoring.models import EndedBy, EndReason
from app.mentoring.profiles import service as profiles
from app.mentoring.visits import planning
from app.mentoring.visits import service as visits
from app.programmes import service as programmes
from app.programmes.models import BandPer, ProgrammeKind
from app.programmes.words import band_words
from app.web import FormData, PathId, redirect, render, render_error_page

router = APIRouter(include_in_schema=False)

SHORTLIST_MAX = 3
SUGGESTIONS_SHOWN = 10

END_REASONS = [
    (EndReason.planned.value, "Planned ending"),
    (EndReason.mentor_left.value, "Mentor left"),
    (EndReason.child_moved.value, "Child moved"),
    (EndReason.child_request.value, "Child's request"),
    (EndReason.safeguarding.value, "Safeguarding"),
    (EndReason.other.value, "Other"),
]
ENDED_BY = [
    (EndedBy.programme.value, "The programme"),
    (EndedBy.mentor.value, "The mentor"),
    (EndedBy.young_person.value, "The young person"),
    (EndedBy.carer.value, "The carer"),
    (EndedBy.social_worker.value, "The social worker"),
]
WEEKDAYS = [
    ("1", "Monday"),
    ("2", "Tuesday"),
    ("3", "Wednesday"),
    ("4", "Thursday"),
    ("5", "Friday"),
    ("6", "Saturday"),
    ("7", "Sunday"),
]


def first_name(name: str) -> str:
    """What a child reads on the shortlist: the first word of the name, no surname."""
    return (name.split() or [""])[0]


# Suggestions, the shortlist and making a match -----------------------------------------------


def _weights(org: Organisation) -> list[tuple[str, int]]:
    weights = {**DEFAULT_MATCH_WEIGHTS, **(org.match_weights or {})}
    return [(label, int(weights.get(key, 0))) for key, label in WEIGHT_LABELS.items()]


def _match_child_context(
    db: Session,
    actor: User,
    org: Organisation,
    today: dt.date,
    child_id: int,
    programme_id: int | None = None,
) -> dict[str, Any]:
    """The child, their active match in the programme if any, else the ranked suggestions
    for it and the forms: a fixed number of queries whatever the number of mentors. With
    more than one live programme the lead chooses one first (nothing is suggested until
    then); with one, the page is as it always was."""
    child = children.get_child(db, actor=actor, child_id=child_id)
    live = list(programmes.list_programmes(db, actor.org_id))
    chosen = next((p for p in live if p.id == programme_id), None)
    if chosen is None and len(live) == 1:
        chosen = live[0]
    current: list[matching.MatchRow] = []
    suggestions: list[matching.Suggested] = []
    if chosen is not None:
        current = matching.list_matches(
            db, actor=actor, child_id=child_id, active=True, programme_id=chosen.id
        )
        if not current:
            suggestions = matching.suggestions(
                db,
                actor=actor,
                child_id=child_id,
                today=today,
                top=SUGGESTIONS_SHOWN,
                programme=chosen,
            )
    age = children.age_of(child, today)
    kind = ProgrammeKind(chosen.kind) if chosen is not None else None
    return {
        "child": child,
        "programmes": live if len(live) > 1 else [],
        "programme": chosen,
        "current": current[0] if current else None,
        "suggestions": suggestions,
        "weights": _weights(org),
        "is_admin": actor.role == Role.admin,
        "values": MatchForm.initial(start_date=today),
        "errors": {},
        "shortlist_max": SHORTLIST_MAX,
        # The agreement: asked for an Independent Visitor, offered for the other one-to-one
        # kinds, not shown for a programme with groups.
        "asks_agreement": kind is not None and not kind.has_groups,
        "needs_agreement": kind is ProgrammeKind.independent_visitor,
        "outside_ages": chosen is not None
        and age is not None
        and not chosen.age_min <= age <= chosen.age_max,
        "age": age,
    }


@router.get("/children/{child_id}/match", response_class=HTMLResponse)
def match_child_page(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    org: CurrentOrg,
    today: Today,
    child_id: PathId,
    programme_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
) -> HTMLResponse:
    context = _match_child_context(db, actor, org, today, child_id, programme_id)
    return render(request, "mentoring/match_child.html", context)


@router.post("/children/{child_id}/match", response_class=HTMLResponse)
def create_match(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    org: CurrentOrg,
    today: Today,
    form: FormData,
    child_id: PathId,
) -> Response:
    children.get_child(db, actor=actor, child_id=child_id)  # 404 before anything else
    submission = MatchForm.read(form)
    if data := submission.data:
        # The child is the page's own: a refusal about them is the whole form's.
        with submission.saving(rename={"child_id": FORM}):
            match = matching.create_match(
                db, actor=actor, data=data.to_create(child_id), today=today
            )
            return redirect(request, f"/matches/{match.id}", notice="The match has been made.")
    chosen = submission.values.get("programme_id")
    programme_id = int(chosen) if isinstance(chosen, str) and chosen.isdigit() else None
    return show_again(
        request,
        db,
        "mentoring/match_child.html",
        lambda: _match_child_context(db, actor, org, today, child_id, programme_id),
        submission,
    )


@router.get("/children/{child_id}/shortlist", response_class=HTMLResponse)
def shortlist_page(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    child_id: PathId,
    mentor_id: Annotated[list[int] | None, Query()] = None,
    programme_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
) -> HTMLResponse:
    """A page to print and give the young person: up to three ready mentors with room in
    the programme, in words a child reads: first names, interests, a line about them, when
    they are free."""
    child = children.get_child(db, actor=actor, child_id=child_id)
    wanted = list(dict.fromkeys(mentor_id or []))
    back = f"/children/{child_id}/match"
    try:
        programme = programmes.resolve(db, actor.org_id, programme_id)
    except Invalid as refused:
        return _shortlist_refused(request, refused.detail)
    if programme_id is not None:
        back += f"?programme_id={programme.id}"
    if not wanted:
        return _shortlist_refused(request, "Choose one, two or three mentors for the shortlist.")
    if len(wanted) > SHORTLIST_MAX:
        return _shortlist_refused(
            request, f"A shortlist has at most {SHORTLIST_MAX} mentors: you chose {len(wanted)}."
        )
    rows = {
        r.user.id: r
        for r in profiles.list_mentors(db, actor=actor, today=today)
        if r.user.role == Role.mentor
    }
    caseloads = profiles.caseloads_in(db, actor.org_id, programme.id or 0)
    chosen = []
    for wanted_id in wanted:
        row = rows.get(wanted_id)
        if row is None:
            return _shortlist_refused(request, f"There is no mentor {wanted_id} to put on it.")
        if not row.user.active or not row.readiness.ready:
            return _shortlist_refused(
                request,
                f"{row.user.name} is not ready to mentor yet, so cannot be on the shortlist.",
            )
        limit = min(row.profile.max_caseload, programme.caseload_max)
        if caseloads.get(wanted_id, 0) >= limit:
            return _shortlist_refused(
                request, f"{row.user.name} has no room for another mentee at the moment."
            )
        chosen.append(row)
    return render(
        request,
        "mentoring/shortlist.html",
        {
            "child": child,
            "mentors": [
                {
                    "first_name": first_name(r.user.name),
                    "interests": r.profile.interests,
                    "about": r.profile.about,
                    "availability": r.profile.availability,
                    "languages": language_names(r.profile.languages, r.profile.languages_other),
                }
                for r in chosen
            ],
            "back": back,
            "visitor": ProgrammeKind(programme.kind) is ProgrammeKind.independent_visitor,
            "per": BandPer(programme.band_per).value,
        },
    )


def _shortlist_refused(request: Request, detail: str) -> HTMLResponse:
    return render_error_page(request, 422, detail, title="This shortlist cannot be made")


# Matches -------------------------------------------------------------------------------------


@router.get("/matches", response_class=HTMLResponse)
def matches_page(request: Request, db: DbSession, actor: LeadUser, today: Today) -> HTMLResponse:
    rows = matching.list_matches(db, actor=actor)
    return render(
        request,
        "mentoring/matches.html",
        {
            "active": [r for r in rows if r.match.end_date is None],
            "ended": [r for r in rows if r.match.end_date is not None],
            "today": today,
            "reasons": dict(END_REASONS),
            # A child can be matched in two programmes: the column tells the matches apart.
            "show_programme": len({r.match.programme_id for r in rows}) > 1,
        },
    )


def _match_context(db: Session, actor: User, today: dt.date, match_id: int) -> dict[str, Any]:
    """The match page with its three forms, each showing what is stored (or the usual)."""
    row = matching.match_row(db, actor=actor, match_id=match_id)
    m = row.match
    match_visits = visits.list_visits(db, actor=actor, match_id=match_id)
    concern_ids = [v.id or 0 for v in match_visits if v.safeguarding_concern]
    # One query for the match's programme and whether to name it (archived ones included:
    # an old match may be in one).
    every = programmes.list_programmes(db, actor.org_id, include_archived=True)
    programme = next(p for p in every if p.id == m.programme_id)
    return {
        "row": row,
        "match": m,
        # The visit slot is weekly or monthly as the programme's band is (the plan's default).
        "period": BandPer(programme.band_per).value,
        "has_groups": ProgrammeKind(programme.kind).has_groups,
        "band_aim": band_words(
            programme.band_per, programme.band_min_hours, programme.band_max_hours
        ),
        "show_programme": sum(p.archived_at is None for p in every) > 1,
        "today": today,
        "overdue": row.check_in_overdue(today),
        "check_ins": matching.check_ins_of(db, match_id),
        "visits": match_visits,
        "reviews": concern_reviews.reviews_of(db, actor=actor, visit_ids=concern_ids),
        "values": {
            **CheckInForm.initial(check_in_date=today),
            **VisitPlanForm.initial(
                weekday=m.visit_weekday,
                start_time=m.visit_start_time,
                duration_minutes=m.visit_minutes or 120,
            ),
            **EndForm.initial(end_date=today, ended_by=EndedBy.programme),
        },
        "errors": {},
        "weekdays": WEEKDAYS,
        "weekday_names": dict(WEEKDAYS),
        "end_reasons": END_REASONS,
        "reason_names": dict(END_REASONS),
        "ended_by": ENDED_BY,
        "ended_by_names": dict(ENDED_BY),
    }


@router.get("/matches/{match_id}", response_class=HTMLResponse)
def match_page(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    match_id: PathId,
    added: int | None = Query(default=None),
    done: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    context = _match_context(db, actor, today, match_id)
    return render(request, "mentoring/match.html", {**context, "added": bool(added), "done": done})


def _show_match_again(
    request: Request,
    db: Session,
    actor: User,
    today: dt.date,
    match_id: int,
    submission: Submission[Any],
) -> HTMLResponse:
    """The match page again, the refused form's values and its errors beside it."""
    return show_again(
        request,
        db,
        "mentoring/match.html",
        lambda: _match_context(db, actor, today, match_id),
        submission,
    )


@router.post("/matches/{match_id}/check-ins", response_class=HTMLResponse)
def add_check_in(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    form: FormData,
    match_id: PathId,
) -> Response:
    matching.get_match(db, actor=actor, match_id=match_id)  # 404 first
    submission = CheckInForm.read(form)
    if data := submission.data:
        with submission.saving(rename=CHECK_IN_FIELDS):
            matching.add_check_in(
                db, actor=actor, match_id=match_id, data=data.to_create(), today=today
            )
            notice = "The check-in has been recorded."
            return redirect(request, f"/matches/{match_id}#check-ins", notice=notice)
    return _show_match_again(request, db, actor, today, match_id, submission)


@router.post("/matches/{match_id}/visit-plan", response_class=HTMLResponse)
def plan_visits(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    form: FormData,
    match_id: PathId,
) -> Response:
    matching.get_match(db, actor=actor, match_id=match_id)  # 404 first
    submission = VisitPlanForm.read(form)
    if data := submission.data:
        # A clash with another visit is about the time chosen.
        with submission.saving(rename=PLAN_FIELDS, conflict_field="start_time"):
            planning.plan_visits(
                db, actor=actor, match_id=match_id, data=data.to_plan(), now=now_for(db, actor)
            )
            return RedirectResponse(f"/matches/{match_id}?done=plan#visits", status_code=303)
    return _show_match_again(request, db, actor, today, match_id, submission)


@router.post("/matches/{match_id}/end", response_class=HTMLResponse)
def end_match(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    form: FormData,
    match_id: PathId,
) -> Response:
    matching.get_match(db, actor=actor, match_id=match_id)  # 404 first
    submission = EndForm.read(form)
    if data := submission.data:
        with submission.saving():
            matching.end_match(db, actor=actor, match_id=match_id, data=data.to_end(), today=today)
            return redirect(request, f"/matches/{match_id}", notice="The match has ended.")
    return _show_match_again(request, db, actor, today, match_id, submission)


@router.post("/visits/{visit_id}/concern-reviewed", response_class=HTMLResponse)
def review_concern(request: Request, db: DbSession, actor: LeadUser, visit_id: PathId) -> Response:
    # Earlier pages' one-click button: a minimal review (the visit page has the full form).
    now = now_for(db, actor)
    visit = concern_reviews.mark_reviewed(db, actor=actor, visit_id=visit_id, now=now)
    return RedirectResponse(f"/matches/{visit.match_id}?done=reviewed#visits", status_code=303)
