"""The lead's mentoring pages: mentors and their checks, suggestions and the child's
shortlist, matches with check-ins, endings and visit plans.

Every page calls the same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.auth.deps import LeadUser
from app.auth.models import DEFAULT_MATCH_WEIGHTS, Organisation, Role, User
from app.children import service as children
from app.children.models import Child
from app.clock import now_for, today_for
from app.cohorts.models import Enrolment, EnrolmentStatus
from app.db import DbSession
from app.exceptions import Conflict, Invalid
from app.mentoring import service, visits
from app.mentoring.models import CheckIn, EndedBy, EndReason, Match, MentorProfile
from app.mentoring.schemas import (
    CheckInCreate,
    MatchCreate,
    MatchEnd,
    MentorCreate,
    MentorUpdate,
    VisitPlanIn,
)
from app.sessions.models import AssignmentStatus, PracticeAssignment
from app.web import (
    FormData,
    date_fields,
    field_errors,
    id_param,
    parse_date_fields,
    render,
    render_error_page,
    typed_date,
)

router = APIRouter(include_in_schema=False)

SOON_DAYS = 60  # a DBS check that runs out within this many days is flagged
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
CASELOADS = [(str(n), str(n)) for n in range(1, 5)]


def first_name(name: str) -> str:
    """What a child reads on the shortlist: the first word of the name, no surname."""
    return (name.split() or [""])[0]


# Mentor form ---------------------------------------------------------------------------------

MENTOR_TEXT = ("gender", "ethnicity", "languages", "interests", "availability", "about")
MENTOR_BOXES = ("care_experience", "barred_list_checked", "references_checked")
MENTOR_DATES = {
    # field: (what it is called in the messages, required)
    "dbs_checked_on": ("date of the DBS check", True),
    "interviewed_on": ("interview date", False),
    "training_completed_on": ("date the training was completed", False),
}
MENTOR_MESSAGES = {
    "user_id": "Choose the person who will mentor",
    "gender": "Gender must be 40 characters or fewer",
    "ethnicity": "Ethnicity must be 80 characters or fewer",
    "languages": "List up to 10 languages, each 40 characters or fewer",
    "interests": "List up to 20 interests, each 40 characters or fewer",
    "availability": "Availability must be 200 characters or fewer",
    "about": "The line for the young person must be 200 characters or fewer",
    "max_caseload": "Choose a caseload from 1 to 4 children",
}
MENTOR_ORDER = (
    "user_id",
    "gender",
    "ethnicity",
    "languages",
    "interests",
    "availability",
    "about",
    "dbs_checked_on",
    "interviewed_on",
    "training_completed_on",
    "max_caseload",
)


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _mentor_values(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: form.get(name, "").strip() for name in MENTOR_TEXT}
    values["user_id"] = form.get("user_id", "").strip()
    values["max_caseload"] = form.get("max_caseload", "").strip()
    for name in MENTOR_BOXES:
        values[name] = form.get(name) == "yes"
    for name in MENTOR_DATES:
        values[name] = typed_date(form, name)
    return values


def _values_of(profile: MentorProfile) -> dict[str, Any]:
    return {
        "gender": profile.gender or "",
        "ethnicity": profile.ethnicity or "",
        "languages": ", ".join(profile.languages),
        "interests": ", ".join(profile.interests),
        "availability": profile.availability or "",
        "about": profile.about or "",
        "care_experience": profile.care_experience,
        "barred_list_checked": profile.barred_list_checked,
        "references_checked": profile.references_checked,
        "dbs_checked_on": date_fields(profile.dbs_checked_on),
        "interviewed_on": date_fields(profile.interviewed_on),
        "training_completed_on": date_fields(profile.training_completed_on),
        "max_caseload": str(profile.max_caseload),
    }


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    out = {f: errors[f] for f in MENTOR_ORDER if f in errors}
    out.update({f: m for f, m in errors.items() if f not in out})
    return out


def _check_mentor_form(
    form: dict[str, str], model: type[MentorCreate] | type[MentorUpdate]
) -> tuple[MentorCreate | MentorUpdate | None, dict[str, str]]:
    """The whole form at once: every field's problem, in the order of the page."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        "gender": form.get("gender", "").strip(),
        "ethnicity": form.get("ethnicity", "").strip(),
        "languages": split_list(form.get("languages", "")),
        "interests": split_list(form.get("interests", "")),
        "availability": form.get("availability", "").strip(),
        "about": form.get("about", "").strip(),
        "max_caseload": form.get("max_caseload", "").strip() or "2",
        **{name: form.get(name) == "yes" for name in MENTOR_BOXES},
    }
    if model is MentorCreate:
        body["user_id"] = form.get("user_id", "").strip() or 0
        for name in ("gender", "ethnicity", "availability", "about"):
            body[name] = body[name] or None
    for name, (called, required) in MENTOR_DATES.items():
        day, problem = parse_date_fields(form, name, called, required=required)
        if problem:
            errors[name] = problem
        else:
            body[name] = day
    parsed: MentorCreate | MentorUpdate | None = None
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [part for part in error["loc"] if part != "body"]
            field = str(loc[0]) if loc else "form"
            errors.setdefault(field, MENTOR_MESSAGES.get(field, str(error["msg"])))
    return (parsed if not errors else None), _ordered(errors)


