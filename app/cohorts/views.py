"""Cohort pages: list, create, the term grid with roster, enrolment, sessions, closures."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BeforeValidator, Field
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.auth.deps import CurrentOrg, CurrentUser, LeadUser, Today
from app.auth.models import Organisation, User
from app.children.importing import MAX_FILE_BYTES, RowsInvalid, TooLarge
from app.cohorts import changes, closure_import, enrolments, rescheduling, service
from app.cohorts.forms import (
    CHANGE_RENAME,
    ArchiveForm,
    CancelForm,
    ClosureForm,
    ClosuresFileForm,
    CohortChangeForm,
    CohortForm,
    EnrolForm,
    RescheduleForm,
    WithdrawForm,
)
from app.cohorts.panels import COHORT_PANELS
from app.curriculum.service import latest_curricula
from app.db import DbSession
from app.exceptions import Invalid
from app.forms import Form, Msg, show_again
from app.programmes import service as programmes
from app.programmes.models import ProgrammeKind
from app.web import FormData, PathId, WholeFormData, redirect, render

router = APIRouter(include_in_schema=False)


# List and create ---------------------------------------------------------------------------


@router.get("/cohorts", response_class=HTMLResponse)
def cohorts_page(
    request: Request, db: DbSession, actor: CurrentUser, archived: bool = False
) -> HTMLResponse:
    rows = service.list_cohorts(db, actor=actor, archived=archived)
    facilitators = service.facilitators_of(db, [c.id or 0 for c, _ in rows])
    return render(
        request,
        "cohorts/index.html",
        {
            "rows": rows,
            "facilitators": facilitators,
            "staff": actor.role in service.STAFF,
            "archived": archived,
            "programme_names": _programme_names(db, actor.org_id),
        },
    )


def _new_cohort_context(db: Session, actor: User) -> dict[str, Any]:
    curricula = [
        (str(c.id), f"{c.title} (version {c.version})")
        for c in latest_curricula(db)
        if programmes.curriculum_has_groups(c)  # a guide without group weeks is no cohort's
    ]
    people = service.facilitator_choices(db, actor=actor)
    # Only the programmes that have groups, and only when there is a choice to make.
    with_groups = [
        p for p in programmes.list_programmes(db, actor.org_id) if ProgrammeKind(p.kind).has_groups
    ]
    return {
        "curricula": curricula,
        "facilitators": [("", "Choose a facilitator")] + [(str(u.id), u.name) for u in people],
        "programmes": (
            [("", "Choose a programme")] + [(str(p.id), p.name) for p in with_groups]
            if len(with_groups) > 1
            else []
        ),
    }


def _programme_names(db: Session, org_id: int) -> dict[int, str]:
    """Programme names by id, to show beside cohorts: none when the organisation runs one
    programme (its pages look as they did before programmes)."""
    live = programmes.list_programmes(db, org_id)
    return {p.id or 0: p.name for p in live} if len(live) > 1 else {}


@router.get("/cohorts/new", response_class=HTMLResponse)
def new_cohort_form(request: Request, db: DbSession, actor: LeadUser) -> HTMLResponse:
    context = _new_cohort_context(db, actor)
    # Choices, not facts: the usual length and time, and the newest curriculum.
    values = CohortForm.initial(
        curriculum_id=context["curricula"][0][0] if context["curricula"] else None,
        start_time="16:00",
        duration_minutes=90,
    )
    return render(request, "cohorts/new.html", {**context, "values": values, "errors": {}})


@router.post("/cohorts", response_class=HTMLResponse)
def create_cohort(request: Request, db: DbSession, actor: LeadUser, form: FormData) -> Response:
    submission = CohortForm.read(form)
    if submission.data:
        with submission.saving(rename={"facilitator_ids": "facilitator_1"}):
            cohort = service.create_cohort(db, actor=actor, data=submission.data.to_create())
            notice = f"Cohort {cohort.name} created"
            return redirect(request, f"/cohorts/{cohort.id}", notice=notice)
    return show_again(
        request, db, "cohorts/new.html", lambda: _new_cohort_context(db, actor), submission
    )


# One cohort ----------------------------------------------------------------------------------


def _cohort_context(
    db: Session, actor: User, org: Organisation, today: dt.date, cohort_id: int
) -> dict[str, Any]:
    """Everything the cohort page shows, in a fixed number of queries."""
    overview = service.overview(db, actor=actor, cohort_id=cohort_id)
    return {
        **vars(overview),
        "quality": {},  # until sessions registers its panel
        **{name: panel(db, actor, overview.cohort) for name, panel in COHORT_PANELS.items()},
        "checklist_size": len(org.session_checklist),
        "today": today,
        "programme_names": _programme_names(db, actor.org_id),
    }


@router.get("/cohorts/{cohort_id}", response_class=HTMLResponse)
def cohort_page(
    request: Request,
    db: DbSession,
    actor: CurrentUser,
    org: CurrentOrg,
    today: Today,
    cohort_id: PathId,
) -> HTMLResponse:
    context = _cohort_context(db, actor, org, today, cohort_id)
    return render(request, "cohorts/detail.html", {**context, "errors": {}, "values": {}})


@router.post("/cohorts/{cohort_id}/enrolments", response_class=HTMLResponse)
def enrol(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    org: CurrentOrg,
    today: Today,
    form: WholeFormData,
    cohort_id: PathId,
) -> Response:
    submission = EnrolForm.read(form)
    if submission.data:
        with submission.saving():
            # All or none: a refusal for one child rolls back the others (saving()).
            names = []
            for data in submission.data.to_create():
                enrolled = enrolments.enrol(
                    db, actor=actor, cohort_id=cohort_id, today=today, data=data
                )
                _, child = enrolments.get_enrolment(db, actor=actor, enrolment_id=enrolled.id or 0)
                names.append(f"{child.first_name} ({child.reference})")
            notice = (
                f"{names[0]} enrolled"
                if len(names) == 1
                else f"{len(names)} children enrolled: {', '.join(names)}"
            )
            return redirect(request, f"/cohorts/{cohort_id}#roster", notice=notice)
    return show_again(
        request,
        db,
        "cohorts/detail.html",
        lambda: _cohort_context(db, actor, org, today, cohort_id),
        submission,
    )


@router.get("/enrolments/{enrolment_id}/withdraw", response_class=HTMLResponse)
def withdraw_form(
    request: Request, db: DbSession, actor: LeadUser, today: Today, enrolment_id: PathId
) -> HTMLResponse:
    enrolment, child = enrolments.get_enrolment(db, actor=actor, enrolment_id=enrolment_id)
    return render(
        request,
        "cohorts/withdraw.html",
        {
            "enrolment": enrolment,
            "child": child,
            "values": WithdrawForm.initial(date=today),
            "errors": {},
        },
    )


@router.post("/enrolments/{enrolment_id}/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, enrolment_id: PathId
) -> Response:
    enrolment, child = enrolments.get_enrolment(db, actor=actor, enrolment_id=enrolment_id)
    submission = WithdrawForm.read(form)
    if submission.data:
        with submission.saving():
            enrolments.withdraw(
                db,
                actor=actor,
                enrolment_id=enrolment_id,
                date=submission.data.date,
                reason=submission.data.reason,
            )
            return redirect(
                request,
                f"/cohorts/{enrolment.cohort_id}#roster",
                notice=f"{child.first_name} ({child.reference}) withdrawn",
            )

    def context() -> Mapping[str, Any]:
        enrolment, child = enrolments.get_enrolment(db, actor=actor, enrolment_id=enrolment_id)
        return {"enrolment": enrolment, "child": child}

    return show_again(request, db, "cohorts/withdraw.html", context, submission)


# Changing or archiving a cohort --------------------------------------------------------------


def _facilitator_options(db: Session, actor: User) -> list[tuple[str, str]]:
    people = service.facilitator_choices(db, actor=actor)
    return [("", "Choose a facilitator")] + [(str(u.id), u.name) for u in people]


def _change_context(db: Session, actor: User, today: dt.date, cohort_id: int) -> dict[str, Any]:
    """The change page, showing what is stored, the changes starting today."""
    cohort = service.get_cohort(db, actor=actor, cohort_id=cohort_id)
    current = service.facilitators_of(db, [cohort_id])[cohort_id]
    ids = [u.id for u in current] + [None, None]
    return {
        "cohort": cohort,
        "facilitators": _facilitator_options(db, actor),
        "values": CohortChangeForm.initial(
            version=cohort.version,
            name=cohort.name,
            venue=cohort.venue,
            start_time=cohort.start_time,
            duration_minutes=cohort.duration_minutes,
            facilitator_1=ids[0],
            facilitator_2=ids[1],
            from_date=today,
        ),
    }


@router.get("/cohorts/{cohort_id}/change", response_class=HTMLResponse)
def change_cohort_form(
    request: Request, db: DbSession, actor: LeadUser, today: Today, cohort_id: PathId
) -> HTMLResponse:
    context = _change_context(db, actor, today, cohort_id)
    return render(request, "cohorts/change.html", {**context, "errors": {}})


@router.post("/cohorts/{cohort_id}/change", response_class=HTMLResponse)
def change_cohort(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    form: FormData,
    cohort_id: PathId,
) -> Response:
    submission = CohortChangeForm.read(form)
    if submission.data:
        with submission.saving(rename=CHANGE_RENAME):
            data = submission.data.to_change()
            cohort = changes.change_cohort(
                db, actor=actor, cohort_id=cohort_id, data=data, today=today
            )
            start = data.from_ or today
            notice = f"{cohort.name} has been changed from {start:%-d %B %Y}."
            return redirect(request, f"/cohorts/{cohort_id}", notice=notice)
    return show_again(
        request,
        db,
        "cohorts/change.html",
        lambda: _change_context(db, actor, today, cohort_id),
        submission,
    )


def _archive_context(db: Session, actor: User, cohort_id: int) -> dict[str, Any]:
    cohort = service.get_cohort(db, actor=actor, cohort_id=cohort_id)
    return {"cohort": cohort, "values": ArchiveForm.initial(version=cohort.version)}


@router.get("/cohorts/{cohort_id}/archive", response_class=HTMLResponse)
def archive_cohort_form(
    request: Request, db: DbSession, actor: LeadUser, cohort_id: PathId
) -> HTMLResponse:
    context = _archive_context(db, actor, cohort_id)
    return render(request, "cohorts/archive.html", {**context, "errors": {}})


@router.post("/cohorts/{cohort_id}/archive", response_class=HTMLResponse)
def archive_cohort(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    form: FormData,
    cohort_id: PathId,
) -> Response:
    submission = ArchiveForm.read(form)
    if submission.data:
        with submission.saving():
            cohort = changes.archive_cohort(
                db,
                actor=actor,
                cohort_id=cohort_id,
                version=submission.data.version,
                today=today,
            )
            notice = f"{cohort.name} has been archived. Find it under Archived cohorts."
            return redirect(request, "/cohorts", notice=notice)
    return show_again(
        request,
        db,
        "cohorts/archive.html",
        lambda: _archive_context(db, actor, cohort_id),
        submission,
    )


# One session: reschedule, cover or cancel ---------------------------------------------------


def _session_context(db: Session, actor: User, session_id: int) -> dict[str, Any]:
    """The page with its two forms, each showing what is stored."""
    session = service.get_session(db, actor=actor, session_id=session_id)
    runners = service.session_facilitators(db, [session_id])[session_id]
    ids = [u.id for u in runners] + [None, None]
    return {
        "session": session,
        "cohort": service.get_cohort(db, actor=actor, cohort_id=session.cohort_id),
        "facilitators": _facilitator_options(db, actor),
        "values": {
            **RescheduleForm.initial(
                date=session.date,
                start_time=session.start_time,
                venue=session.venue,
                facilitator_1=ids[0],
                facilitator_2=ids[1],
            ),
            **CancelForm.initial(),
        },
    }


@router.get("/sessions/{session_id}/change", response_class=HTMLResponse)
def session_change_form(
    request: Request, db: DbSession, actor: LeadUser, session_id: PathId
) -> HTMLResponse:
    context = _session_context(db, actor, session_id)
    return render(request, "cohorts/session.html", {**context, "errors": {}})


@router.post("/sessions/{session_id}/reschedule", response_class=HTMLResponse)
def reschedule(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, session_id: PathId
) -> Response:
    submission = RescheduleForm.read(form)
    if submission.data:
        with submission.saving(rename={"facilitator_ids": "facilitator_1"}):
            session = rescheduling.reschedule(
                db,
                actor=actor,
                session_id=session_id,
                version=submission.data.version,
                date=submission.data.date,
                start_time=submission.data.start_time,
                venue=submission.data.venue,
                facilitator_ids=submission.data.cover(),
            )
            return redirect(
                request,
                f"/cohorts/{session.cohort_id}#sessions",
                notice=f"Week {session.week} has been changed.",
            )
    return show_again(
        request,
        db,
        "cohorts/session.html",
        lambda: _session_context(db, actor, session_id),
        submission,
    )


@router.post("/sessions/{session_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request, db: DbSession, actor: LeadUser, form: FormData, session_id: PathId
) -> Response:
    submission = CancelForm.read(form)
    if submission.data:
        with submission.saving():
            session = rescheduling.cancel_session(
                db,
                actor=actor,
                session_id=session_id,
                version=submission.data.version,
                reason=submission.data.reason,
            )
            return RedirectResponse(f"/cohorts/{session.cohort_id}#sessions", status_code=303)
    return show_again(
        request,
        db,
        "cohorts/session.html",
        lambda: _session_context(db, actor, session_id),
        submission,
    )


# Closures ------------------------------------------------------------------------------------


def _closures_context(db: Session, actor: User) -> dict[str, Any]:
    closures = rescheduling.list_closures(db, actor=actor)
    cohorts = {c.id: c.name for c, _ in service.list_cohorts(db, actor=actor)}
    return {
        "closures": closures,
        "cohorts": cohorts,
        "cohort_options": [("", "Every cohort")] + [(str(k), v) for k, v in cohorts.items()],
        "values": ClosureForm.initial(),
        "notice": None,
    }


@router.get("/closures", response_class=HTMLResponse)
def closures_page(
    request: Request, db: DbSession, actor: LeadUser, added: int | None = None
) -> HTMLResponse:
    notice = f"{added} closure{'s' if added != 1 else ''} added." if added is not None else None
    context = _closures_context(db, actor)
    return render(request, "cohorts/closures.html", {**context, "notice": notice, "errors": {}})


@router.post("/closures", response_class=HTMLResponse)
def add_closure(request: Request, db: DbSession, actor: LeadUser, form: FormData) -> Response:
    submission = ClosureForm.read(form)
    if submission.data:
        with submission.saving():
            rescheduling.create_closure(db, actor=actor, data=submission.data.to_create())
            return RedirectResponse("/closures?added=1", status_code=303)
    return show_again(
        request, db, "cohorts/closures.html", lambda: _closures_context(db, actor), submission
    )


@router.post("/closures/import", response_class=HTMLResponse)
def import_closures(
    request: Request, db: DbSession, actor: LeadUser, form: WholeFormData
) -> Response:
    """Every row is checked first; nothing is added unless every row is good."""
    submission = ClosuresFileForm.read(form)
    if submission.data:
        rows = submission.data.file
        with submission.saving(conflict_field="file"):
            for row in rows:
                rescheduling.create_closure(db, actor=actor, data=row)
            return RedirectResponse(f"/closures?added={len(rows)}", status_code=303)
    return show_again(
        request, db, "cohorts/closures.html", lambda: _closures_context(db, actor), submission
    )


# Closures from a file: upload -> preview (what the replan does) -> confirm ------------------
# As the children import: the confirm form carries the file (base64, hidden), so nothing is
# kept on the server between the steps and the file is checked again when confirmed.

NO_TERMS_FILE = "Choose a CSV or Excel file of term dates"
LOST_UPLOAD = "The upload was lost: choose the file again"


def _terms_bytes(value: object) -> object:
    if isinstance(value, UploadFile):
        value = value.file.read(MAX_FILE_BYTES + 1)
    if not isinstance(value, bytes) or not value:
        raise ValueError(NO_TERMS_FILE)
    return value


def _terms_encoded(value: object) -> object:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(LOST_UPLOAD) from None


class TermsFileForm(Form):
    file: Annotated[
        bytes, BeforeValidator(_terms_bytes), Msg(empty=NO_TERMS_FILE), Field(title="File")
    ]


class TermsConfirmForm(Form):
    content: Annotated[
        bytes, BeforeValidator(_terms_encoded), Msg(empty=LOST_UPLOAD), Field(title="File")
    ]


def _terms_page(
    request: Request,
    db: Session,
    actor: User,
    *,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
    **more: Any,
) -> HTMLResponse:
    context = {**_closures_context(db, actor), "errors": errors or {}, "import_rows": []}
    return render(request, "cohorts/closures.html", context | more, status_code=status_code)


def _terms_check(
    request: Request, db: Session, actor: User, content: bytes, *, save: bool
) -> Response:
    try:
        result = closure_import.import_closures(db, actor=actor, content=content, dry_run=not save)
    except RowsInvalid as exc:
        db.rollback()
        summary = {
            f"import-row-{i}": f"Row {e['row']}"
            + (f", {e['column'].replace('_', ' ')}" if e["column"] else "")
            + f": {e['msg']}"
            for i, e in enumerate(exc.errors)
        }
        return _terms_page(
            request, db, actor, errors=summary, import_rows=exc.errors, status_code=422
        )
    except (Invalid, TooLarge) as exc:
        db.rollback()
        return _terms_page(
            request, db, actor, errors={"file": exc.detail}, status_code=exc.status_code
        )
    if save:
        n = result.created
        notice = f"{n} closure{'s' if n != 1 else ''} added: {closure_import.summary(result)}."
        return redirect(request, "/closures", notice=notice)
    return _terms_page(
        request,
        db,
        actor,
        import_preview=result,
        import_summary=closure_import.summary(result),
        import_content=base64.b64encode(content).decode("ascii"),
    )


@router.post("/closures/import/preview", response_class=HTMLResponse)
def preview_closures(
    request: Request, db: DbSession, actor: LeadUser, form: WholeFormData
) -> Response:
    """What the file's closures would do, every row checked; nothing is added."""
    submission = TermsFileForm.read(form)
    if submission.data is None:
        return _terms_page(request, db, actor, errors=submission.errors, status_code=422)
    return _terms_check(request, db, actor, submission.data.file, save=False)


@router.post("/closures/import/confirm", response_class=HTMLResponse)
def confirm_closures(
    request: Request, db: DbSession, actor: LeadUser, form: WholeFormData
) -> Response:
    submission = TermsConfirmForm.read(form)
    if submission.data is None:  # the hidden field: the problem goes by the file input
        errors = {"file": next(iter(submission.errors.values()))}
        return _terms_page(request, db, actor, errors=errors, status_code=422)
    return _terms_check(request, db, actor, submission.data.content, save=True)
