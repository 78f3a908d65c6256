"""Assessment pages, tablet-first and with no JavaScript needed: choose the measure, then
the informant, timepoint, date and scores (or each item's answer) on one page; corrections
on an edit page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.audit import service as audit
from app.auth.deps import CurrentUser, Today
from app.auth.models import User
from app.children.models import Child
from app.db import DbSession
from app.exceptions import Conflict, Invalid, NotFound
from app.forms import domain_problems
from app.outcomes import service as measures
from app.outcomes.assessments import service
from app.outcomes.assessments.forms import (
    TIMEPOINT_CHOICES,
    initial_values,
    read_entry,
    rename,
)
from app.outcomes.assessments.schemas import AssessmentCreate, AssessmentUpdate
from app.outcomes.assessments.windows import TIMEPOINT_NAMES, Window
from app.outcomes.models import Assessment, Timepoint
from app.outcomes.schemas import MeasureFile
from app.web import PathId, WholeFormData, redirect, render

router = APIRouter(include_in_schema=False)


def _windows_words(windows: dict[Timepoint, Window]) -> dict[str, str]:
    return {t.value: w.words() for t, w in windows.items()}


def _entry_context(
    db: Session, actor: User, child: Child, definition: MeasureFile
) -> dict[str, Any]:
    windows = service.windows_for(db, actor=actor, child=child)
    return {
        "child": child,
        "measure": definition,
        "informants": list(definition.informants.items()),
        "timepoints": [(v, n) for v, n in TIMEPOINT_CHOICES if v in definition.timepoints],
        "windows": _windows_words(windows),
        "entered_scales": [s for s in definition.scales if s.derived == "entered"],
    }


def _chooser(
    request: Request, db: Session, child: Child, *, error: str | None, timepoint: str
) -> HTMLResponse:
    choices = [(row.key, definition.name) for row, definition in measures.measures(db)]
    return render(
        request,
        "outcomes/assessment_choose.html",
        {
            "child": child,
            "choices": choices,
            "timepoint": timepoint,
            "errors": {"measure": error} if error else {},
        },
        status_code=422 if error else 200,
    )


@router.get("/children/{child_id}/assessments/new", response_class=HTMLResponse)
def new_assessment(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    child_id: PathId,
    measure: str = "",
    timepoint: str = "",
) -> Response:
    child = service.child_for(db, actor=actor, child_id=child_id)
    audit.looked(db, actor=actor, child_id=child_id, what="outcomes")
    if not measure:
        return _chooser(request, db, child, error=None, timepoint=timepoint)
    try:
        _, definition = measures.get_measure(db, measure)
    except NotFound:
        return _chooser(request, db, child, error="Choose a measure", timepoint=timepoint)
    known = {t.value for t in definition.timepoints}
    context = _entry_context(db, actor, child, definition)
    context["values"] = initial_values(
        definition, timepoint=timepoint if timepoint in known else ""
    )
    context["errors"] = {}
    return render(request, "outcomes/assessment_form.html", context)


@router.post("/children/{child_id}/assessments/new", response_class=HTMLResponse)
def create_assessment(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    child_id: PathId,
    form: WholeFormData,
    measure: str = "",
) -> Response:
    child = service.child_for(db, actor=actor, child_id=child_id)
    try:
        _, definition = measures.get_measure(db, measure)
    except NotFound:
        return _chooser(request, db, child, error="Choose a measure", timepoint="")
    entry = read_entry(form, definition)
    if not entry.errors:
        try:
            body = AssessmentCreate.model_validate({"measure": measure, **entry.body})
            row = service.create_assessment(
                db, actor=actor, child_id=child_id, data=body, today=today
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            entry.errors.add_all(domain_problems(exc, rename(definition)))
        else:
            words = TIMEPOINT_NAMES[row.timepoint].lower()
            return redirect(
                request,
                f"/children/{child_id}#outcomes",
                notice=f"{definition.name} ({words}) saved for {child.first_name}.",
            )
    context = _entry_context(db, actor, child, definition)
    context.update(values=entry.values, errors=entry.errors)
    return render(request, "outcomes/assessment_form.html", context, status_code=422)


def _edit_context(
    db: Session, actor: User, row: Assessment
) -> tuple[Child, MeasureFile, dict[str, Any]]:
    _, definition = measures.get_measure(db, row.measure_key)
    child = service.child_for(db, actor=actor, child_id=row.child_id)
    context = _entry_context(db, actor, child, definition)
    context.update(
        assessment=row,
        informant_name=definition.informants.get(row.informant, row.informant),
        timepoint_name=TIMEPOINT_NAMES[row.timepoint],
    )
    return child, definition, context


@router.get("/assessments/{assessment_id}/edit", response_class=HTMLResponse)
def edit_assessment(
    request: Request, db: DbSession, actor: CurrentUser, assessment_id: PathId
) -> Response:
    row = service.get_assessment(db, actor=actor, assessment_id=assessment_id)
    _, definition, context = _edit_context(db, actor, row)
    audit.looked(db, actor=actor, child_id=row.child_id, what="outcomes")
    context["values"] = initial_values(
        definition, completed_on=row.completed_on, scores=row.scores, items=row.items
    )
    context["errors"] = {}
    return render(request, "outcomes/assessment_edit.html", context)


@router.post("/assessments/{assessment_id}/edit", response_class=HTMLResponse)
def save_correction(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    today: Today,
    assessment_id: PathId,
    form: WholeFormData,
) -> Response:
    row = service.get_assessment(db, actor=actor, assessment_id=assessment_id)
    child, definition, context = _edit_context(db, actor, row)
    entry = read_entry(form, definition, correction=True)
    version = str(form.get("version") or "")
    if not entry.errors:
        try:
            body = AssessmentUpdate.model_validate(
                {"version": int(version) if version.isdigit() else 0, **entry.body}
            )
            service.correct_assessment(
                db, actor=actor, assessment_id=assessment_id, data=body, today=today
            )
        except (Invalid, Conflict) as exc:
            db.rollback()
            entry.errors.add_all(domain_problems(exc, rename(definition)))
        except ValueError:  # a version that is not one (pydantic's error)
            entry.errors.add("form", "Open the assessment again and make your correction")
        else:
            return redirect(
                request,
                f"/children/{child.id}#outcomes",
                notice=f"The correction to {child.first_name}'s {definition.name} has been saved.",
            )
        row = service.get_assessment(db, actor=actor, assessment_id=assessment_id)
        context["assessment"] = row
    context.update(values=entry.values, errors=entry.errors)
    return render(request, "outcomes/assessment_edit.html", context, status_code=422)
