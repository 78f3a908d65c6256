"""Children pages: find a child, register one, read a record, and correct it."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.auth.deps import CurrentUser, LeadUser
from app.auth.models import User
from app.children import service
from app.children.models import Child, PlacementType
from app.children.schemas import ChildCreate, ChildUpdate
from app.clock import today_for
from app.db import DbSession
from app.exceptions import Conflict, Invalid
from app.mentoring import service as mentoring
from app.web import FormData, field_errors, parse_date_fields, render

router = APIRouter(include_in_schema=False)
ChildId = Path(ge=1, le=2**31 - 1)

PLACEMENTS = [
    (PlacementType.kinship.value, "Kinship care", "Living with relatives or friends"),
    (PlacementType.foster.value, "Foster care", None),
    (PlacementType.residential.value, "Residential care", "A children's home"),
    (PlacementType.other.value, "Other", None),
]
PLACEMENT_NAMES = {value: label for value, label, _ in PLACEMENTS}
SAME_ETHNICITY = [("yes", "Yes"), ("no", "No"), ("any", "No preference")]

TEXT_FIELDS = (
    "reference",
    "first_name",
    "placement_type",
    "gender",
    "ethnicity",
    "languages",
    "interests",
    "mentor_gender",
    "same_ethnicity",
    "notes",
    "consent_given_by",
)
DATE_FIELDS = {
    # field: (what is missing, what it is called in "Enter a real ...")
    "date_of_birth": ("Enter the date of birth", "date of birth"),
    "consent_given_on": ("Enter the date consent was given", "date consent was given"),
}
PARTS = ("day", "month", "year")

# Plain messages for what pydantic refuses, by field and by kind of error.
EMPTY = {
    "reference": "Enter a reference",
    "first_name": "Enter the child's first name",
    "placement_type": "Choose the type of placement",
    "consent_given_by": "Enter who gave consent",
}
TOO_LONG = {
    "reference": "Reference must be 40 characters or fewer",
    "first_name": "First name must be 60 characters or fewer",
    "gender": "Gender must be 80 characters or fewer",
    "ethnicity": "Ethnicity must be 80 characters or fewer",
    "mentor_gender": "Mentor's gender must be 40 characters or fewer",
    "notes": "Notes must be 500 characters or fewer",
    "consent_given_by": "Who gave consent must be 120 characters or fewer",
}
LISTS = {
    "languages": "List up to 10 languages, each 40 characters or fewer",
    "interests": "List up to 20 interests, each 40 characters or fewer",
}
REFERENCE_PATTERN = (
    "Reference must start with a letter or number, and use only letters, numbers, "
    "hyphens (-), underscores (_), full stops and slashes"
)


# Reading the form --------------------------------------------------------------------------


def form_values(form: dict[str, str]) -> dict[str, str]:
    values = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    values["notes"] = form.get("notes", "").strip()
    for name in DATE_FIELDS:
        for part in PARTS:
            values[f"{name}-{part}"] = form.get(f"{name}-{part}", "").strip()
    return values


def values_of(child: Child) -> dict[str, str]:
    prefs = child.preferences or {}
    same = prefs.get("same_ethnicity")
    values = {
        "reference": child.reference,
        "first_name": child.first_name,
        "placement_type": child.placement_type.value,
        "gender": child.gender or "",
        "ethnicity": child.ethnicity or "",
        "languages": ", ".join(child.languages),
        "interests": ", ".join(child.interests),
        "mentor_gender": str(prefs.get("mentor_gender") or ""),
        "same_ethnicity": "any" if same is None else ("yes" if same else "no"),
        "notes": str(prefs.get("notes") or ""),
        "consent_given_by": child.consent_given_by,
    }
    for name, day in (
        ("date_of_birth", child.date_of_birth),
        ("consent_given_on", child.consent_given_on),
    ):
        values.update(
            {
                f"{name}-day": str(day.day),
                f"{name}-month": str(day.month),
                f"{name}-year": str(day.year),
            }
        )
    return values


def parse_date(values: dict[str, str], name: str) -> tuple[date | None, str | None]:
    """A GOV.UK date input's three boxes as a date, or the message to show beside them."""
    missing_msg, called = DATE_FIELDS[name]
    day, problem = parse_date_fields(values, name, called)
    if day is None and problem == f"Enter the {called}":
        problem = missing_msg
    return day, problem


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def payload(values: dict[str, str], keep_languages: list[str] | None = None) -> dict[str, Any]:
    """The submitted form as the API's body (dates added by the caller)."""
    same = {"yes": True, "no": False}.get(values["same_ethnicity"])
    prefs: dict[str, Any] = {
        "mentor_gender": values["mentor_gender"] or None,
        "same_ethnicity": same,
        "notes": values["notes"] or None,
    }
    if keep_languages:
        prefs["languages"] = keep_languages
    return {
        "reference": values["reference"],
        "first_name": values["first_name"],
        "placement_type": values["placement_type"],
        "gender": values["gender"] or None,
        "ethnicity": values["ethnicity"] or None,
        "languages": split_list(values["languages"]),
        "interests": split_list(values["interests"]),
        "preferences": prefs,
        "consent_given_by": values["consent_given_by"],
    }


