"""The lead's mentor pages: the mentors with their checks and caseloads, adding a mentor's
profile, and updating it.

Every page calls the same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.auth.deps import LeadUser
from app.auth.models import Role, User
from app.clock import today_for
from app.db import DbSession
from app.exceptions import Conflict, Invalid
from app.mentoring.matching import service as matching
from app.mentoring.models import MentorProfile
from app.mentoring.profiles import service as profiles
from app.mentoring.schemas import MentorCreate, MentorUpdate
from app.web import (
    FormData,
    date_fields,
    field_errors,
    id_param,
    parse_date_fields,
    render,
    typed_date,
)

router = APIRouter(include_in_schema=False)

CASELOADS = [(str(n), str(n)) for n in range(1, 5)]


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


def _dbs_state(row: profiles.MentorRow, today: dt.date) -> str | None:
    """'run_out', 'soon' or None, for the tag beside the DBS date."""
    expires = row.readiness.dbs_expires_on
    if expires is None:
        return None
    if expires <= today:
        return "run_out"
    if expires <= today + dt.timedelta(days=profiles.SOON_DAYS):
        return "soon"
    return None


# Mentors -------------------------------------------------------------------------------------


@router.get("/mentors", response_class=HTMLResponse)
def mentors_page(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    today = today_for(db, actor)
    rows = profiles.list_mentors(db, actor=actor, today=today)
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
        profiles.create_profile(db, actor=actor, data=body, today=today_for(db, actor))
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
    row = profiles.get_mentor(db, actor=actor, mentor_id=mentor_id, today=today)
    matches = matching.list_matches(db, actor=actor, mentor_id=mentor_id, active=True)
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
    profiles.get_mentor(db, actor=actor, mentor_id=mentor_id, today=today)  # 404 first
    values = _mentor_values(form)
    body, errors = _check_mentor_form(form, MentorUpdate)
    status_code = 422
    if body is not None:
        assert isinstance(body, MentorUpdate)
        try:
            profiles.update_profile(db, actor=actor, mentor_id=mentor_id, data=body, today=today)
            return RedirectResponse(f"/mentors/{mentor_id}?saved=1", status_code=303)
        except Invalid as exc:
            errors = _ordered(field_errors(exc.errors))
        except Conflict as exc:
            errors, status_code = {"form": exc.detail}, 409
        db.rollback()
    return _mentor_page(
        request, db, actor, mentor_id, values=values, errors=errors, status_code=status_code
    )
