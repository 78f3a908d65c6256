"""Programme pages: the organisation's programmes (admins set them up, leads read the list
to know which one a cohort or a match goes in)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.auth.deps import AdminUser, LeadUser
from app.auth.models import Role, User
from app.curriculum.service import latest_curricula
from app.db import DbSession
from app.exceptions import Conflict
from app.forms import FORM, show_again
from app.programmes import service
from app.programmes.forms import RENAME, ProgrammeEditForm, ProgrammeForm, stored
from app.programmes.models import BandPer, ProgrammeKind
from app.programmes.words import KIND_WORDS, describe
from app.web import FormData, PathId, redirect, render

router = APIRouter(include_in_schema=False)

STALE = (
    "Someone else saved this programme while you were changing it. The form now shows "
    "what they saved: make your changes again and save."
)


def _choices(db: Session) -> dict[str, Any]:
    curricula = [("", "None")] + [
        (str(c.id), f"{c.title} (version {c.version})") for c in latest_curricula(db)
    ]
    return {
        "curricula": curricula,
        "kinds": [(k.value, KIND_WORDS[k]) for k in ProgrammeKind],
        "pers": [(BandPer.week.value, "By the week"), (BandPer.month.value, "By the month")],
    }


@router.get("/admin/programmes", response_class=HTMLResponse)
def programmes_page(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    rows = [(p, describe(p)) for p in service.list_programmes(db, actor.org_id)]
    return render(
        request,
        "programmes/index.html",
        {"rows": rows, "can_change": actor.role == Role.admin},
    )


@router.get("/admin/programmes/new", response_class=HTMLResponse)
def new_programme_form(request: Request, db: DbSession, actor: AdminUser) -> HTMLResponse:
    # Nothing chosen for them: the kind's usual settings are in the hints, typed by the admin.
    values = ProgrammeForm.initial()
    return render(request, "programmes/new.html", {**_choices(db), "values": values, "errors": {}})


@router.post("/admin/programmes", response_class=HTMLResponse)
def create_programme(request: Request, db: DbSession, actor: AdminUser, form: FormData) -> Response:
    submission = ProgrammeForm.read(form)
    if data := submission.data:
        with submission.saving(rename=RENAME, conflict_field="name"):
            programme = service.create_programme(db, actor=actor, data=data.to_create())
            notice = f"{programme.name} is set up."
            return redirect(request, "/admin/programmes", notice=notice)
    return show_again(request, db, "programmes/new.html", lambda: _choices(db), submission)


def _edit_context(db: Session, actor: User, programme_id: int) -> dict[str, Any]:
    programme = service.get_programme(db, actor.org_id, programme_id)
    return {
        **_choices(db),
        "programme": programme,
        "kind_words": KIND_WORDS[ProgrammeKind(programme.kind)],
    }


@router.get("/admin/programmes/{programme_id}", response_class=HTMLResponse)
def edit_programme_form(
    request: Request, db: DbSession, actor: AdminUser, programme_id: PathId
) -> HTMLResponse:
    context = _edit_context(db, actor, programme_id)
    values = stored(context["programme"])
    return render(request, "programmes/edit.html", {**context, "values": values, "errors": {}})


@router.post("/admin/programmes/{programme_id}", response_class=HTMLResponse)
def update_programme(
    request: Request, db: DbSession, actor: AdminUser, form: FormData, programme_id: PathId
) -> Response:
    service.get_programme(db, actor.org_id, programme_id)  # another organisation's: 404 first
    submission = ProgrammeEditForm.read(form)
    if data := submission.data:
        stale = False
        with submission.saving(rename=RENAME, conflict_field="name"):
            try:
                programme = service.update_programme(
                    db, actor=actor, programme_id=programme_id, data=data.to_update()
                )
            except Conflict as exc:
                if "current_version" not in exc.extra:
                    raise  # a name already taken: beside the name
                stale = True
            else:
                return redirect(request, "/admin/programmes", notice=f"{programme.name} is saved.")
        if stale:
            # No lost update: the other person's save stands, and the form shows it.
            db.rollback()
            context = _edit_context(db, actor, programme_id)
            return render(
                request,
                "programmes/edit.html",
                {**context, "values": stored(context["programme"]), "errors": {FORM: STALE}},
                status_code=409,
            )
    return show_again(
        request,
        db,
        "programmes/edit.html",
        lambda: _edit_context(db, actor, programme_id),
        submission,
    )
