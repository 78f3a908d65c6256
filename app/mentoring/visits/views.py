"""The visit pages, phone first: logging a visit, recording how a planned one went, moving or
cancelling it, and setting a match's weekly visit slot. Every form works without JavaScript
and calls the same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.auth.deps import CurrentUser, Today
from app.auth.models import Role, User
from app.clock import now_for
from app.db import DbSession
from app.exceptions import Conflict, Forbidden, Invalid
from app.forms import FORM, OUT_OF_DATE, show_again
from app.mentoring.concerns import service as concern_reviews
from app.mentoring.concerns.forms import (
    ACTION_CHOICES,
    ESCALATED_CHOICES,
    REVIEW_FIELD_OF,
    ReviewForm,
)
from app.mentoring.matching import service as matching
from app.mentoring.matching.service import MatchRow
from app.mentoring.models import Match, MentorVisit, VisitStatus
from app.mentoring.practice import service as practice
from app.mentoring.visits import planning
from app.mentoring.visits import service as visits
from app.mentoring.visits.forms import (
    FIELD_OF,
    CancelForm,
    MatchOfVisit,
    MoveForm,
    RecordVisitForm,
    RestoreForm,
    SlotForm,
    VisitForm,
    minute_options,
    minutes_values,
    visit_values,
    with_tasks,
)
from app.mentoring.visits.words import (
    CALLED_OFF_BY,
    HELPERS,
    SAVED,
    STATUS_CHOICES,
    STATUS_LABELS,
    WEEKDAYS,
    day_name,
    slot_text,
)
from app.programmes import service as programmes
from app.programmes.models import BandPer, ProgrammeKind
from app.sessions.models import AssignmentKind, AssignmentStatus
from app.web import FormData, PathId, redirect, render, render_error_page

router = APIRouter(include_in_schema=False)

TASK_CHOICES = [("none", "Not this time"), ("practised", "Practised"), ("completed", "Completed")]
NO_SUCH_MATCH = "There is no such match."
CANCEL_ON_ITS_PAGE = (
    "To call off a planned visit, use “Cancel this visit”: it asks who called it off and why"
)


# Access -------------------------------------------------------------------------------------


def require_mentor_or_staff(actor: User) -> None:
    """A mentor for their own matches, a lead or admin for the organisation's; a facilitator
    has no part in mentoring (403 before any row is looked up)."""
    if actor.role not in (Role.mentor, Role.lead, Role.admin):
        raise Forbidden("Only mentors and programme leads can do this.")


def back_to(actor: User, match: Match, day: dt.date | None = None) -> str:
    if actor.role == Role.mentor:
        return "/mentor" + (f"?date={day.isoformat()}" if day else "")
    return f"/matches/{match.id}"


def after_save(actor: User, visit: MentorVisit, saved: str) -> str:
    """A mentor goes back to the week of the visit; a lead to the visit's page."""
    if actor.role == Role.mentor:
        return "/mentor?" + urlencode({"date": visit.date.isoformat(), "saved": saved})
    return f"/visits/{visit.id}?saved={saved}"


def _match_row(db: Session, actor: User, match_id: int) -> MatchRow:
    """The match, with the child's first name the pages call them by."""
    require_mentor_or_staff(actor)
    return matching.match_row(db, actor=actor, match_id=match_id)


def _visit_and_match(db: Session, actor: User, visit_id: int) -> tuple[MentorVisit, MatchRow]:
    require_mentor_or_staff(actor)
    visit = visits.get_visit(db, actor=actor, visit_id=visit_id)
    return visit, matching.match_row(db, actor=actor, match_id=visit.match_id)


# The visit form -----------------------------------------------------------------------------


def _has_groups(db: Session, actor: User, match: Match) -> bool:
    programme = programmes.get_programme(db, actor.org_id, match.programme_id)
    return ProgrammeKind(programme.kind).has_groups