def _unprofiled_mentors(db: Session, actor: User) -> list[tuple[str, str]]:
    """Active users with the mentor role who have no profile yet, for the select."""
    has_profile = select(MentorProfile.user_id).where(MentorProfile.org_id == actor.org_id)
    users = db.exec(
        select(User)
        .where(
            User.org_id == actor.org_id,
            User.role == Role.mentor,
            col(User.active).is_(True),
            col(User.id).not_in(has_profile),
        )
        .order_by(col(User.name))
    ).all()
    return [(str(u.id), u.name) for u in users]


def _dbs_state(row: service.MentorRow, today: dt.date) -> str | None:
    """'run_out', 'soon' or None, for the tag beside the DBS date."""
    expires = row.readiness.dbs_expires_on
    if expires is None:
        return None
    if expires <= today:
        return "run_out"
    if expires <= today + dt.timedelta(days=SOON_DAYS):
        return "soon"
    return None


# Mentors -------------------------------------------------------------------------------------


@router.get("/mentors", response_class=HTMLResponse)
def mentors_page(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    today = today_for(db, actor)
    rows = service.list_mentors(db, actor=actor, today=today)
    return render(
        request,
        "mentoring/mentors.html",
        {"rows": [(row, _dbs_state(row, today)) for row in rows], "today": today},
    )


def _new_mentor_page(
    request: Request,
    db: Session,
    actor: User,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "mentoring/mentor_form.html",
        {
            "mentor": None,
            "values": values,
            "errors": errors,
            "candidates": _unprofiled_mentors(db, actor),
            "caseloads": CASELOADS,
        },
        status_code=status_code,
    )


@router.get("/mentors/new", response_class=HTMLResponse)
def new_mentor_form(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    values = _mentor_values({"max_caseload": "2"})
    return _new_mentor_page(request, db, actor, values, {})


@router.post("/mentors/new", response_class=HTMLResponse)
def create_mentor(request: Request, db: DbSession, actor: LeadUser, form: FormData) -> Response:
    values = _mentor_values(form)
    body, errors = _check_mentor_form(form, MentorCreate)
    if body is None:
        return _new_mentor_page(request, db, actor, values, errors, status_code=422)
    assert isinstance(body, MentorCreate)
    try:
        service.create_profile(db, actor=actor, data=body, today=today_for(db, actor))
    except Invalid as exc:
        db.rollback()
        found = _ordered(field_errors(exc.errors))
        return _new_mentor_page(request, db, actor, values, found, status_code=422)
    except Conflict as exc:
        db.rollback()
        return _new_mentor_page(
            request, db, actor, values, {"user_id": exc.detail}, status_code=409
        )
    return RedirectResponse(f"/mentors/{body.user_id}?added=1", status_code=303)


def _mentor_page(
    request: Request,
    db: Session,
    actor: User,
    mentor_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    today = today_for(db, actor)
    row = service.get_mentor(db, actor=actor, mentor_id=mentor_id, today=today)
    matches = service.list_matches(db, actor=actor, mentor_id=mentor_id, active=True)
    return render(
        request,
        "mentoring/mentor.html",
        {
            "row": row,
            "mentor": row.user,
            "dbs_state": _dbs_state(row, today),
            "matches": matches,
            "values": values or _values_of(row.profile),
            "errors": errors or {},
            "caseloads": CASELOADS,
            **extra,
        },
        status_code=status_code,
    )


@router.get("/mentors/{mentor_id}", response_class=HTMLResponse)
def mentor_page(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    mentor_id: int = id_param(),
    added: int | None = Query(default=None),
    saved: int | None = Query(default=None),
) -> HTMLResponse:
    return _mentor_page(request, db, actor, mentor_id, added=bool(added), saved=bool(saved))


@router.post("/mentors/{mentor_id}", response_class=HTMLResponse)
def update_mentor(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, mentor_id: int = id_param()
) -> Response:
    today = today_for(db, actor)
    service.get_mentor(db, actor=actor, mentor_id=mentor_id, today=today)  # 404 first
    values = _mentor_values(form)
    body, errors = _check_mentor_form(form, MentorUpdate)
    status_code = 422
    if body is not None:
        assert isinstance(body, MentorUpdate)
        try:
            service.update_profile(db, actor=actor, mentor_id=mentor_id, data=body, today=today)
            return RedirectResponse(f"/mentors/{mentor_id}?saved=1", status_code=303)
        except Invalid as exc:
            errors = _ordered(field_errors(exc.errors))
        except Conflict as exc:
            errors, status_code = {"form": exc.detail}, 409
        db.rollback()
    return _mentor_page(
        request, db, actor, mentor_id, values=values, errors=errors, status_code=status_code
    )


# Suggestions, the shortlist and making a match -----------------------------------------------


def _weights(org: Organisation | None) -> list[tuple[str, int]]:
    weights = {**DEFAULT_MATCH_WEIGHTS, **((org.match_weights if org else None) or {})}
    return [(label, int(weights.get(key, 0))) for key, label in service.WEIGHT_LABELS.items()]


def _match_page(
    request: Request,
    db: Session,
    actor: User,
    child_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The child, their active match if any, else the ranked suggestions and the forms: a
    fixed number of queries whatever the number of mentors."""
    child = children.get_child(db, actor=actor, child_id=child_id)
    today = today_for(db, actor)
    current = service.list_matches(db, actor=actor, child_id=child_id, active=True)
    suggestions: list[service.Suggested] = []
    if not current:
        suggestions = service.suggestions(
            db, actor=actor, child_id=child_id, today=today, top=SUGGESTIONS_SHOWN
        )
    org = db.get(Organisation, actor.org_id)
    return render(
        request,
        "mentoring/match_child.html",
        {
            "child": child,
            "current": current[0] if current else None,
            "suggestions": suggestions,
            "weights": _weights(org),
            "is_admin": actor.role == Role.admin,
            "values": values or {"start_date": date_fields(today), "chosen": False},
            "errors": errors or {},
            "shortlist_max": SHORTLIST_MAX,
        },
        status_code=status_code,
    )


@router.get("/children/{child_id}/match", response_class=HTMLResponse)
def match_child_page(
    request: Request, db: DbSession, actor: LeadUser, child_id: int = id_param()
) -> HTMLResponse:
    return _match_page(request, db, actor, child_id)


@router.post("/children/{child_id}/match", response_class=HTMLResponse)
def create_match(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, child_id: int = id_param()
) -> Response:
    children.get_child(db, actor=actor, child_id=child_id)  # 404 before anything else
    values: dict[str, Any] = {
        "mentor_id": form.get("mentor_id", "").strip(),
        "start_date": typed_date(form, "start_date"),
        "chosen": form.get("chosen_by_young_person") == "yes",
    }
    errors: dict[str, str] = {}
    if not values["mentor_id"].isdigit():
        errors["mentor_id"] = "Choose a mentor"
    start, problem = parse_date_fields(form, "start_date", "start date")
    if problem:
        errors["start_date"] = problem
    if errors:
        return _match_page(
            request, db, actor, child_id, values=values, errors=errors, status_code=422
        )
    assert start is not None
    try:
        data = MatchCreate(
            child_id=child_id,
            mentor_id=int(values["mentor_id"]),
            start_date=start,
            chosen_by_young_person=values["chosen"],
        )
        match = service.create_match(db, actor=actor, data=data, today=today_for(db, actor))
    except ValidationError:
        errors, status_code = {"mentor_id": "Choose a mentor"}, 422
    except Invalid as exc:
        found = field_errors(exc.errors)
        if "child_id" in found:
            found["form"] = found.pop("child_id")
        errors, status_code = found, 422
    except Conflict as exc:
        errors, status_code = {"form": exc.detail}, 409
    else:
        return RedirectResponse(f"/matches/{match.id}?added=1", status_code=303)
    db.rollback()
    return _match_page(
        request, db, actor, child_id, values=values, errors=errors, status_code=status_code
    )


@router.get("/children/{child_id}/shortlist", response_class=HTMLResponse)
def shortlist_page(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    child_id: int = id_param(),
    mentor_id: Annotated[list[int] | None, Query()] = None,
) -> HTMLResponse:
    """A page to print and give the young person: up to three ready mentors with room, in
    words a child reads: first names, interests, a line about them, when they are free."""
    child = children.get_child(db, actor=actor, child_id=child_id)
    wanted = list(dict.fromkeys(mentor_id or []))
    back = f"/children/{child_id}/match"
    if not wanted:
        return _shortlist_refused(request, "Choose one, two or three mentors for the shortlist.")
    if len(wanted) > SHORTLIST_MAX:
        return _shortlist_refused(
            request, f"A shortlist has at most {SHORTLIST_MAX} mentors: you chose {len(wanted)}."
        )
    rows = {
        r.user.id: r
        for r in service.list_mentors(db, actor=actor, today=today_for(db, actor))
        if r.user.role == Role.mentor
    }
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
        if row.active_matches >= row.profile.max_caseload:
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
                    "languages": r.profile.languages,
                }
                for r in chosen
            ],
            "back": back,
        },
    )


def _shortlist_refused(request: Request, detail: str) -> HTMLResponse:
    return render_error_page(request, 422, detail, title="This shortlist cannot be made")


# Matches -------------------------------------------------------------------------------------


@router.get("/matches", response_class=HTMLResponse)
def matches_page(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    today = today_for(db, actor)
    rows = service.list_matches(db, actor=actor)
    return render(
        request,
        "mentoring/matches.html",
        {
            "active": [r for r in rows if r.match.end_date is None],
            "ended": [r for r in rows if r.match.end_date is not None],
            "today": today,
            "reasons": dict(END_REASONS),
        },
    )


def _match_detail(
    request: Request,
    db: Session,
    actor: User,
    match_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    today = today_for(db, actor)
    row = service.match_row(db, actor=actor, match_id=match_id)
    m = row.match
    found = visits.list_visits(db, actor=actor, match_id=match_id)
    defaults: dict[str, Any] = {
        "check_in_date": date_fields(today),
        "weekday": str(m.visit_weekday or ""),
        "start_time": m.visit_start_time.strftime("%H:%M") if m.visit_start_time else "",
        "duration_minutes": str(m.visit_minutes or 120),
        "until": {},
        "end_date": date_fields(today),
        "ended_by": EndedBy.programme.value,
    }
    return render(
        request,
        "mentoring/match.html",
        {
            "row": row,
            "match": m,
            "today": today,
            "overdue": row.check_in_overdue(today),
            "check_ins": service.check_ins_of(db, match_id),
            "visits": found,
            "values": {**defaults, **(values or {})},
            "errors": errors or {},
            "weekdays": WEEKDAYS,
            "weekday_names": dict(WEEKDAYS),
            "end_reasons": END_REASONS,
            "reason_names": dict(END_REASONS),
            "ended_by": ENDED_BY,
            "ended_by_names": dict(ENDED_BY),
            **extra,
        },
        status_code=status_code,
    )


@router.get("/matches/{match_id}", response_class=HTMLResponse)
def match_page(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    match_id: int = id_param(),
    added: int | None = Query(default=None),
    done: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    return _match_detail(request, db, actor, match_id, added=bool(added), done=done)


def _after_refusal(
    request: Request,
    db: Session,
    actor: User,
    match_id: int,
    exc: Exception,
    values: dict[str, Any],
    rename: dict[str, str],
    conflict_field: str = "form",
) -> HTMLResponse:
    """Re-render the match page with the refused form's values and its errors beside it."""
    db.rollback()
    status_code = 422
    if isinstance(exc, ValidationError):
        errors = field_errors([dict(e) for e in exc.errors()])
    elif isinstance(exc, Invalid):
        errors = field_errors(exc.errors)
    else:
        assert isinstance(exc, Conflict)
        errors, status_code = {conflict_field: exc.detail}, 409
    errors = {rename.get(k, k): v for k, v in errors.items()}
    return _match_detail(
        request, db, actor, match_id, values=values, errors=errors, status_code=status_code
    )


@router.post("/matches/{match_id}/check-ins", response_class=HTMLResponse)
def add_check_in(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, match_id: int = id_param()
) -> Response:
    service.get_match(db, actor=actor, match_id=match_id)  # 404 first
    values = {
        "check_in_date": typed_date(form, "check_in_date"),
        "with_mentor": form.get("with_mentor") == "yes",
        "with_child": form.get("with_child") == "yes",
        "with_carer": form.get("with_carer") == "yes",
        "check_in_notes": form.get("check_in_notes", "").strip(),
    }
    rename = {"date": "check_in_date", "notes": "check_in_notes", "form": "with_mentor"}
    day, problem = parse_date_fields(form, "check_in_date", "date of the check-in")
    if problem:
        return _match_detail(
            request,
            db,
            actor,
            match_id,
            values=values,
            errors={"check_in_date": problem},
            status_code=422,
        )
    try:
        data = CheckInCreate(
            date=day,
            with_mentor=values["with_mentor"],
            with_child=values["with_child"],
            with_carer=values["with_carer"],
            notes=values["check_in_notes"] or None,
        )
        service.add_check_in(
            db, actor=actor, match_id=match_id, data=data, today=today_for(db, actor)
        )
    except (ValidationError, Invalid, Conflict) as exc:
        if isinstance(exc, ValidationError) and any(
            e["type"] == "string_too_long" for e in exc.errors()
        ):
            exc = Invalid("", [{"loc": ["notes"], "msg": "Notes must be 2000 characters or fewer"}])
        return _after_refusal(request, db, actor, match_id, exc, values, rename)
    return RedirectResponse(f"/matches/{match_id}?done=check-in#check-ins", status_code=303)


@router.post("/matches/{match_id}/visit-plan", response_class=HTMLResponse)
def plan_visits(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, match_id: int = id_param()
) -> Response:
    service.get_match(db, actor=actor, match_id=match_id)  # 404 first
    values = {
        "weekday": form.get("weekday", "").strip(),
        "start_time": form.get("start_time", "").strip(),
        "duration_minutes": form.get("duration_minutes", "").strip(),
        "until": typed_date(form, "until"),
    }
    errors: dict[str, str] = {}
    if values["weekday"] not in dict(WEEKDAYS):
        errors["weekday"] = "Choose the day of the week"
    until, problem = parse_date_fields(form, "until", "end date", required=False)
    if problem:
        errors["until"] = problem
    body: dict[str, Any] = {
        "weekday": values["weekday"] or 0,
        "start_time": values["start_time"],
        "duration_minutes": values["duration_minutes"] or 0,
        "until": until,
    }
    try:
        data = VisitPlanIn.model_validate(body)
    except ValidationError as exc:
        messages = {
            "weekday": "Choose the day of the week",
            "start_time": "Enter a start time, like 16:30",
            "duration_minutes": "Enter a length from 15 to 480 minutes",
        }
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            errors.setdefault(field, messages.get(field, str(error["msg"])))
    if errors:
        return _match_detail(
            request, db, actor, match_id, values=values, errors=errors, status_code=422
        )
    try:
        visits.plan_visits(db, actor=actor, match_id=match_id, data=data, now=now_for(db, actor))
    except (Invalid, Conflict) as exc:
        rename = {"from": "until", "from_date": "until"}
        return _after_refusal(
            request, db, actor, match_id, exc, values, rename, conflict_field="start_time"
        )
    return RedirectResponse(f"/matches/{match_id}?done=plan#visits", status_code=303)


@router.post("/matches/{match_id}/end", response_class=HTMLResponse)
def end_match(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, match_id: int = id_param()
) -> Response:
    service.get_match(db, actor=actor, match_id=match_id)  # 404 first
    values: dict[str, Any] = {
        "end_date": typed_date(form, "end_date"),
        "reason": form.get("reason", "").strip(),
        "ended_by": form.get("ended_by", "").strip(),
        "note": form.get("note", "").strip(),
    }
    errors: dict[str, str] = {}
    end, problem = parse_date_fields(form, "end_date", "end date")
    if problem:
        errors["end_date"] = problem
    if values["reason"] not in dict(END_REASONS):
        errors["reason"] = "Choose why the match ended"
    if values["ended_by"] not in dict(ENDED_BY):
        errors["ended_by"] = "Choose who ended the match"
    if len(values["note"]) > 2000:
        errors["note"] = "The closure note must be 2000 characters or fewer"
    if errors:
        return _match_detail(
            request, db, actor, match_id, values=values, errors=errors, status_code=422
        )
    data = MatchEnd(
        end_date=end,
        reason=EndReason(values["reason"]),
        ended_by=EndedBy(values["ended_by"]),
        note=values["note"] or None,
    )
    try:
        service.end_match(db, actor=actor, match_id=match_id, data=data, today=today_for(db, actor))
    except (Invalid, Conflict) as exc:
        return _after_refusal(request, db, actor, match_id, exc, values, {})
    return RedirectResponse(f"/matches/{match_id}?done=ended", status_code=303)


@router.post("/visits/{visit_id}/concern-reviewed", response_class=HTMLResponse)
def review_concern(
    request: Request, db: DbSession, actor: LeadUser, visit_id: int = id_param()
) -> Response:
    visit = visits.review_concern(db, actor=actor, visit_id=visit_id)
    return RedirectResponse(f"/matches/{visit.match_id}?done=reviewed#visits", status_code=303)


# The lead's home panel and the child page ----------------------------------------------------


def _latest_overdue_since(today: dt.date) -> dt.date:
    """The latest last check-in (or start date) whose next monthly check-in is overdue today,
    by the service's own rule (due one month on, overdue when due < today). Every earlier
    date is overdue too, so the count is a single comparison in SQL."""
    for back in range(0, 40):
        day = today - dt.timedelta(days=back)
        if service.add_months(day, 1) < today:
            return day
    raise AssertionError("unreachable: a month is shorter than 40 days")


def _last_check_on_running_out(today: dt.date, renewal_years: int) -> dt.date:
    """The latest DBS check date that runs out within SOON_DAYS (or has run out)."""
    limit = today + dt.timedelta(days=SOON_DAYS)
    guess = service.add_years(limit, -renewal_years) + dt.timedelta(days=3)
    while service.add_years(guess, renewal_years) > limit:
        guess -= dt.timedelta(days=1)
    return guess


def mentoring_panel(db: Session, actor: User) -> dict[str, Any]:
    """The lead's mentoring counts, each with the place to act: four queries, whatever the
    number of mentors, matches, children or tasks."""
    today = today_for(db, actor)
    org = db.get(Organisation, actor.org_id)
    renewal = org.dbs_renewal_years if org else 3
    concerns = visits.concerns(db, actor=actor)
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
