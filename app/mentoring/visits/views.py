"""The visit pages, phone first: logging a visit, recording how a planned one went, moving or
cancelling it, and setting a match's weekly visit slot. Every form works without JavaScript
and calls the same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.deps import CurrentUser
from app.auth.models import Role, User
from app.children.models import Child
from app.clock import now_for, today_for
from app.db import DbSession
from app.exceptions import Conflict, Forbidden, Invalid
from app.mentoring.matching import service as matching
from app.mentoring.models import Match, MentorVisit, VisitStatus
from app.mentoring.practice import service as practice
from app.mentoring.schemas import VisitCreate, VisitPlanIn, VisitUpdate
from app.mentoring.visits import planning
from app.mentoring.visits import service as visits
from app.mentoring.visits.forms import (
    in_order,
    minute_options,
    minutes_values,
    pydantic_errors,
    read_minutes,
    read_time,
    read_version,
    read_visit_form,
    service_errors,
    visit_values,
)
from app.mentoring.visits.words import (
    HELPERS,
    SAVED,
    STATUS_CHOICES,
    STATUS_LABELS,
    WEEKDAYS,
    day_name,
    slot_text,
)
from app.sessions.models import AssignmentKind, AssignmentStatus
from app.web import (
    FormData,
    date_fields,
    id_param,
    parse_date_fields,
    redirect,
    render,
    render_error_page,
)

router = APIRouter(include_in_schema=False)

TASK_CHOICES = [("none", "Not this time"), ("practised", "Practised"), ("completed", "Completed")]


# Access -------------------------------------------------------------------------------------


def require_mentor_or_staff(actor: User) -> None:
    """A mentor for their own matches, a lead or admin for the organisation's; a facilitator
    has no part in mentoring (403 before any row is looked up)."""
    if actor.role not in (Role.mentor, Role.lead, Role.admin):
        raise Forbidden("Only mentors and programme leads can do this.")


def child_name(db: Session, match: Match) -> str:
    child = db.get(Child, match.child_id)
    return child.first_name if child else "your mentee"


def back_to(actor: User, match: Match, day: dt.date | None = None) -> str:
    if actor.role == Role.mentor:
        return "/mentor" + (f"?date={day.isoformat()}" if day else "")
    return f"/matches/{match.id}"


def after_save(actor: User, visit: MentorVisit, saved: str) -> str:
    """A mentor goes back to the week of the visit; a lead to the visit's page."""
    if actor.role == Role.mentor:
        return "/mentor?" + urlencode({"date": visit.date.isoformat(), "saved": saved})
    return f"/visits/{visit.id}?saved={saved}"


# The visit form -----------------------------------------------------------------------------


def _tasks(
    db: Session, actor: User, match: Match, visit_id: int | None
) -> tuple[list[Any], dict[int, str]]:
    """The mentee's open practice tasks (and those already linked to this visit), with each
    one's answer on the form: practised or completed when linked, else none. Two queries."""
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