def friendly(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors, one plain message per form field."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [part for part in error["loc"] if part != "body"]
        if loc and loc[0] == "preferences" and len(loc) > 1:
            loc = loc[1:]
        field = str(loc[0]) if loc else "form"
        kind = error["type"]
        if field in LISTS:
            message = LISTS[field]
        elif kind in ("missing", "string_too_short", "enum") and field in EMPTY:
            message = EMPTY[field]
        elif kind == "string_too_long" and field in TOO_LONG:
            message = TOO_LONG[field]
        elif kind == "string_pattern_mismatch" and field == "reference":
            message = REFERENCE_PATTERN
        else:
            message = field_errors([dict(error)]).get(field, str(error["msg"]))
        out.setdefault(field, message)
    return out


def check_form(
    values: dict[str, str], model: type[ChildCreate] | type[ChildUpdate], keep: list[str] | None
) -> tuple[ChildCreate | ChildUpdate | None, dict[str, str]]:
    """Validate the whole form at once: every field's problem, in the order of the page."""
    body = payload(values, keep)
    errors: dict[str, str] = {}
    for name in DATE_FIELDS:
        day, problem = parse_date(values, name)
        if problem:
            errors[name] = problem
        else:
            body[name] = day
    if values["same_ethnicity"] not in ("yes", "no", "any"):
        errors["same_ethnicity"] = "Choose whether a mentor of the same ethnicity is preferred"
    parsed: ChildCreate | ChildUpdate | None = None
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        for field, message in friendly(exc).items():
            errors.setdefault(field, message)
    order = [
        "reference",
        "first_name",
        "date_of_birth",
        "placement_type",
        "gender",
        "ethnicity",
        "languages",
        "interests",
        "mentor_gender",
        "same_ethnicity",
        "notes",
        "consent_given_by",
        "consent_given_on",
    ]
    ordered = {f: errors[f] for f in order if f in errors}
    ordered.update({f: m for f, m in errors.items() if f not in ordered})
    return (parsed if not errors else None), ordered


def service_errors(exc: Invalid) -> dict[str, str]:
    """The service's own checks (age, dates not in the future), by field."""
    return field_errors(exc.errors)


# Pages -------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    child: Child | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "children/form.html",
        {
            "child": child,
            "values": values,
            "errors": errors,
            "placements": PLACEMENTS,
            "same_ethnicity": SAME_ETHNICITY,
        },
        status_code=status_code,
    )


def _is_staff(user: User) -> bool:
    return user.role in service.STAFF


@router.get("/children", response_class=HTMLResponse)
def children_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    q: str | None = Query(default=None, max_length=60),
) -> HTMLResponse:
    q = (q or "").strip() or None
    found = service.list_children(db, actor=user, q=q)
    today = today_for(db, user)
    rows = [(child, service.age_on(child.date_of_birth, today)) for child in found]
    return render(
        request,
        "children/index.html",
        {
            "rows": rows,
            "q": q or "",
            "staff": _is_staff(user),
            "placement_names": PLACEMENT_NAMES,
        },
        block="results",
    )


