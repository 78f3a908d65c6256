"""The lead's mentor pages: the mentors with their checks and caseloads, adding a mentor's
profile, and updating it.

Every page calls the same service functions as the JSON API (app/mentoring/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.auth.deps import LeadUser, Today
from app.auth.models import User
from app.children import lists
from app.db import DbSession
from app.forms import show_again
from app.mentoring.matching import service as matching
from app.mentoring.profiles import service as profiles
from app.mentoring.profiles.forms import MentorForm, NewMentorForm
from app.programmes import service as programmes
from app.web import PathId, render
from app.web import WholeFormData as WholeForm

router = APIRouter(include_in_schema=False)

CASELOADS = [(str(n), str(n)) for n in range(1, 5)]


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
def mentors_page(request: Request, db: DbSession, actor: LeadUser, today: Today) -> HTMLResponse:
    rows = profiles.list_mentors(db, actor=actor, today=today)
    return render(
        request,
        "mentoring/mentors.html",
        {"rows": [(row, _dbs_state(row, today)) for row in rows], "today": today},
    )


def _new_mentor_context(db: Session, actor: User) -> dict[str, Any]:
    # The people with the mentor role who have no profile yet, for the select.
    people = profiles.unprofiled_mentors(db, actor=actor)
    return {
        "mentor": None,
        "errors": {},
        "candidates": [(str(u.id), u.name) for u in people],
        "caseloads": CASELOADS,
        "lists": lists.form_choices(),
    }


@router.get("/mentors/new", response_class=HTMLResponse)
def new_mentor_form(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    values = NewMentorForm.initial(max_caseload=2)
    return render(
        request, "mentoring/mentor_form.html", {**_new_mentor_context(db, actor), "values": values}
    )


@router.post("/mentors/new", response_class=HTMLResponse)
def create_mentor(
    request: Request, db: DbSession, actor: LeadUser, today: Today, form: WholeForm
) -> Response:
    submission = NewMentorForm.read(form)
    if data := submission.data:
        with submission.saving(conflict_field="user_id"):
            profiles.create_profile(db, actor=actor, data=data.to_create(), today=today)
            return RedirectResponse(f"/mentors/{data.user_id}?added=1", status_code=303)
    return show_again(
        request,
        db,
        "mentoring/mentor_form.html",
        lambda: _new_mentor_context(db, actor),
        submission,
    )


def _mentor_context(db: Session, actor: User, today: dt.date, mentor_id: int) -> dict[str, Any]:
    row = profiles.get_mentor(db, actor=actor, mentor_id=mentor_id, today=today)
    return {
        "row": row,
        "mentor": row.user,
        "dbs_state": _dbs_state(row, today),
        "matches": matching.list_matches(db, actor=actor, mentor_id=mentor_id, active=True),
        # One profile and one safer recruitment across programmes: the programme is named
        # beside each mentee when the organisation runs more than one.
        "show_programme": len(programmes.list_programmes(db, actor.org_id)) > 1,
        "values": MentorForm.stored(row.profile),
        "errors": {},
        "caseloads": CASELOADS,
        "lists": lists.form_choices(),
    }


@router.get("/mentors/{mentor_id}", response_class=HTMLResponse)
def mentor_page(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    mentor_id: PathId,
    added: int | None = Query(default=None),
    saved: int | None = Query(default=None),
) -> HTMLResponse:
    context = _mentor_context(db, actor, today, mentor_id)
    return render(
        request, "mentoring/mentor.html", {**context, "added": bool(added), "saved": bool(saved)}
    )


@router.post("/mentors/{mentor_id}", response_class=HTMLResponse)
def update_mentor(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    form: WholeForm,
    mentor_id: PathId,
) -> Response:
    profiles.get_mentor(db, actor=actor, mentor_id=mentor_id, today=today)  # 404 first
    submission = MentorForm.read(form)
    if data := submission.data:
        with submission.saving():
            profiles.update_profile(
                db, actor=actor, mentor_id=mentor_id, data=data.to_update(), today=today
            )
            return RedirectResponse(f"/mentors/{mentor_id}?saved=1", status_code=303)
    return show_again(
        request,
        db,
        "mentoring/mentor.html",
        lambda: _mentor_context(db, actor, today, mentor_id),
        submission,
    )