def _visit_page(
    request: Request,
    *,
    actor: User,
    match: Match,
    name: str,
    today: dt.date,
    values: dict[str, Any],
    tasks: list[Any],
    answers: dict[int, str],
    errors: dict[str, str],
    visit: MentorVisit | None = None,
    version: int | None = None,
    saved: str | None = None,
    conflict: MentorVisit | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    latest = max((row[5] for row in tasks), default=None)
    if visit is None:
        heading = "Log a visit"
    elif visit.status == VisitStatus.planned:
        heading = "Record how the visit went"
    else:
        heading = f"Visit on {day_name(visit.date, today)}"
    return render(
        request,
        "mentor/visit.html",
        {
            **HELPERS,
            "heading": heading,
            "match": match,
            "name": name,
            "visit": visit,
            "version": version if version is not None else (visit.version if visit else None),
            "values": values,
            "tasks": tasks,
            # The latest group's tasks (and any already ticked) first; the rest fold away.
            "new_tasks": [row for row in tasks if row[5] == latest or answers[row[0].id] != "none"],
            "old_tasks": [
                row for row in tasks if row[5] != latest and answers[row[0].id] == "none"
            ],
            "answers": answers,
            "errors": errors,
            "today": today,
            "back": back_to(actor, match, visit.date if visit else None),
            "status_choices": STATUS_CHOICES,
            "task_choices": TASK_CHOICES,
            "minute_options": minute_options(),
            "banner": SAVED.get(saved or ""),
            "conflict": conflict,
            "kinds": AssignmentKind,
        },
        status_code=status_code,
    )


def _choose_page(request: Request, db: DbSession, actor: User) -> HTMLResponse:
    rows = matching.list_matches(db, actor=actor, active=True)
    return render(
        request,
        "mentor/choose.html",
        {"rows": rows, "mentor": actor.role == Role.mentor},
    )


def _match_id(request: Request, form: dict[str, str] | None = None) -> int | None:
    raw = (form or {}).get("match_id") or request.query_params.get("match_id") or ""
    raw = raw.strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        return None
    return int(raw)


@router.get("/visits/new", response_class=HTMLResponse)
def new_visit(request: Request, db: DbSession, actor: CurrentUser) -> HTMLResponse:
    """The log-a-visit form for one match; without a match, the choice of mentee (straight
    to the form when there is only one)."""
    require_mentor_or_staff(actor)
    match_id = _match_id(request)
    if match_id is None:
        if "match_id" in request.query_params:
            return render_error_page(request, 404, "There is no such match.")
        rows = matching.list_matches(db, actor=actor, active=True)
        if len(rows) != 1 or actor.role != Role.mentor:
            return _choose_page(request, db, actor)
        match_id = rows[0].match.id or 0
    match = matching.get_match(db, actor=actor, match_id=match_id)
    matching.require_active(match)
    today = today_for(db, actor)
    tasks, answers = _tasks(db, actor, match, None)
    return _visit_page(
        request,
        actor=actor,
        match=match,
        name=child_name(db, match),
        today=today,
        values=visit_values(None, today),
        tasks=tasks,
        answers=answers,
        errors={},
    )


@router.post("/visits/new", response_class=HTMLResponse)
def log_visit(request: Request, db: DbSession, actor: CurrentUser, form: FormData) -> Response:
    require_mentor_or_staff(actor)
    match_id = _match_id(request, form)
    if match_id is None:
        return render_error_page(request, 404, "There is no such match.")
    match = matching.get_match(db, actor=actor, match_id=match_id)
    matching.require_active(match)
    today = today_for(db, actor)
    name = child_name(db, match)
    tasks, _ = _tasks(db, actor, match, None)
    values, body, answers, errors = read_visit_form(form, [row[0].id for row in tasks])
    status_code = 422
    if not errors:
        try:
            data = VisitCreate.model_validate({"match_id": match_id, **body})
            visit = visits.create_visit(db, actor=actor, data=data, now=now_for(db, actor))
            return redirect(request, after_save(actor, visit, "logged"))
        except ValidationError as exc:
            errors = pydantic_errors(exc)
        except Invalid as exc:
            db.rollback()
            errors = service_errors(exc)
        except Conflict as exc:
            db.rollback()
            errors, status_code = {"form": exc.detail}, 409
    return _visit_page(
        request,
        actor=actor,
        match=match,
        name=name,
        today=today,
        values=values,
        tasks=tasks,
        answers=answers,
        errors=errors,
        status_code=status_code,
    )


def _visit_and_match(db: Session, actor: User, visit_id: int) -> tuple[MentorVisit, Match]:
    require_mentor_or_staff(actor)
    visit = visits.get_visit(db, actor=actor, visit_id=visit_id)
    match = matching.get_match(db, actor=actor, match_id=visit.match_id)
    return visit, match


@router.get("/visits/{visit_id}", response_class=HTMLResponse)
def visit_page(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    visit_id: int = id_param(),
    saved: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    visit, match = _visit_and_match(db, actor, visit_id)
    today = today_for(db, actor)
    tasks, answers = _tasks(db, actor, match, visit.id)
    return _visit_page(
        request,
        actor=actor,
        match=match,
        name=child_name(db, match),
        today=today,
        values=visit_values(visit, today),
        tasks=tasks,
        answers=answers,
        errors={},
        visit=visit,
        saved=saved,
    )


@router.post("/visits/{visit_id}", response_class=HTMLResponse)
def record_visit(
    request: Request, db: DbSession, actor: CurrentUser, form: FormData, visit_id: int = id_param()
) -> Response:
    visit, match = _visit_and_match(db, actor, visit_id)
    today = today_for(db, actor)
    name = child_name(db, match)
    tasks, _ = _tasks(db, actor, match, visit.id)
    values, body, answers, errors = read_visit_form(form, [row[0].id for row in tasks])
    version = read_version(form)
    if version is None:
        errors["form"] = "This page is out of date. Reload it and try again."
    if visit.safeguarding_concern:
        values["safeguarding_concern"] = True  # a concern once raised stays raised
    status_code = 409 if version is None else 422
    conflict = None
    if not errors:
        if not body["safeguarding_concern"]:
            del body["safeguarding_concern"]  # never withdrawn from this page
        try:
            data = VisitUpdate.model_validate({"version": version, **body})
            visit = visits.update_visit(
                db, actor=actor, visit_id=visit_id, data=data, now=now_for(db, actor)
            )
            return redirect(request, after_save(actor, visit, "recorded"))
        except ValidationError as exc:
            errors = pydantic_errors(exc)
        except Invalid as exc:
            db.rollback()
            errors = service_errors(exc)
        except Conflict as exc:
            db.rollback()
            visit, match = _visit_and_match(db, actor, visit_id)
            errors, status_code, conflict = {"form": exc.detail}, 409, visit
    return _visit_page(
        request,
        actor=actor,
        match=match,
        name=name,
        today=today,
        values=values,
        tasks=tasks,
        answers=answers,
        errors=errors,
        visit=visit,
        # After a conflict the form carries the current version: saving again is deliberate.
        version=visit.version if conflict else version or visit.version,
        conflict=conflict,
        status_code=status_code,
    )


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


@router.post("/visits/{visit_id}/cancel", response_class=HTMLResponse)
def cancel_visit(
    request: Request, db: DbSession, actor: CurrentUser, form: FormData, visit_id: int = id_param()
) -> Response:
    visit, _ = _visit_and_match(db, actor, visit_id)
    refused = _require_planned(request, visit, "cancelled")
    if refused is not None:
        return refused
    data = VisitUpdate(version=read_version(form) or visit.version, status=VisitStatus.cancelled)
    try:
        visit = visits.update_visit(
            db, actor=actor, visit_id=visit_id, data=data, now=now_for(db, actor)
        )
    except (Conflict, Invalid) as exc:
        db.rollback()
        return render_error_page(
            request, exc.status_code, exc.detail, title="The visit was not cancelled"
        )
    return redirect(request, after_save(actor, visit, "cancelled"))


def _move_page(
    request: Request,
    *,
    actor: User,
    visit: MentorVisit,
    match: Match,
    name: str,
    values: dict[str, Any],
    errors: dict[str, str],
    today: dt.date,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "mentor/move.html",
        {
            **HELPERS,
            "visit": visit,
            "name": name,
            "values": values,
            "errors": errors,
            "today": today,
            "back": back_to(actor, match, visit.date),
        },
        status_code=status_code,
    )


@router.get("/visits/{visit_id}/move", response_class=HTMLResponse)
def move_form(
    request: Request, db: DbSession, actor: CurrentUser, visit_id: int = id_param()
) -> Response:
    visit, match = _visit_and_match(db, actor, visit_id)
    refused = _require_planned(request, visit, "moved")
    if refused is not None:
        return refused
    values = {
        "date": date_fields(visit.date),
        "start_time": visit.start_time.strftime("%H:%M") if visit.start_time else "",
    }
    return _move_page(
        request,
        actor=actor,
        visit=visit,
        match=match,
        name=child_name(db, match),
        values=values,
        errors={},
        today=today_for(db, actor),
    )


@router.post("/visits/{visit_id}/move", response_class=HTMLResponse)
def move_visit(
    request: Request, db: DbSession, actor: CurrentUser, form: FormData, visit_id: int = id_param()
) -> Response:
    visit, match = _visit_and_match(db, actor, visit_id)
    refused = _require_planned(request, visit, "moved")
    if refused is not None:
        return refused
    today = today_for(db, actor)
    errors: dict[str, str] = {}
    day, problem = parse_date_fields(form, "date", "new date")
    if problem:
        errors["date"] = problem
    start = read_time(form, errors)
    values = {
        "date": {part: form.get(f"date-{part}", "").strip() for part in ("day", "month", "year")},
        "start_time": form.get("start_time", "").strip(),
    }
    status_code = 422
    if not errors:
        data = VisitUpdate(version=read_version(form) or visit.version, date=day, start_time=start)
        try:
            visit = visits.update_visit(
                db, actor=actor, visit_id=visit_id, data=data, now=now_for(db, actor)
            )
            return redirect(request, after_save(actor, visit, "moved"))
        except Invalid as exc:
            db.rollback()
            errors = service_errors(exc)
        except Conflict as exc:
            db.rollback()
            errors, status_code = {"form": exc.detail}, 409
        visit, match = _visit_and_match(db, actor, visit_id)
    return _move_page(
        request,
        actor=actor,
        visit=visit,
        match=match,
        name=child_name(db, match),
        values=values,
        errors=errors,
        today=today,
        status_code=status_code,
    )


# The weekly slot ----------------------------------------------------------------------------


def _plan_page(
    request: Request,
    *,
    actor: User,
    match: Match,
    name: str,
    values: dict[str, Any],
    errors: dict[str, str],
    planned: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "mentor/plan.html",
        {
            "match": match,
            "name": name,
            "values": values,
            "errors": errors,
            "weekdays": [("", "Choose a day"), *((str(n), d) for n, d in WEEKDAYS)],
            "minute_options": minute_options(),
            "slot": slot_text(match),
            "back": back_to(actor, match),
            "planned": planned,
        },
        status_code=status_code,
    )


@router.get("/mentor/matches/{match_id}/plan", response_class=HTMLResponse)
def plan_form(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    match_id: int = id_param(),
    planned: int | None = Query(default=None, ge=0, le=1000),
) -> HTMLResponse:
    require_mentor_or_staff(actor)
    match = matching.get_match(db, actor=actor, match_id=match_id)
    values = {
        "weekday": str(match.visit_weekday or ""),
        "start_time": match.visit_start_time.strftime("%H:%M") if match.visit_start_time else "",
        **minutes_values(match.visit_minutes),
        "until": {},
    }
    return _plan_page(
        request,
        actor=actor,
        match=match,
        name=child_name(db, match),
        values=values,
        errors={},
        planned=planned,
    )


@router.post("/mentor/matches/{match_id}/plan", response_class=HTMLResponse)
def plan(
    request: Request, db: DbSession, actor: CurrentUser, form: FormData, match_id: int = id_param()
) -> Response:
    require_mentor_or_staff(actor)
    match = matching.get_match(db, actor=actor, match_id=match_id)
    name = child_name(db, match)
    errors: dict[str, str] = {}
    weekday = form.get("weekday", "").strip()
    if weekday not in {str(n) for n, _ in WEEKDAYS}:
        errors["weekday"] = "Choose the day of the week"
    start = read_time(form, errors)
    minutes = read_minutes(form, errors)
    until, problem = parse_date_fields(form, "until", "last date", required=False)
    if problem:
        errors["until"] = problem
    values = {
        "weekday": weekday,
        "start_time": form.get("start_time", "").strip(),
        "minutes": form.get("minutes", "").strip(),
        "minutes_other": form.get("minutes_other", "").strip(),
        "until": {p: form.get(f"until-{p}", "").strip() for p in ("day", "month", "year")},
    }
    status_code = 422
    if not errors:
        try:
            data = VisitPlanIn.model_validate(
                {
                    "weekday": int(weekday),
                    "start_time": start,
                    "duration_minutes": minutes,
                    "until": until,
                }
            )
            planned = planning.plan_visits(
                db, actor=actor, match_id=match_id, data=data, now=now_for(db, actor)
            )
            if actor.role == Role.mentor:
                return redirect(request, f"/mentor?planned={len(planned)}")
            return redirect(request, f"/mentor/matches/{match_id}/plan?planned={len(planned)}")
        except ValidationError as exc:
            errors = pydantic_errors(exc)
        except Invalid as exc:
            db.rollback()
            errors = service_errors(exc)
        except Conflict as exc:
            db.rollback()
            errors, status_code = {"form": exc.detail}, 409
        match = matching.get_match(db, actor=actor, match_id=match_id)
    order = ["weekday", "start_time", "minutes", "minutes_other", "until"]
    return _plan_page(
        request,
        actor=actor,
        match=match,
        name=name,
        values=values,
        errors=in_order(errors, order),
        status_code=status_code,
    )
