"""The lead's matching pages: a child's ranked suggestions and the shortlist to give them,
making a match, the matches, and a match's page with its check-ins, visit plan, ending and
the safeguarding concerns of its visits.

Every page calls the same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.deps import LeadUser
from app.auth.models import DEFAULT_MATCH_WEIGHTS, Organisation, Role, User
from app.auth.schemas import WEIGHT_LABELS
from app.children import service as children
from app.clock import now_for, today_for
from app.db import DbSession
from app.exceptions import Conflict, Invalid
from app.mentoring.matching import service as matching
from app.mentoring.models import EndedBy, EndReason
from app.mentoring.profiles import service as profiles
from app.mentoring.schemas import CheckInCreate, MatchCreate, MatchEnd, VisitPlanIn
from app.mentoring.visits import planning
from app.mentoring.visits import service as visits
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


def _weights(org: Organisation | None) -> list[tuple[str, int]]:
    weights = {**DEFAULT_MATCH_WEIGHTS, **((org.match_weights if org else None) or {})}
    return [(label, int(weights.get(key, 0))) for key, label in WEIGHT_LABELS.items()]


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
    current = matching.list_matches(db, actor=actor, child_id=child_id, active=True)
    suggestions: list[matching.Suggested] = []
    if not current:
        suggestions = matching.suggestions(
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
        match = matching.create_match(db, actor=actor, data=data, today=today_for(db, actor))
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
        for r in profiles.list_mentors(db, actor=actor, today=today_for(db, actor))
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
    rows = matching.list_matches(db, actor=actor)
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
    row = matching.match_row(db, actor=actor, match_id=match_id)
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
            "check_ins": matching.check_ins_of(db, match_id),
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
    matching.get_match(db, actor=actor, match_id=match_id)  # 404 first
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
        matching.add_check_in(
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
    matching.get_match(db, actor=actor, match_id=match_id)  # 404 first
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
        planning.plan_visits(db, actor=actor, match_id=match_id, data=data, now=now_for(db, actor))
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
    matching.get_match(db, actor=actor, match_id=match_id)  # 404 first
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
        matching.end_match(
            db, actor=actor, match_id=match_id, data=data, today=today_for(db, actor)
        )
    except (Invalid, Conflict) as exc:
        return _after_refusal(request, db, actor, match_id, exc, values, {})
    return RedirectResponse(f"/matches/{match_id}?done=ended", status_code=303)


@router.post("/visits/{visit_id}/concern-reviewed", response_class=HTMLResponse)
def review_concern(
    request: Request, db: DbSession, actor: LeadUser, visit_id: int = id_param()
) -> Response:
    visit = visits.review_concern(db, actor=actor, visit_id=visit_id)
    return RedirectResponse(f"/matches/{visit.match_id}?done=reviewed#visits", status_code=303)
