"""The mentor's pages: my week, logging a visit, recording, moving or cancelling a planned one,
and setting the weekly visit slot. Phone first; every form works without JavaScript and
calls the same service functions as the JSON API."""

from __future__ import annotations

import datetime as dt
import re
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
from app.mentoring import service, visits
from app.mentoring.models import Match, MentorVisit, VisitStatus
from app.mentoring.schemas import VisitCreate, VisitPlanIn, VisitUpdate, WeekTarget
from app.sessions.models import AssignmentKind, AssignmentStatus
from app.web import (
    FormData,
    date_fields,
    field_errors,
    id_param,
    minutes_human,
    parse_date_fields,
    redirect,
    render,
    render_error_page,
    time_12h,
)

router = APIRouter(include_in_schema=False)

# The week page accepts dates in this range (prev/next links never overflow a date).
EARLIEST = dt.date(2000, 1, 3)
LATEST = dt.date(2100, 12, 27)
MINUTE_CHOICES = (30, 45, 60, 90, 120, 150, 180, 210, 240)
MINUTES_RANGE = "A visit lasts from 15 minutes to 8 hours (480 minutes)"
WEEKDAYS = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
]
STATUS_CHOICES = [
    ("completed", "Completed", "You spent the time together"),
    ("missed", "Missed", "You went, but the young person was not there"),
    ("cancelled", "Cancelled", "It did not happen, and was called off in advance"),
    ("planned", "Planned", "For a date today or later"),
]
STATUS_LABELS = {value: label for value, label, _ in STATUS_CHOICES}
STATUS_TAGS = {
    "planned": "govuk-tag--blue",
    "completed": "govuk-tag--green",
    "missed": "govuk-tag--orange",
    "cancelled": "govuk-tag--grey",
}
TASK_CHOICES = [("none", "Not this time"), ("practised", "Practised"), ("completed", "Completed")]
# The page's own words for the service's field names.
FIELD_OF = {"duration_minutes": "minutes", "assignment_ids": "form", "match_id": "form"}
SAVED = {
    "logged": "Visit logged",
    "recorded": "Visit recorded",
    "cancelled": "Visit cancelled",
    "moved": "Visit moved",
}


# Words people read --------------------------------------------------------------------------


def day_name(day: dt.date | None, today: dt.date | None = None) -> str:
    """ "Monday 16 November", with the year only when it is not this year's."""
    if day is None:
        return ""
    text = f"{day:%A} {day.day} {day:%B}"
    if today is None or day.year != today.year:
        text += f" {day.year}"
    return text


def hours_text(minutes: int) -> str:
    """1.5, 2, 0.25: hours as a short number."""
    hours = round(minutes / 60, 2)
    return f"{hours:g}"


TARGET_TAGS = {
    WeekTarget.on_track: ("On track", "govuk-tag--grey"),
    WeekTarget.on_target: ("On target", "govuk-tag--green"),
    WeekTarget.above_target: ("Above target", "govuk-tag--purple"),
    WeekTarget.below_target: ("Below target", "govuk-tag--yellow"),
}


def band_of(
    completed: int, planned: int, band: tuple[int, int], week_end: dt.date, today: dt.date
) -> tuple[str, str]:
    """The tag's words and colour (`service.week_target` says which)."""
    return TARGET_TAGS[
        service.week_target(
            completed_minutes=completed,
            planned_minutes=planned,
            band=band,
            week_end=week_end,
            today=today,
        )
    ]


def slot_text(match: Match) -> str | None:
    if match.visit_weekday is None or match.visit_start_time is None:
        return None
    weekday = WEEKDAYS[match.visit_weekday - 1][1]
    text = f"{weekday}s at {time_12h(match.visit_start_time)}"
    if match.visit_minutes:
        text += f" for {minutes_human(match.visit_minutes)}"
    return text


def visit_when(visit: MentorVisit, today: dt.date | None = None) -> str:
    text = day_name(visit.date, today)
    end = visits.end_time(visit.start_time, visit.minutes)
    if visit.start_time is not None and end is not None:
        text += f", {time_12h(visit.start_time)} to {time_12h(end)}"
    return text


HELPERS = {
    "day_name": day_name,
    "hours_text": hours_text,
    "visit_when": visit_when,
    "status_labels": STATUS_LABELS,
    "status_tags": STATUS_TAGS,
}


# Reading forms ------------------------------------------------------------------------------

_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def parse_time(text: str) -> dt.time | None:
    """16:30, 16.30, 4:30pm, 4pm, 9am; None when it is not a time."""
    found = _TIME.match(text.strip().lower().replace(" ", ""))
    if not found:
        return None
    hour, minute, half = int(found[1]), int(found[2] or 0), found[3]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif found[2] is None:
        return None  # "16" alone is not a time
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def read_time(form: dict[str, str], errors: dict[str, str], name: str = "start_time") -> Any:
    text = form.get(name, "").strip()
    if not text:
        errors[name] = "Enter the start time"
        return None
    value = parse_time(text)
    if value is None:
        errors[name] = "Enter a real time, for example 16:30 or 4:30pm"
    return value


