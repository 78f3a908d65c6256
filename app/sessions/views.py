"""The session page: the lesson, then one form with the register, the coverage checklist,
the facilitators present, the process checklist and notes. Works without JavaScript."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.auth.deps import CurrentOrg, CurrentUser, LeadUser
from app.auth.models import Organisation, User
from app.clock import now_for
from app.cohorts.models import Cohort
from app.cohorts.panels import COHORT_PANELS
from app.cohorts.service import STAFF
from app.db import DbSession
from app.forms import FORM, show_again
from app.sessions import observations, recording, service
from app.sessions.forms import ObservationForm, RegisterForm, answers_that_differ, register_form
from app.web import FormData, PathId, render

router = APIRouter(include_in_schema=False)

ATTENDANCE_LABELS = [
    ("present", "Present"),
    ("late", "Late"),
    ("absent", "Absent"),
    ("excused", "Excused"),
]
COVERAGE_LABELS = [("delivered", "Delivered"), ("partial", "Partly"), ("skipped", "Skipped")]


def _session_quality(db: Session, actor: User, cohort: Cohort) -> dict[int, dict[str, Any]]:
    return observations.quality_by_session(db, actor=actor, cohort_id=cohort.id or 0)


# The cohort page's line under each delivered session: cohorts come before sessions, so
# sessions hands it over as its router is loaded.
COHORT_PANELS["quality"] = _session_quality


def _page(
    db: Session, actor: User, org: Organisation, session_id: int
) -> tuple[dict[str, Any], type[RegisterForm]]:
    """The page's context (the register showing what is stored) and the register's form
    model, built for this session."""
    register = service.register_of(db, actor=actor, session_id=session_id)
    model = register_form(register, org.session_checklist)
    now = now_for(db, actor)
    context = {
        **vars(register),
        "checklist_items": list(org.session_checklist),
        "today": now.date(),
        "starts_at": service.session_start(register.session, now.tzinfo or dt.UTC),
        "started": service.not_started(register.session, now) is None,
        "staff": actor.role in STAFF,
        "attendance_labels": ATTENDANCE_LABELS,
        "coverage_labels": COVERAGE_LABELS,
        "values": model.stored(register, actor),
        "errors": {},
        "saved": False,
        "conflict": None,
        "filled": False,
    }
    return context, model


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    org: CurrentOrg,
    session_id: PathId,
    saved: int | None = None,
    everyone_present: int | None = None,
) -> HTMLResponse:
    context, model = _page(db, actor, org, session_id)
    if everyone_present:
        context["values"] = model.everyone_present(context["values"])
    return render(
        request,
        "sessions/page.html",
        {**context, "saved": bool(saved), "filled": bool(everyone_present)},
    )


@router.post("/sessions/{session_id}/record", response_class=HTMLResponse)
def record(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    org: CurrentOrg,
    form: FormData,
    session_id: PathId,
) -> Response:
    _, model = _page(db, actor, org, session_id)
    submission = model.read(form)
    first = model.shape.facilitators[:1]
    if submission.data:
        rename = {"facilitators_present": f"facilitator-{first[0]}" if first else FORM}
        with submission.saving(rename=rename):
            recording.record_session(
                db,
                actor=actor,
                session_id=session_id,
                payload=submission.data.to_record(),
                now=now_for(db, actor),
            )
            return RedirectResponse(f"/sessions/{session_id}?saved=1", status_code=303)

    def context() -> Mapping[str, Any]:
        page, _ = _page(db, actor, org, session_id)
        if submission.status_code == 409:
            # Someone saved first: keep what this person chose, and show beside each answer
            # what the other person saved.
            theirs = page["values"]
            page["conflict"] = {
                "theirs": theirs,
                "differs": answers_that_differ(submission.values, theirs),
                **page["stored"].saved(),
            }
        return page

    return show_again(request, db, "sessions/page.html", context, submission)


@router.post("/sessions/{session_id}/observations", response_class=HTMLResponse)
def observe(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    org: CurrentOrg,
    form: FormData,
    session_id: PathId,
) -> Response:
    submission = ObservationForm.read(form)
    if submission.data:
        with submission.saving():
            observations.observe(
                db, actor=actor, session_id=session_id, data=submission.data.to_observation()
            )
            return RedirectResponse(f"/sessions/{session_id}#observations", status_code=303)
    return show_again(
        request,
        db,
        "sessions/page.html",
        lambda: _page(db, actor, org, session_id)[0],
        submission,
    )
