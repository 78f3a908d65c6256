"""Cohort pages: list, create, the term grid with roster, enrolment, sessions, closures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.auth.deps import CurrentUser, LeadUser
from app.auth.models import Organisation, Role, User
from app.children.models import Child
from app.clock import today_for
from app.cohorts import service
from app.cohorts.models import Enrolment, EnrolmentStatus, GroupSession
from app.cohorts.schemas import ClosureCreate, CohortCreate, EnrolmentCreate
from app.curriculum.models import Curriculum, CurriculumWeek
from app.curriculum.service import latest_curricula
from app.db import DbSession
from app.exceptions import Conflict, Invalid
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


def _errors(exc: Exception) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return field_errors([dict(e) for e in exc.errors()])
    if isinstance(exc, Invalid):
        return field_errors(exc.errors)
    assert isinstance(exc, Conflict)
    return {"form": exc.detail}


def _status(errors: dict[str, str]) -> int:
    return 409 if set(errors) == {"form"} else 422


# List and create ---------------------------------------------------------------------------


@router.get("/cohorts", response_class=HTMLResponse)
def cohorts_page(request: Request, db: DbSession, actor: CurrentUser) -> HTMLResponse:
    rows = service.list_cohorts(db, actor=actor)
    facilitators = service.facilitators_of(db, [c.id or 0 for c, _ in rows])
    return render(
        request,
        "cohorts/index.html",
        {"rows": rows, "facilitators": facilitators, "staff": actor.role in service.STAFF},
    )


def _facilitator_options(db: Session, actor: User) -> list[tuple[str, str]]:
    users = db.exec(
        select(User)
        .where(
            User.org_id == actor.org_id, User.role == Role.facilitator, col(User.active).is_(True)
        )
        .order_by(col(User.name))
    ).all()
    return [("", "Choose a facilitator")] + [(str(u.id), u.name) for u in users]


def _new_cohort_page(
    request: Request,
    db: Session,
    actor: User,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    curricula = [(str(c.id), f"{c.title} (version {c.version})") for c in latest_curricula(db)]
    return render(
        request,
        "cohorts/new.html",
        {
            "values": values,
            "errors": errors,
            "curricula": curricula,
            "facilitators": _facilitator_options(db, actor),
        },
        status_code=status_code,
    )


@router.get("/cohorts/new", response_class=HTMLResponse)
def new_cohort_form(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    curricula = latest_curricula(db)
    values = {
        "duration_minutes": "90",
        "start_time": "16:00",
        "curriculum_id": str(curricula[0].id) if curricula else "",
        "start_date": {},
    }
    return _new_cohort_page(request, db, actor, values, {})


@router.post("/cohorts", response_class=HTMLResponse)
def create_cohort(request: Request, db: DbSession, actor: LeadUser, form: FormData) -> Response:
    values: dict[str, Any] = {
        k: form.get(k, "")
        for k in (
            "name",
            "curriculum_id",
            "start_time",
            "duration_minutes",
            "venue",
            "facilitator_1",
            "facilitator_2",
        )
    }
    errors: dict[str, str] = {}
    values["start_date"] = typed_date(form, "start_date")
    start_date, problem = parse_date_fields(form, "start_date", "date of the first session")
    if problem:
        errors["start_date"] = problem
    facilitator_ids = [v for v in (values["facilitator_1"], values["facilitator_2"]) if v]
    if len(facilitator_ids) < 2:
        errors["facilitator_1" if not values["facilitator_1"] else "facilitator_2"] = (
            "Choose two facilitators"
        )
    try:
        data = CohortCreate.model_validate(
            {
                "name": values["name"],
                "curriculum_id": values["curriculum_id"] or 0,
                "start_date": start_date or dt.date(2000, 1, 1),
                "start_time": values["start_time"],
                "duration_minutes": values["duration_minutes"] or 0,
                "venue": values["venue"],
                "facilitator_ids": facilitator_ids,
            }
        )
    except ValidationError as exc:
        found = _errors(exc)
        messages = {
            "name": "Enter a name for the cohort",
            "venue": "Enter the venue",
            "start_time": "Enter a start time, like 16:00",
            "duration_minutes": "Enter a length from 30 to 240 minutes",
            "curriculum_id": "Choose a curriculum",
        }
        errors.update({k: messages.get(k, v) for k, v in found.items() if k != "facilitator_ids"})
    if errors:
        return _new_cohort_page(request, db, actor, values, errors, status_code=422)
    try:
        cohort = service.create_cohort(db, actor=actor, data=data)
    except (Invalid, Conflict) as exc:
        db.rollback()
        found = _errors(exc)
        if "facilitator_ids" in found:
            found["facilitator_1"] = found.pop("facilitator_ids")
        return _new_cohort_page(request, db, actor, values, found, status_code=_status(found))
    return RedirectResponse(f"/cohorts/{cohort.id}", status_code=303)


# One cohort ----------------------------------------------------------------------------------


def _cohort_context(db: Session, actor: User, cohort_id: int) -> dict[str, Any]:
    """Everything the cohort page shows, in a fixed number of queries."""
    cohort = service.get_cohort(db, actor=actor, cohort_id=cohort_id)
    facilitators = service.facilitators_of(db, [cohort_id])[cohort_id]
    sessions = db.exec(
        select(GroupSession, CurriculumWeek.title)
        .join(
            CurriculumWeek,
            (col(CurriculumWeek.curriculum_id) == cohort.curriculum_id)
            & (col(CurriculumWeek.week) == col(GroupSession.week)),
            isouter=True,
        )
        .where(GroupSession.cohort_id == cohort_id, GroupSession.org_id == actor.org_id)
        .order_by(col(GroupSession.date), col(GroupSession.id))
    ).all()
    roster = service.roster(db, cohort_id=cohort_id, org_id=actor.org_id)
    active = sum(1 for e, _ in roster if e.status == EnrolmentStatus.active)
    curriculum = db.get(Curriculum, cohort.curriculum_id)
    org = db.get(Organisation, actor.org_id)
    staff = actor.role in service.STAFF
    candidates: list[Child] = []
    if staff:
        enrolled = select(Enrolment.child_id).where(Enrolment.status == EnrolmentStatus.active)
        candidates = list(
            db.exec(
                select(Child)
                .where(Child.org_id == actor.org_id, col(Child.id).not_in(enrolled))
                .order_by(col(Child.first_name), col(Child.reference))
            ).all()
        )
    return {
        "quality": _session_quality(db, cohort_id),
        "checklist_size": len(org.session_checklist) if org else 0,
        "cohort": cohort,
        "facilitators": facilitators,
        "sessions": sessions,
        "roster": roster,
        "active": active,
        "curriculum": curriculum,
        "staff": staff,
        "candidates": candidates,
        "today": today_for(db, actor),
        "warnings": service.warnings_for(
            cohort, active, curriculum.programme if curriculum else {}
        ),
        "cap": int((curriculum.programme if curriculum else {}).get("cohort_max", 10)),
    }


def _session_quality(db: Session, cohort_id: int) -> dict[int, dict[str, Any]]:
    """Per delivered session: checklist ticks and the mean observer scores (two queries)."""
    from sqlalchemy import func

    from app.sessions.models import SessionObservation, SessionRecord

    out: dict[int, dict[str, Any]] = {}
    for session_id, checklist in db.exec(
        select(SessionRecord.session_id, SessionRecord.checklist)
        .join(GroupSession, col(GroupSession.id) == col(SessionRecord.session_id))
        .where(GroupSession.cohort_id == cohort_id)
    ).all():
        out[session_id] = {"ticked": sum(1 for v in checklist.values() if v)}
    for session_id, adherence, quality in db.exec(
        select(
            SessionObservation.session_id,
            func.avg(SessionObservation.adherence),
            func.avg(SessionObservation.quality),
        )
        .join(GroupSession, col(GroupSession.id) == col(SessionObservation.session_id))
        .where(GroupSession.cohort_id == cohort_id)
        .group_by(col(SessionObservation.session_id))
    ).all():
        out.setdefault(session_id, {})["observed"] = (
            round(float(adherence), 1),
            round(float(quality), 1),
        )
    return out


@router.get("/cohorts/{cohort_id}", response_class=HTMLResponse)
def cohort_page(
    request: Request, db: DbSession, actor: CurrentUser, cohort_id: int = id_param()
) -> HTMLResponse:
    context = _cohort_context(db, actor, cohort_id)
    return render(request, "cohorts/detail.html", {**context, "errors": {}, "values": {}})


@router.post("/cohorts/{cohort_id}/enrolments", response_class=HTMLResponse)
def enrol(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, cohort_id: int = id_param()
) -> Response:
    values: dict[str, Any] = {
        "child_id": form.get("child_id", ""),
        "eligibility_override": form.get("eligibility_override", ""),
    }
    errors: dict[str, str] = {}
    values["start_date"] = typed_date(form, "start_date")
    start, problem = parse_date_fields(form, "start_date", "start date", required=False)
    if problem:
        errors["start_date"] = problem
    if not values["child_id"].isdigit():
        errors["child_id"] = "Choose a child to enrol"
    if not errors:
        try:
            service.enrol(
                db,
                actor=actor,
                cohort_id=cohort_id,
                today=today_for(db, actor),
                data=EnrolmentCreate(
                    child_id=int(values["child_id"]),
                    start_date=start,
                    eligibility_override=values["eligibility_override"].strip() or None,
                ),
            )
            return RedirectResponse(f"/cohorts/{cohort_id}#roster", status_code=303)
        except (Invalid, Conflict, ValidationError) as exc:
            db.rollback()
            errors = _errors(exc)
    context = _cohort_context(db, actor, cohort_id)
    return render(
        request,
        "cohorts/detail.html",
        {**context, "errors": errors, "values": values},
        status_code=_status(errors),
    )


def _enrolment(db: Session, actor: User, enrolment_id: int) -> tuple[Enrolment, Child]:
    row = db.exec(
        select(Enrolment, Child)
        .join(Child, col(Child.id) == col(Enrolment.child_id))
        .where(Enrolment.id == enrolment_id, Enrolment.org_id == actor.org_id)
    ).first()
    if row is None:
        from app.exceptions import NotFound

        raise NotFound(f"There is no enrolment {enrolment_id}.")
    return row


@router.get("/enrolments/{enrolment_id}/withdraw", response_class=HTMLResponse)
def withdraw_form(
    request: Request, db: DbSession, actor: LeadUser, enrolment_id: int = id_param()
) -> HTMLResponse:
    enrolment, child = _enrolment(db, actor, enrolment_id)
    values = {"date": date_fields(today_for(db, actor)), "reason": ""}
    return render(
        request,
        "cohorts/withdraw.html",
        {"enrolment": enrolment, "child": child, "values": values, "errors": {}},
    )


@router.post("/enrolments/{enrolment_id}/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, enrolment_id: int = id_param()
) -> Response:
    enrolment, child = _enrolment(db, actor, enrolment_id)
    values: dict[str, Any] = {"reason": form.get("reason", "").strip()}
    errors: dict[str, str] = {}
    values["date"] = typed_date(form, "date")
    day, problem = parse_date_fields(form, "date", "date the child left")
    if problem:
        errors["date"] = problem
    if not values["reason"]:
        errors["reason"] = "Enter the reason the child left"
    elif len(values["reason"]) > 200:
        errors["reason"] = "The reason must be 200 characters or fewer"
    if not errors and day is not None:
        try:
            service.withdraw(
                db, actor=actor, enrolment_id=enrolment_id, date=day, reason=values["reason"]
            )
            return RedirectResponse(f"/cohorts/{enrolment.cohort_id}#roster", status_code=303)
        except (Invalid, Conflict) as exc:
            db.rollback()
            errors = _errors(exc)
            enrolment, child = _enrolment(db, actor, enrolment_id)
    return render(
        request,
        "cohorts/withdraw.html",
        {"enrolment": enrolment, "child": child, "values": values, "errors": errors},
        status_code=_status(errors),
    )


# One session: reschedule or cancel ----------------------------------------------------------


def _session_page(
    request: Request,
    db: Session,
    actor: User,
    session_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    session = service.get_session(db, actor=actor, session_id=session_id)
    cohort = service.get_cohort(db, actor=actor, cohort_id=session.cohort_id)
    defaults = {
        "date": date_fields(session.date),
        "start_time": f"{session.start_time:%H:%M}",
        "venue": session.venue,
        "reason": "",
    }
    return render(
        request,
        "cohorts/session.html",
        {
            "session": session,
            "cohort": cohort,
            "values": {**defaults, **(values or {})},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/sessions/{session_id}/change", response_class=HTMLResponse)
def session_change_form(
    request: Request, db: DbSession, actor: LeadUser, session_id: int = id_param()
) -> HTMLResponse:
    return _session_page(request, db, actor, session_id)


@router.post("/sessions/{session_id}/reschedule", response_class=HTMLResponse)
def reschedule(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, session_id: int = id_param()
) -> Response:
    values: dict[str, Any] = {
        "start_time": form.get("start_time", "").strip(),
        "venue": form.get("venue", "").strip(),
    }
    errors: dict[str, str] = {}
    values["date"] = typed_date(form, "date")
    new_date, problem = parse_date_fields(form, "date", "date", required=False)
    if problem:
        errors["date"] = problem
    try:
        new_time = dt.time.fromisoformat(values["start_time"]) if values["start_time"] else None
    except ValueError:
        errors["start_time"], new_time = "Enter a start time, like 16:00", None
    if len(values["venue"]) > 200:
        errors["venue"] = "The venue must be 200 characters or fewer"
    version = form.get("version", "")
    if not version.isdigit():
        errors["form"] = "This page is out of date. Reload it and try again."
    if not errors:
        try:
            service.reschedule(
                db,
                actor=actor,
                session_id=session_id,
                version=int(version),
                date=new_date,
                start_time=new_time,
                venue=values["venue"] or None,
            )
            session = service.get_session(db, actor=actor, session_id=session_id)
            return RedirectResponse(f"/cohorts/{session.cohort_id}#sessions", status_code=303)
        except (Invalid, Conflict) as exc:
            db.rollback()
            errors = _errors(exc)
    return _session_page(
        request, db, actor, session_id, values=values, errors=errors, status_code=_status(errors)
    )


@router.post("/sessions/{session_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, session_id: int = id_param()
) -> Response:
    reason = form.get("reason", "").strip()
    version = form.get("version", "")
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "Enter why the session is cancelled"
    elif len(reason) > 200:
        errors["reason"] = "The reason must be 200 characters or fewer"
    if not version.isdigit():
        errors["form"] = "This page is out of date. Reload it and try again."
    if not errors:
        try:
            session = service.cancel_session(
                db, actor=actor, session_id=session_id, version=int(version), reason=reason
            )
            return RedirectResponse(f"/cohorts/{session.cohort_id}#sessions", status_code=303)
        except (Invalid, Conflict) as exc:
            db.rollback()
            errors = _errors(exc)
    return _session_page(
        request,
        db,
        actor,
        session_id,
        values={"reason": reason},
        errors=errors,
        status_code=_status(errors),
    )


# Closures ------------------------------------------------------------------------------------


def _closures_page(
    request: Request,
    db: Session,
    actor: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    closures = service.list_closures(db, actor=actor)
    cohorts = {c.id: c.name for c, _ in service.list_cohorts(db, actor=actor)}
    return render(
        request,
        "cohorts/closures.html",
        {
            "closures": closures,
            "cohorts": cohorts,
            "cohort_options": [("", "Every cohort")] + [(str(k), v) for k, v in cohorts.items()],
            "values": values or {"start": {}, "end": {}},
            "errors": errors or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/closures", response_class=HTMLResponse)
def closures_page(
    request: Request, db: DbSession, actor: LeadUser, added: int | None = None
) -> HTMLResponse:
    notice = f"{added} closure{'s' if added != 1 else ''} added." if added is not None else None
    return _closures_page(request, db, actor, notice=notice)


@router.post("/closures", response_class=HTMLResponse)
def add_closure(request: Request, db: DbSession, actor: LeadUser, form: FormData) -> Response:
    values: dict[str, Any] = {
        "reason": form.get("reason", "").strip(),
        "cohort_id": form.get("cohort_id", ""),
    }
    errors: dict[str, str] = {}
    values["start"], values["end"] = typed_date(form, "start"), typed_date(form, "end")
    start, problem = parse_date_fields(form, "start", "first day of the closure")
    if problem:
        errors["start"] = problem
    end, problem = parse_date_fields(form, "end", "last day", required=False)
    if problem:
        errors["end"] = problem
    if not values["reason"]:
        errors["reason"] = "Enter the reason, like October half term"
    elif len(values["reason"]) > 200:
        errors["reason"] = "The reason must be 200 characters or fewer"
    if start is not None and end is not None and end < start:
        errors["end"] = "The last day must be on or after the first day"
    elif start is not None and end is not None and (end - start).days > 366:
        errors["end"] = "A closure can last at most a year"
    if not errors and start is not None:
        try:
            data = ClosureCreate(
                date=start,
                end_date=end,
                reason=values["reason"],
                cohort_id=int(values["cohort_id"]) if values["cohort_id"].isdigit() else None,
            )
            service.create_closure(db, actor=actor, data=data)
            return RedirectResponse("/closures?added=1", status_code=303)
        except (Invalid, Conflict) as exc:
            db.rollback()
            errors = _errors(exc)
    return _closures_page(
        request, db, actor, values=values, errors=errors, status_code=_status(errors)
    )


MAX_CSV_BYTES = 100_000


@router.post("/closures/import", response_class=HTMLResponse)
async def import_closures(request: Request, db: DbSession, actor: LeadUser) -> Response:
    """A CSV of term dates: start_date, end_date, reason (YYYY-MM-DD or DD/MM/YYYY).
    Every row is checked first; nothing is added unless every row is good."""
    form = await request.form()
    upload = form.get("file")
    errors: dict[str, str] = {}
    rows: list[ClosureCreate] = []
    content = (
        await upload.read(MAX_CSV_BYTES + 1)
        if upload is not None and not isinstance(upload, str)
        else b""
    )
    if not content:
        errors["file"] = "Choose a CSV file of term dates"
    elif len(content) > MAX_CSV_BYTES:
        errors["file"] = "The file must be smaller than 100 KB"
    else:
        try:
            rows = parse_closures_csv(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            errors["file"] = (
                str(exc) if isinstance(exc, ValueError) else "The file must be a CSV saved as UTF-8"
            )
    if not errors:
        for row in rows:
            service.create_closure(db, actor=actor, data=row)
        return RedirectResponse(f"/closures?added={len(rows)}", status_code=303)
    return _closures_page(request, db, actor, errors=errors, status_code=422)


def _parse_day(text: str) -> dt.date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(text)


def parse_closures_csv(text: str) -> list[ClosureCreate]:
    """Rows of start_date, end_date, reason; a header row is allowed. Raises ValueError
    naming the first bad line."""
    out = []
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or not "".join(record).strip():
            continue
        if number == 1 and record[0].strip().lower() in ("start_date", "start", "date", "from"):
            continue
        if len(record) < 3:
            raise ValueError(f"Line {number}: give a start date, an end date and a reason")
        try:
            start, end = _parse_day(record[0]), _parse_day(record[1])
        except ValueError as exc:
            raise ValueError(
                f"Line {number}: {exc} is not a date (use 2026-10-26 or 26/10/2026)"
            ) from None
        try:
            out.append(ClosureCreate(date=start, end_date=end, reason=",".join(record[2:]).strip()))
        except ValidationError:
            raise ValueError(
                f"Line {number}: the end date must be on or after the start date, "
                "and the reason 1 to 200 characters"
            ) from None
    if not out:
        raise ValueError("The file has no closures in it")
    if len(out) > 200:
        raise ValueError("Import at most 200 closures at a time")
    return out