def read_minutes(form: dict[str, str], errors: dict[str, str]) -> int | None:
    """The select of common lengths, or the number typed when "Another length" is chosen
    (a number posted as the choice itself is read too)."""
    choice = form.get("minutes", "").strip()
    other = form.get("minutes_other", "").strip()
    field = "minutes"
    if choice in ("", "other"):
        if not other:
            errors["minutes_other" if choice else "minutes"] = (
                "Enter how many minutes the visit lasted"
                if choice
                else "Choose how long the visit lasted"
            )
            return None
        choice, field = other, "minutes_other"
    if not choice.isdigit():
        errors[field] = "Enter the length as a number of minutes, for example 90"
        return None
    minutes = int(choice)
    if not 15 <= minutes <= 480:
        errors[field] = MINUTES_RANGE
        return None
    return minutes


def minutes_values(minutes: int | None) -> dict[str, str]:
    if minutes is None:
        return {"minutes": "", "minutes_other": ""}
    if minutes in MINUTE_CHOICES:
        return {"minutes": str(minutes), "minutes_other": ""}
    return {"minutes": "other", "minutes_other": str(minutes)}


def minute_options() -> list[tuple[str, str]]:
    return [
        ("", "Choose a length"),
        *((str(m), minutes_human(m)) for m in MINUTE_CHOICES),
        ("other", "Another length"),
    ]


def service_errors(exc: Invalid) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, message in field_errors(exc.errors).items():
        out.setdefault(FIELD_OF.get(field, field), message)
    return out or {"form": exc.detail}


def pydantic_errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        field = FIELD_OF.get(loc[0], loc[0]) if loc else "form"
        if field == "minutes":
            message = MINUTES_RANGE
        elif field == "summary":
            message = "What you did must be 2,000 characters or fewer"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
        out.setdefault(field, message)
    return out


def _order(errors: dict[str, str], order: list[str]) -> dict[str, str]:
    out = {f: errors[f] for f in order if f in errors}
    out.update({f: m for f, m in errors.items() if f not in out})
    return out


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


# My week ------------------------------------------------------------------------------------


@router.get("/mentor", response_class=HTMLResponse)
def my_week(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    date: str | None = Query(default=None, max_length=40),
    saved: str | None = Query(default=None, max_length=20),
    planned: int | None = Query(default=None, ge=0, le=1000),
) -> HTMLResponse:
    if actor.role != Role.mentor:
        raise Forbidden("My week is for mentors.")
    today = today_for(db, actor)
    day, errors = today, {}
    if date:
        try:
            asked = dt.date.fromisoformat(date.strip())
        except ValueError:
            errors["form"] = "That is not a real date. This week is shown instead."
        else:
            if EARLIEST <= asked <= LATEST:
                day = asked
            else:
                errors["form"] = "That date is too far away. This week is shown instead."
    week = visits.mentor_week(db, actor=actor, day=day)
    mentees = []
    for m in week.mentees:
        still_planned = sum(v.minutes for v in m.visits if v.status == VisitStatus.planned)
        tag = band_of(m.minutes_completed, still_planned, week.band, week.end, today)
        tasks = m.assignments
        # The latest group's tasks first; older ones still open fold away on a phone.
        latest = max((row[5] for row in tasks), default=None)
        mentees.append(
            {
                "m": m,
                "new_tasks": [row for row in tasks if row[5] == latest],
                "old_tasks": [row for row in tasks if row[5] != latest],
                "session": m.last_session,
                "missed": m.last_session is not None
                and m.last_session[4] not in ("present", "late"),
                "hours": hours_text(m.minutes_completed),
                "band_label": tag[0],
                "band_tag": tag[1],
                "slot": slot_text(m.match),
                "planned_visits": sum(1 for v in m.visits if v.status == VisitStatus.planned),
            }
        )
    banner = None
    if saved in SAVED:
        banner = SAVED[saved]
    elif planned is not None:
        banner = (
            f"{planned} visit{'s' if planned != 1 else ''} planned. "
            "They are in your week and your calendar feed."
        )
    return render(
        request,
        "mentor/week.html",
        {
            **HELPERS,
            "week": week,
            "mentees": mentees,
            "today": today,
            "this_week": visits.week_of(today)[0] == week.start,
            "previous": (week.start - dt.timedelta(days=7)).isoformat(),
            "next": (week.start + dt.timedelta(days=7)).isoformat(),
            "band": week.band,
            "errors": errors,
            "banner": banner,
            "kinds": AssignmentKind,
            "practised": AssignmentStatus.practised,
        },
        status_code=422 if errors else 200,
    )


# The visit form -----------------------------------------------------------------------------