@router.get("/children/new", response_class=HTMLResponse)
def new_child_form(request: Request, actor: LeadUser) -> HTMLResponse:
    return _form_page(request, values=form_values({"same_ethnicity": "any"}), errors={})


@router.post("/children", response_class=HTMLResponse)
def create_child(request: Request, db: DbSession, actor: LeadUser, form: FormData) -> Response:
    values = form_values(form)
    body, errors = check_form(values, ChildCreate, None)
    if body is None:
        return _form_page(request, values=values, errors=errors, status_code=422)
    assert isinstance(body, ChildCreate)
    try:
        child = service.create_child(db, actor=actor, data=body, today=today_for(db, actor))
    except Invalid as exc:
        db.rollback()
        return _form_page(request, values=values, errors=service_errors(exc), status_code=422)
    except Conflict as exc:
        db.rollback()
        return _form_page(request, values=values, errors={"reference": exc.detail}, status_code=409)
    return RedirectResponse(f"/children/{child.id}?added=1", status_code=303)


def _enrolments(db: Session, child: Child) -> list[tuple[Any, str]]:
    from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus

    rows = db.exec(
        select(Enrolment, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(
            Enrolment.child_id == child.id,
            Enrolment.org_id == child.org_id,
            Enrolment.status == EnrolmentStatus.active,
        )
        .order_by(col(Enrolment.start_date))
    ).all()
    return [(enrolment, name) for enrolment, name in rows]


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    child_id: int = ChildId,
    added: int | None = Query(default=None),
    saved: int | None = Query(default=None),
) -> HTMLResponse:
    child = service.get_child(db, actor=user, child_id=child_id)
    prefs = child.preferences or {}
    same = prefs.get("same_ethnicity")
    return render(
        request,
        "children/view.html",
        {
            "child": child,
            "age": service.age_on(child.date_of_birth, today_for(db, user)),
            "placement": PLACEMENT_NAMES.get(child.placement_type.value, child.placement_type),
            "prefs": prefs,
            "same_ethnicity": "No preference" if same is None else ("Yes" if same else "No"),
            "enrolments": _enrolments(db, child),
            "staff": _is_staff(user),
            "added": bool(added),
            "saved": bool(saved),
            "mentoring": _mentoring_panel(db, user, child),
        },
    )


def _mentoring_panel(db: Session, actor: User, child: Child) -> dict[str, Any]:
    """The child's active match, for staff (one query)."""
    if not _is_staff(actor):
        return {"staff": False, "current": None}
    current = mentoring.list_matches(db, actor=actor, child_id=child.id, active=True)
    return {"staff": True, "current": current[0] if current else None}


@router.get("/children/{child_id}/edit", response_class=HTMLResponse)
def edit_child_form(
    request: Request, db: DbSession, actor: LeadUser, child_id: int = ChildId
) -> HTMLResponse:
    child = service.get_child(db, actor=actor, child_id=child_id)
    return _form_page(request, values=values_of(child), errors={}, child=child)


@router.post("/children/{child_id}", response_class=HTMLResponse)
def update_child(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, child_id: int = ChildId
) -> Response:
    child = service.get_child(db, actor=actor, child_id=child_id)
    keep = list((child.preferences or {}).get("languages") or [])
    values = form_values(form)
    body, errors = check_form(values, ChildUpdate, keep)
    status_code = 422
    if body is not None:
        assert isinstance(body, ChildUpdate)
        try:
            service.update_child(
                db, actor=actor, child_id=child_id, data=body, today=today_for(db, actor)
            )
            return RedirectResponse(f"/children/{child_id}?saved=1", status_code=303)
        except Invalid as exc:
            errors = service_errors(exc)
        except Conflict as exc:
            errors, status_code = {"reference": exc.detail}, 409
        db.rollback()
        child = service.get_child(db, actor=actor, child_id=child_id)
    return _form_page(request, values=values, errors=errors, child=child, status_code=status_code)