def _tasks(
    db: Session, actor: User, match: Match, visit_id: int | None
) -> tuple[list[Any], dict[int, str]]:
    """The mentee's open practice tasks (and those already linked to this visit), with each
    one's answer on the form: practised or completed when linked, else none. Three queries.
    A match in a programme without groups has none (the child's tasks from a group are
    their group mentor's)."""
    if not _has_groups(db, actor, match):
        return [], {}
    linked = set(visits.links_of(db, [visit_id]).get(visit_id, [])) if visit_id else set()
    rows = [
        row
        for row in practice.list_assignments(db, actor=actor, child_id=match.child_id)
        if row[0].status != AssignmentStatus.completed or row[0].id in linked
    ]
    answers = {
        row[0].id: (
            "none"
            if row[0].id not in linked
            else "completed"
            if row[0].status == AssignmentStatus.completed
            else "practised"
        )
        for row in rows
    }
    return rows, answers


def _visit_context(
    db: Session,
    actor: User,
    today: dt.date,
    row: MatchRow,
    visit: MentorVisit | None,
    typed: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """The visit page; `typed`, the task answers of a form shown again."""
    match = row.match
    groups = _has_groups(db, actor, match)
    tasks, answers = _tasks(db, actor, match, visit.id if visit else None)
    if typed is not None:
        answers = {task_id: typed.get(task_id, "none") for task_id in answers}
    latest = max((task[5] for task in tasks), default=None)
    if visit is None:
        heading = "Log a visit"
    elif visit.status == VisitStatus.planned:
        heading = "Record how the visit went"
    else:
        heading = f"Visit on {day_name(visit.date, today)}"
    return {
        **HELPERS,
        "heading": heading,
        "match": match,
        "name": row.child_first_name,
        "visit": visit,
        "version": visit.version if visit else None,
        "tasks": tasks,
        # The latest group's tasks (and any already ticked) first; the rest fold away.
        "new_tasks": [t for t in tasks if t[5] == latest or answers[t[0].id] != "none"],
        "old_tasks": [t for t in tasks if t[5] != latest and answers[t[0].id] == "none"],
        "answers": answers,
        "errors": {},
        "today": today,
        "back": back_to(actor, match, visit.date if visit else None),
        "status_choices": STATUS_CHOICES,
        "task_choices": TASK_CHOICES,
        "minute_options": minute_options(),
        "banner": None,
        "conflict": None,
        "kinds": AssignmentKind,
        # A programme without groups sets no practice tasks: the page has no tasks block.
        "groups": groups,
        **_review_context(db, actor, visit),
    }


def _review_context(db: Session, actor: User, visit: MentorVisit | None) -> dict[str, Any]:
    """A concern's reviews as the viewer may see them, and the lead's review form."""
    concern = visit is not None and visit.safeguarding_concern
    reviews = (
        concern_reviews.reviews_of(db, actor=actor, visit_ids=[visit.id or 0])[visit.id or 0]
        if visit is not None and concern
        else []
    )
    return {
        "reviews": reviews,
        "may_review": concern and actor.role in (Role.lead, Role.admin),
        "review_actions": ACTION_CHOICES,
        "escalated_choices": ESCALATED_CHOICES,
    }


def _query_match_id(request: Request) -> int | None:
    raw = (request.query_params.get("match_id") or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        return None
    return int(raw)


@router.get("/visits/new", response_class=HTMLResponse)
def new_visit(request: Request, db: DbSession, actor: CurrentUser, today: Today) -> HTMLResponse:
    """The log-a-visit form for one match; without a match, the choice of mentee (straight
    to the form when there is only one)."""
    require_mentor_or_staff(actor)
    match_id = _query_match_id(request)
    if match_id is None:
        if "match_id" in request.query_params:
            return render_error_page(request, 404, NO_SUCH_MATCH)
        rows = matching.list_matches(db, actor=actor, active=True)
        if len(rows) != 1 or actor.role != Role.mentor:
            return render(
                request, "mentor/choose.html", {"rows": rows, "mentor": actor.role == Role.mentor}
            )
        match_id = rows[0].match.id or 0
    row = _match_row(db, actor, match_id)
    matching.require_active(row.match)
    context = _visit_context(db, actor, today, row, None)
    return render(request, "mentor/visit.html", {**context, "values": visit_values(None, today)})


@router.post("/visits/new", response_class=HTMLResponse)
def log_visit(
    request: Request, db: DbSession, actor: CurrentUser, today: Today, form: FormData
) -> Response:
    require_mentor_or_staff(actor)
    # The form's own match (a hidden field), else the address's.
    target = MatchOfVisit.read(form).data
    match_id = (target.match_id or _query_match_id(request)) if target else None
    if match_id is None:
        return render_error_page(request, 404, NO_SUCH_MATCH)
    row = _match_row(db, actor, match_id)
    matching.require_active(row.match)
    tasks, _ = _tasks(db, actor, row.match, None)
    visit_form = with_tasks(VisitForm, [task[0].id for task in tasks])
    submission = visit_form.read(form)
    if data := submission.data:
        with submission.saving(rename=FIELD_OF):
            visit = visits.create_visit(
                db, actor=actor, data=data.to_create(match_id), now=now_for(db, actor)
            )
            return redirect(request, after_save(actor, visit, "logged"))
    typed = visit_form.answers_of(submission.values)

    def context() -> dict[str, Any]:
        row = _match_row(db, actor, match_id)
        return _visit_context(db, actor, today, row, None, typed)

    return show_again(request, db, "mentor/visit.html", context, submission)


@router.get("/visits/{visit_id}", response_class=HTMLResponse)
def visit_page(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    visit_id: PathId,
    saved: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    visit, row = _visit_and_match(db, actor, visit_id)
    context = _visit_context(db, actor, today, row, visit)
    return render(
        request,
        "mentor/visit.html",
        {**context, "values": visit_values(visit, today), "banner": SAVED.get(saved or "")},
    )


@router.post("/visits/{visit_id}", response_class=HTMLResponse)
def record_visit(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    form: FormData,
    visit_id: PathId,
) -> Response:
    visit, row = _visit_and_match(db, actor, visit_id)
    tasks, _ = _tasks(db, actor, row.match, visit.id)
    record_form = with_tasks(RecordVisitForm, [task[0].id for task in tasks])
    submission = record_form.read(form)
    conflict = False
    cancelling = submission.data is not None and submission.data.status == VisitStatus.cancelled
    if cancelling and visit.status == VisitStatus.planned:
        # Calling off a planned visit says who called it off and why: the cancel page.
        submission.errors.add("status", CANCEL_ON_ITS_PAGE)
        submission.data = None
    if data := submission.data:
        with submission.saving(rename=FIELD_OF):
            visit = visits.update_visit(
                db, actor=actor, visit_id=visit_id, data=data.to_update(), now=now_for(db, actor)
            )
            return redirect(request, after_save(actor, visit, "recorded"))
        conflict = submission.status_code == 409  # someone else saved first
    if visit.safeguarding_concern:
        submission.values["safeguarding_concern"] = "yes"  # a concern once raised stays raised
    typed = record_form.answers_of(submission.values)
    out_of_date = submission.errors.get(FORM) == OUT_OF_DATE

    def context() -> dict[str, Any]:
        visit, row = _visit_and_match(db, actor, visit_id)
        return {
            **_visit_context(db, actor, today, row, visit, typed),
            # After a conflict the form carries the current version: saving again is
            # deliberate. Otherwise, the version the page was showing.
            "version": visit.version if conflict or out_of_date else submission.values["version"],
            "conflict": visit if conflict else None,
        }

    return show_again(request, db, "mentor/visit.html", context, submission)


def _require_planned(request: Request, visit: MentorVisit, doing: str) -> Response | None:
    if visit.status != VisitStatus.planned:
        label = STATUS_LABELS[visit.status.value].lower()
        return render_error_page(
            request,
            409,
            f"Only a planned visit can be {doing}; this one is already {label}.",
            title="This visit cannot be changed here",
        )
    return None


def _cancel_context(db: Session, actor: User, today: dt.date, visit_id: int) -> dict[str, Any]:
    context = _move_context(db, actor, today, visit_id)
    return {
        **context,
        "values": {"version": str(context["visit"].version)},
        "called_off_choices": CALLED_OFF_BY,
    }


@router.get("/visits/{visit_id}/cancel", response_class=HTMLResponse)
def cancel_form(
    request: Request, db: DbSession, actor: CurrentUser, today: Today, visit_id: PathId
) -> Response:
    context = _cancel_context(db, actor, today, visit_id)
    refused = _require_planned(request, context["visit"], "cancelled")
    if refused is not None:
        return refused
    return render(request, "mentor/cancel.html", context)


@router.post("/visits/{visit_id}/cancel", response_class=HTMLResponse)
def cancel_visit(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    form: FormData,
    visit_id: PathId,
) -> Response:
    visit, _ = _visit_and_match(db, actor, visit_id)
    refused = _require_planned(request, visit, "cancelled")
    if refused is not None:
        return refused
    submission = CancelForm.read(form)
    if data := submission.data:
        try:
            # The version the page showed, else the stored one.
            visit = visits.update_visit(
                db,
                actor=actor,
                visit_id=visit_id,
                data=data.to_update(visit.version),
                now=now_for(db, actor),
            )
        except (Conflict, Invalid) as exc:
            # The error page (the request's transaction rolls back), saying what did not
            # happen.
            exc.title = "The visit was not cancelled"
            raise
        return redirect(request, after_save(actor, visit, "cancelled"))
    return show_again(
        request,
        db,
        "mentor/cancel.html",
        lambda: _cancel_context(db, actor, today, visit_id),
        submission,
    )


@router.post("/visits/{visit_id}/restore", response_class=HTMLResponse)
def restore_visit(
    request: Request, db: DbSession, actor: CurrentUser, form: FormData, visit_id: PathId
) -> Response:
    """Undo a cancelling: the visit is planned again if its time has not passed."""
    _visit_and_match(db, actor, visit_id)  # 403 or 404 first
    data = RestoreForm.read(form).data
    try:
        if data is None:
            raise Conflict(OUT_OF_DATE)
        visit = planning.restore_visit(
            db, actor=actor, visit_id=visit_id, version=data.version, now=now_for(db, actor)
        )
    except Conflict as exc:
        exc.title = "The visit was not planned again"
        raise
    return redirect(request, after_save(actor, visit, "restored"))


# A safeguarding concern's review --------------------------------------------------------------


@router.post("/visits/{visit_id}/concern-review", response_class=HTMLResponse)
def review_concern(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    form: FormData,
    visit_id: PathId,
) -> Response:
    """The lead's review form on the visit page (403 for anyone else, before any lookup)."""
    concern_reviews.require_reviewer(actor)
    visit, _ = _visit_and_match(db, actor, visit_id)
    submission = ReviewForm.read(form)
    if data := submission.data:
        done = "follow-up" if visit.concern_reviewed_at is not None else "review"
        with submission.saving(rename=REVIEW_FIELD_OF):
            review = concern_reviews.review_concern(
                db, actor=actor, visit_id=visit_id, data=data.to_create(), now=now_for(db, actor)
            )
            notice = f"Your {done} of the safeguarding concern is recorded."
            if review.escalated:
                notice += " It is marked as escalated."
            return redirect(request, f"/visits/{visit_id}#concern-review", notice=notice)

    def context() -> dict[str, Any]:
        visit, row = _visit_and_match(db, actor, visit_id)
        return {
            **_visit_context(db, actor, today, row, visit),
            "values": visit_values(visit, today),
        }

    return show_again(request, db, "mentor/visit.html", context, submission)


def _move_context(db: Session, actor: User, today: dt.date, visit_id: int) -> dict[str, Any]:
    visit, row = _visit_and_match(db, actor, visit_id)
    return {
        **HELPERS,
        "visit": visit,
        "name": row.child_first_name,
        "errors": {},
        "today": today,
        "back": back_to(actor, row.match, visit.date),
    }


@router.get("/visits/{visit_id}/move", response_class=HTMLResponse)
def move_form(
    request: Request, db: DbSession, actor: CurrentUser, today: Today, visit_id: PathId
) -> Response:
    context = _move_context(db, actor, today, visit_id)
    visit = context["visit"]
    refused = _require_planned(request, visit, "moved")
    if refused is not None:
        return refused
    values = MoveForm.initial(date=visit.date, start_time=visit.start_time)
    return render(request, "mentor/move.html", {**context, "values": values})


@router.post("/visits/{visit_id}/move", response_class=HTMLResponse)
def move_visit(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    form: FormData,
    visit_id: PathId,
) -> Response:
    visit, _ = _visit_and_match(db, actor, visit_id)
    refused = _require_planned(request, visit, "moved")
    if refused is not None:
        return refused
    submission = MoveForm.read(form)
    if data := submission.data:
        with submission.saving(rename=FIELD_OF):
            visit = visits.update_visit(
                db,
                actor=actor,
                visit_id=visit_id,
                data=data.to_update(visit.version),
                now=now_for(db, actor),
            )
            return redirect(request, after_save(actor, visit, "moved"))
    return show_again(
        request,
        db,
        "mentor/move.html",
        lambda: _move_context(db, actor, today, visit_id),
        submission,
    )


# The weekly slot ----------------------------------------------------------------------------


def _slot_context(db: Session, actor: User, match_id: int) -> dict[str, Any]:
    row = _match_row(db, actor, match_id)
    match = row.match
    programme = programmes.get_programme(db, actor.org_id, match.programme_id)
    monthly = programme.band_per == BandPer.month
    return {
        "groups": ProgrammeKind(programme.kind).has_groups,
        "monthly": monthly,
        "match": match,
        "name": row.child_first_name,
        "values": {
            **SlotForm.initial(weekday=match.visit_weekday, start_time=match.visit_start_time),
            **minutes_values(match.visit_minutes),
        },
        "errors": {},
        "weekdays": [("", "Choose a day"), *((str(n), d) for n, d in WEEKDAYS)],
        "minute_options": minute_options(),
        "slot": slot_text(match, monthly=monthly),
        "back": back_to(actor, match),
        "planned": None,
    }


@router.get("/mentor/matches/{match_id}/plan", response_class=HTMLResponse)
def plan_form(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    match_id: PathId,
    planned: int | None = Query(default=None, ge=0, le=1000),
) -> HTMLResponse:
    context = _slot_context(db, actor, match_id)
    return render(request, "mentor/plan.html", {**context, "planned": planned})


@router.post("/mentor/matches/{match_id}/plan", response_class=HTMLResponse)
def plan(
    request: Request, db: DbSession, actor: CurrentUser, form: FormData, match_id: PathId
) -> Response:
    _match_row(db, actor, match_id)  # 403 or 404 first
    submission = SlotForm.read(form)
    if data := submission.data:
        with submission.saving(rename=FIELD_OF):
            planned = planning.plan_visits(
                db, actor=actor, match_id=match_id, data=data.to_plan(), now=now_for(db, actor)
            )
            if actor.role == Role.mentor:
                return redirect(request, f"/mentor?planned={len(planned)}")
            return redirect(request, f"/mentor/matches/{match_id}/plan?planned={len(planned)}")
    return show_again(
        request, db, "mentor/plan.html", lambda: _slot_context(db, actor, match_id), submission
    )