def _tasks(
    db: Session, actor: User, match: Match, visit_id: int | None
) -> tuple[list[Any], dict[int, str]]:
    """The mentee's open practice tasks (and those already linked to this visit), with each
    one's answer on the form: practised or completed when linked, else none. Two queries."""
    linked = set(visits.links_of(db, [visit_id]).get(visit_id, [])) if visit_id else set()
    rows = [
        row
        for row in visits.list_assignments(db, actor=actor, child_id=match.child_id)
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


def _visit_values(visit: MentorVisit | None, today: dt.date) -> dict[str, Any]:
    if visit is None:
        return {
            "date": date_fields(today),
            "start_time": "",
            **minutes_values(None),
            "status": "completed",
            "summary": "",
            "safeguarding_concern": False,
        }
    status = visit.status.value
    if status == "planned" and visit.date <= today:
        status = "completed"  # recording how it went: most visits happen as planned
    return {
        "date": date_fields(visit.date),
        "start_time": visit.start_time.strftime("%H:%M") if visit.start_time else "",
        **minutes_values(visit.minutes),
        "status": status,
        "summary": visit.summary or "",
        "safeguarding_concern": visit.safeguarding_concern,
    }


def _read_visit_form(
    form: dict[str, str], task_ids: list[int]
) -> tuple[dict[str, Any], dict[str, Any], dict[int, str], dict[str, str]]:
    """(values to show again, the API body, task answers, errors)."""
    errors: dict[str, str] = {}
    day, problem = parse_date_fields(form, "date", "date of the visit")
    if problem:
        errors["date"] = problem
    start = read_time(form, errors)
    minutes = read_minutes(form, errors)
    status = form.get("status", "")
    if status not in STATUS_LABELS:
        errors["status"] = "Choose how the visit went"
    summary = form.get("summary", "").strip()
    if len(summary) > 2000:
        errors["summary"] = "What you did must be 2,000 characters or fewer"
    answers = {}
    for task_id in task_ids:
        answer = form.get(f"task-{task_id}", "none")
        answers[task_id] = answer if answer in ("none", "practised", "completed") else "none"
    concern = form.get("safeguarding_concern") == "yes"
    values = {
        "date": {part: form.get(f"date-{part}", "").strip() for part in ("day", "month", "year")},
        "start_time": form.get("start_time", "").strip(),
        "minutes": form.get("minutes", "").strip(),
        "minutes_other": form.get("minutes_other", "").strip(),
        "status": status,
        "summary": summary,
        "safeguarding_concern": concern,
    }
    body = {
        "date": day,
        "start_time": start,
        "duration_minutes": minutes,
        "status": status,
        "summary": summary or None,
        "assignment_ids": sorted(t for t, a in answers.items() if a == "practised"),
        "completed_assignment_ids": sorted(t for t, a in answers.items() if a == "completed"),
        "safeguarding_concern": concern,
    }
    order = ["date", "start_time", "minutes", "minutes_other", "status", "summary"]
    return values, body, answers, _order(errors, order)


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
    rows = service.list_matches(db, actor=actor, active=True)
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
        rows = service.list_matches(db, actor=actor, active=True)
        if len(rows) != 1 or actor.role != Role.mentor:
            return _choose_page(request, db, actor)
        match_id = rows[0].match.id or 0
    match = service.get_match(db, actor=actor, match_id=match_id)
    service.require_active(match)
    today = today_for(db, actor)
    tasks, answers = _tasks(db, actor, match, None)
    return _visit_page(
        request,
        actor=actor,
        match=match,
        name=child_name(db, match),
        today=today,
        values=_visit_values(None, today),
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
    match = service.get_match(db, actor=actor, match_id=match_id)
    service.require_active(match)
    today = today_for(db, actor)
    name = child_name(db, match)
    tasks, _ = _tasks(db, actor, match, None)
    values, body, answers, errors = _read_visit_form(form, [row[0].id for row in tasks])
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
    match = service.get_match(db, actor=actor, match_id=visit.match_id)
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
        values=_visit_values(visit, today),
        tasks=tasks,
        answers=answers,
        errors={},
        visit=visit,
        saved=saved,
    )


def _version(form: dict[str, str]) -> int | None:
    raw = form.get("version", "").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 2**31 - 1 else None


@router.post("/visits/{visit_id}", response_class=HTMLResponse)
def record_visit(
    request: Request, db: DbSession, actor: CurrentUser, form: FormData, visit_id: int = id_param()
) -> Response:
    visit, match = _visit_and_match(db, actor, visit_id)
    today = today_for(db, actor)
    name = child_name(db, match)
    tasks, _ = _tasks(db, actor, match, visit.id)
    values, body, answers, errors = _read_visit_form(form, [row[0].id for row in tasks])
    version = _version(form)
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
    data = VisitUpdate(version=_version(form) or visit.version, status=VisitStatus.cancelled)
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
        data = VisitUpdate(version=_version(form) or visit.version, date=day, start_time=start)
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
    match = service.get_match(db, actor=actor, match_id=match_id)
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
    match = service.get_match(db, actor=actor, match_id=match_id)
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
            planned = visits.plan_visits(
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
        match = service.get_match(db, actor=actor, match_id=match_id)
    order = ["weekday", "start_time", "minutes", "minutes_other", "until"]
    return _plan_page(
        request,
        actor=actor,
        match=match,
        name=name,
        values=values,
        errors=_order(errors, order),
        status_code=status_code,
    )
