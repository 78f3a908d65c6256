"""The session page: the lesson, then one form with the register, the coverage checklist,
the facilitators present, the process checklist and notes. Works without JavaScript."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.deps import CurrentUser, LeadUser
from app.auth.models import User
from app.clock import now_for, today_for
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort, SessionStatus
from app.db import DbSession
from app.exceptions import Conflict, Invalid
from app.sessions import service
from app.sessions.models import AttendanceStatus, CoverageStatus
from app.sessions.schemas import ObservationIn, RecordIn
from app.web import FormData, field_errors, id_param, render

router = APIRouter(include_in_schema=False)

ATTENDANCE_LABELS = [
    ("present", "Present"),
    ("late", "Late"),
    ("absent", "Absent"),
    ("excused", "Excused"),
]
COVERAGE_LABELS = [("delivered", "Delivered"), ("partial", "Partly"), ("skipped", "Skipped")]


def _form_from_stored(context: dict[str, Any], actor: User) -> dict[str, Any]:
    """The form's values: what is stored, and nothing else. An unrecorded register starts
    empty (no child assumed present, no activity assumed delivered); the one pre-ticked
    box is the person saving, among the facilitators present, when they facilitate the
    cohort."""
    stored: service.Stored = context["stored"]
    if stored.record is not None:
        facilitators = set(stored.facilitators)
    else:
        facilitators = {f.id for f in context["facilitators"] if f.id == actor.id}
    return {
        "attendance": {c.id: stored.attendance.get(c.id, ("", None)) for c in context["children"]},
        "coverage": {
            a.id: stored.coverage.get(a.id, ("", None)) for a in context["lesson"].activities
        },
        "facilitators": facilitators,
        "notes": stored.record.notes if stored.record else "",
        "checklist": stored.record.checklist if stored.record else {},
    }


def _context(db: Session, actor: User, session_id: int) -> dict[str, Any]:
    session = cohorts.get_session(db, actor=actor, session_id=session_id)
    cohort = db.get(Cohort, session.cohort_id)
    assert cohort is not None
    lesson = service.lesson_of(db, session, cohort)
    children = service.expected_children(db, session)
    stored = service.stored_record(db, session_id).only({c.id for c in children})
    from app.auth.models import Organisation

    org = db.get(Organisation, actor.org_id)
    now = now_for(db, actor)
    return {
        "session": session,
        "cohort": cohort,
        "lesson": lesson,
        "children": children,
        "stored": stored,
        # Expected on the date but not on the register as saved: they joined afterwards.
        "joined_later": (
            {c.id for c in children} - set(stored.attendance) if stored.record else set()
        ),
        "facilitators": cohorts.facilitators_of(db, [cohort.id or 0])[cohort.id or 0],
        "checklist_items": list(org.session_checklist) if org else [],
        "observations": service.observations_of(db, session_id),
        "today": now.date(),
        "starts_at": service.session_start(session, now.tzinfo or dt.UTC),
        "started": service.not_started(session, now) is None,
        "staff": actor.role in cohorts.STAFF,
        "attendance_labels": ATTENDANCE_LABELS,
        "coverage_labels": COVERAGE_LABELS,
    }


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    session_id: int = id_param(),
    saved: int | None = None,
    everyone_present: int | None = None,
) -> HTMLResponse:
    context = _context(db, actor, session_id)
    values = _form_from_stored(context, actor)
    if everyone_present:
        # The shortcut fills the register's unanswered rows; it saves nothing.
        values["attendance"] = {
            c.id: (v if v[0] else ("present", v[1]))
            for c in context["children"]
            for v in [values["attendance"][c.id]]
        }
    return render(
        request,
        "sessions/page.html",
        {
            **context,
            "values": values,
            "errors": {},
            "saved": bool(saved),
            "conflict": None,
            "filled": bool(everyone_present),
        },
    )


def _values_from_form(
    form: dict[str, str], children: list[Any], activities: list[Any]
) -> dict[str, Any]:
    return {
        "attendance": {
            c.id: (
                form.get(f"attendance-{c.id}", ""),
                form.get(f"attendance-{c.id}-note", "").strip() or None,
            )
            for c in children
        },
        "coverage": {
            a.id: (
                form.get(f"coverage-{a.id}", ""),
                form.get(f"coverage-{a.id}-note", "").strip() or None,
            )
            for a in activities
        },
        "facilitators": {
            int(k.split("-", 1)[1])
            for k in form
            if k.startswith("facilitator-") and k.split("-", 1)[1].isdigit()
        },
        "notes": form.get("notes", ""),
        "checklist": {k.removeprefix("check-"): True for k in form if k.startswith("check-")},
    }


@router.post("/sessions/{session_id}/record", response_class=HTMLResponse)
def record(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    form: FormData,
    session_id: int = id_param(),
) -> Response:
    context = _context(db, actor, session_id)
    children, activities = context["children"], context["lesson"].activities
    values = _values_from_form(form, children, activities)
    errors: dict[str, str] = {}
    early = service.not_started(context["session"], now_for(db, actor))
    if early is not None:
        errors["form"] = early.errors[0]["msg"]
    for c in children:
        answer = values["attendance"][c.id][0]
        if answer not in AttendanceStatus.__members__ and c.id not in context["joined_later"]:
            errors[f"attendance-{c.id}"] = f"Choose whether {c.first_name} was there"
    for a in activities:
        if values["coverage"][a.id][0] not in CoverageStatus.__members__:
            errors[f"coverage-{a.id}"] = f"Choose how much of '{a.title}' was delivered"
    if not values["facilitators"]:
        first = context["facilitators"][0].id if context["facilitators"] else 0
        errors[f"facilitator-{first}"] = "Tick at least one facilitator who ran the session"
    checklist = {
        item: item in values["checklist"] or f"check-{i}" in form
        for i, item in enumerate(context["checklist_items"])
    }
    values["checklist"] = {k: v for k, v in checklist.items() if v}
    version = form.get("version", "")
    if not version.isdigit():
        errors["form"] = "This page is out of date. Reload it and try again."
    payload = None
    if not errors:
        try:
            payload = RecordIn.model_validate(
                {
                    "version": int(version),
                    "facilitators_present": sorted(values["facilitators"]),
                    "attendance": [
                        {
                            "child_id": c.id,
                            "status": values["attendance"][c.id][0],
                            "note": values["attendance"][c.id][1],
                        }
                        for c in children
                        if values["attendance"][c.id][0]  # a late joiner may stay unanswered
                    ],
                    "coverage": [
                        {
                            "activity_id": a.id,
                            "status": values["coverage"][a.id][0],
                            "note": values["coverage"][a.id][1],
                        }
                        for a in activities
                    ],
                    "notes": values["notes"] or None,
                    "checklist": checklist,
                }
            )
        except ValidationError as exc:
            errors = (
                {"notes": "Notes must be 4,000 characters or fewer"}
                if "notes" in str(exc)
                else {"form": "Notes on a child or an activity must be 500 characters or fewer"}
            )
    if payload is not None:
        try:
            service.record_session(
                db, actor=actor, session_id=session_id, payload=payload, now=now_for(db, actor)
            )
            return RedirectResponse(f"/sessions/{session_id}?saved=1", status_code=303)
        except Invalid as exc:
            db.rollback()
            errors = field_errors(exc.errors)
        except Conflict as exc:
            db.rollback()
            context = _context(db, actor, session_id)
            theirs = _form_from_stored(context, actor)
            differs = {
                c.id
                for c in children
                if theirs["attendance"][c.id][0] != values["attendance"][c.id][0]
            } | {
                a.id
                for a in activities
                if theirs["coverage"][a.id][0] != values["coverage"][a.id][0]
            }
            return render(
                request,
                "sessions/page.html",
                {
                    **context,
                    "values": values,
                    "errors": {"form": exc.detail},
                    "saved": False,
                    "conflict": {
                        "theirs": theirs,
                        "differs": differs,
                        **context["stored"].saved(),
                    },
                },
                status_code=409,
            )
    return render(
        request,
        "sessions/page.html",
        {**context, "values": values, "errors": errors, "saved": False, "conflict": None},
        status_code=422,
    )


@router.post("/sessions/{session_id}/observations", response_class=HTMLResponse)
def observe(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, session_id: int = id_param()
) -> Response:
    try:
        data = ObservationIn.model_validate(
            {
                "adherence": form.get("adherence") or 0,
                "quality": form.get("quality") or 0,
                "comments": form.get("comments") or None,
            }
        )
        service.observe(db, actor=actor, session_id=session_id, data=data)
        return RedirectResponse(f"/sessions/{session_id}#observations", status_code=303)
    except (ValidationError, Conflict) as exc:
        db.rollback()
        errors = (
            {
                k: "Choose a score from 1 to 5"
                if k in ("adherence", "quality")
                else "Comments must be 2,000 characters or fewer"
                for k in field_errors([dict(e) for e in exc.errors()])
            }
            if isinstance(exc, ValidationError)
            else {"form": exc.detail}
        )
    context = _context(db, actor, session_id)
    values = _form_from_stored(context, actor)
    return render(
        request,
        "sessions/page.html",
        {**context, "values": values, "errors": errors, "saved": False, "conflict": None},
        status_code=409 if "form" in errors else 422,
    )


def my_sessions(db: Session, actor: User) -> list[tuple[Any, str, bool]]:
    """The facilitator's sessions of the last fortnight and today, not yet recorded first."""
    from sqlmodel import col, select

    from app.cohorts.models import CohortFacilitator, GroupSession

    today = today_for(db, actor)
    rows = db.exec(
        select(GroupSession, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(GroupSession.cohort_id))
        .where(
            GroupSession.org_id == actor.org_id,
            GroupSession.status != SessionStatus.cancelled,
            col(GroupSession.date) >= today - dt.timedelta(days=14),
            col(GroupSession.date) <= today,
            col(GroupSession.cohort_id).in_(
                select(CohortFacilitator.cohort_id).where(CohortFacilitator.user_id == actor.id)
            ),
        )
        .order_by(col(GroupSession.date).desc())
    ).all()
    out = [(s, name, s.status == SessionStatus.delivered) for s, name in rows]
    return sorted(out, key=lambda r: r[2])  # not yet recorded first; stable keeps newest first
