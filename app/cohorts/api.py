"""JSON API for cohorts, their sessions, closures and enrolments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, Field

from app.auth.deps import CurrentUser, LeadUser, Today
from app.children.importing import MAX_FILE_BYTES
from app.cohorts import changes, closure_import, enrolments, rescheduling, service
from app.cohorts.models import Cohort, GroupSession
from app.cohorts.schemas import (
    ClosureCreate,
    ClosurePublic,
    CohortArchive,
    CohortChange,
    CohortCreate,
    CohortDetail,
    CohortPublic,
    EnrolmentCreate,
    EnrolmentPublic,
    EnrolmentWithdraw,
    FacilitatorPublic,
    SessionCancel,
    SessionPublic,
    SessionReschedule,
)
from app.curriculum.models import Curriculum
from app.db import DbSession
from app.errors import problem_responses
from app.idempotency import Idempotent
from app.web import PathId

router = APIRouter(tags=["cohorts and sessions"], responses=problem_responses(401))


def _public(cohort: Cohort, active: int, facilitators: list[Any]) -> dict[str, Any]:
    return {
        "id": cohort.id,
        "programme_id": cohort.programme_id,
        "name": cohort.name,
        "curriculum_id": cohort.curriculum_id,
        "start_date": cohort.start_date,
        "weekday": cohort.start_date.isoweekday(),
        "start_time": cohort.start_time,
        "duration_minutes": cohort.duration_minutes,
        "venue": cohort.venue,
        "active_children": active,
        "created_at": cohort.created_at,
        "archived_at": cohort.archived_at,
        "version": cohort.version,
        "facilitators": [FacilitatorPublic(id=f.id, name=f.name) for f in facilitators],
    }


def _sessions_public(db: DbSession, sessions: list[GroupSession]) -> list[SessionPublic]:
    """The sessions with who runs each (two queries for any number)."""
    runners = service.session_facilitators(db, [s.id or 0 for s in sessions])
    return [
        SessionPublic.model_validate(s).model_copy(
            update={"facilitator_ids": [u.id for u in runners[s.id or 0]]}
        )
        for s in sessions
    ]


def cohort_detail(db: DbSession, actor: Any, cohort_id: int) -> CohortDetail:
    cohort = service.get_cohort(db, actor=actor, cohort_id=cohort_id)
    facilitators = service.facilitators_of(db, [cohort_id])[cohort_id]
    sessions = service.sessions_of(db, actor=actor, cohort_id=cohort_id)
    roster = enrolments.roster(db, cohort_id=cohort_id, org_id=actor.org_id)
    active = sum(1 for e, _ in roster if e.status == "active")
    curriculum = db.get(Curriculum, cohort.curriculum_id)
    return CohortDetail(
        **_public(cohort, active, facilitators),
        sessions=_sessions_public(db, sessions),
        enrolments=[EnrolmentPublic.model_validate(e) for e, _ in roster],
        warnings=service.warnings_for(cohort, active, curriculum.programme if curriculum else {}),
    )


@router.post(
    "/cohorts",
    status_code=201,
    response_model=CohortDetail,
    summary="Create a cohort with all its lessons planned (lead)",
    responses=problem_responses(403, 409, 422),
)
def create_cohort(db: DbSession, actor: LeadUser, body: CohortCreate) -> CohortDetail:
    cohort = service.create_cohort(db, actor=actor, data=body)
    return cohort_detail(db, actor, cohort.id or 0)


@router.get("/cohorts", response_model=list[CohortPublic], summary="Cohorts I may see")
def list_cohorts(
    db: DbSession,
    actor: CurrentUser,
    archived: Annotated[
        bool, Query(description="true: the archived cohorts instead of the running ones")
    ] = False,
) -> list[CohortPublic]:
    rows = service.list_cohorts(db, actor=actor, archived=archived)
    facilitators = service.facilitators_of(db, [c.id or 0 for c, _ in rows])
    return [CohortPublic(**_public(c, n, facilitators[c.id or 0])) for c, n in rows]


@router.get(
    "/cohorts/{cohort_id}",
    response_model=CohortDetail,
    summary="One cohort",
    responses=problem_responses(404),
)
def get_cohort(db: DbSession, actor: CurrentUser, cohort_id: PathId) -> CohortDetail:
    return cohort_detail(db, actor, cohort_id)


@router.patch(
    "/cohorts/{cohort_id}",
    response_model=CohortDetail,
    summary="Change a cohort (lead): its name, and from a date its time, length, venue or "
    "facilitators",
    responses=problem_responses(403, 404, 409, 422),
)
def change_cohort(
    db: DbSession, actor: LeadUser, today: Today, body: CohortChange, cohort_id: PathId
) -> CohortDetail:
    changes.change_cohort(db, actor=actor, cohort_id=cohort_id, data=body, today=today)
    return cohort_detail(db, actor, cohort_id)


@router.post(
    "/cohorts/{cohort_id}/archive",
    response_model=CohortDetail,
    summary="Archive a cohort with no session left to run (lead); its figures stay",
    responses=problem_responses(403, 404, 409, 422),
)
def archive_cohort(
    db: DbSession,
    actor: LeadUser,
    today: Today,
    cohort_id: PathId,
    body: CohortArchive | None = None,
) -> CohortDetail:
    changes.archive_cohort(
        db,
        actor=actor,
        cohort_id=cohort_id,
        version=body.version if body else None,
        today=today,
    )
    return cohort_detail(db, actor, cohort_id)


@router.get(
    "/cohorts/{cohort_id}/sessions",
    response_model=list[SessionPublic],
    summary="A cohort's sessions, by date (cancelled occurrences included)",
    responses=problem_responses(404),
)
def list_sessions(db: DbSession, actor: CurrentUser, cohort_id: PathId) -> list[SessionPublic]:
    return _sessions_public(db, service.sessions_of(db, actor=actor, cohort_id=cohort_id))


@router.patch(
    "/sessions/{session_id}",
    response_model=SessionPublic,
    summary="Reschedule one session (lead): date, start time or venue, or who runs it (cover)",
    responses=problem_responses(403, 404, 409, 422),
)
def reschedule_session(
    db: DbSession, actor: LeadUser, body: SessionReschedule, session_id: PathId
) -> SessionPublic:
    session = rescheduling.reschedule(
        db,
        actor=actor,
        session_id=session_id,
        version=body.version,
        date=body.date,
        start_time=body.start_time,
        venue=body.venue,
        facilitator_ids=body.facilitator_ids,
    )
    return _sessions_public(db, [session])[0]


@router.post(
    "/sessions/{session_id}/cancel",
    response_model=SessionPublic,
    summary="Cancel a session (lead); its lesson and all later ones move on",
    responses=problem_responses(403, 404, 409, 422),
)
def cancel_session(
    db: DbSession, actor: LeadUser, body: SessionCancel, session_id: PathId
) -> SessionPublic:
    session = rescheduling.cancel_session(
        db, actor=actor, session_id=session_id, version=body.version, reason=body.reason
    )
    return SessionPublic.model_validate(session)


@router.post(
    "/closures",
    status_code=201,
    response_model=ClosurePublic,
    summary="Close a day or a range, for the organisation or one cohort (lead)",
    responses=problem_responses(403, 422),
)
def create_closure(db: DbSession, actor: LeadUser, body: ClosureCreate) -> ClosurePublic:
    closure, cancelled = rescheduling.create_closure(db, actor=actor, data=body)
    return ClosurePublic(
        id=closure.id or 0,
        date=closure.start_date,
        end_date=closure.end_date,
        reason=closure.reason,
        cohort_id=closure.cohort_id,
        cancelled_sessions=cancelled,
    )


@router.get(
    "/closures",
    response_model=list[ClosurePublic],
    summary="The organisation's closures (lead), each with the sessions it cancelled",
    responses=problem_responses(403),
)
def list_closures(db: DbSession, actor: LeadUser) -> list[ClosurePublic]:
    return [
        ClosurePublic(
            id=c.id or 0,
            date=c.start_date,
            end_date=c.end_date,
            reason=c.reason,
            cohort_id=c.cohort_id,
            cancelled_sessions=cancelled,
        )
        for c, cancelled in rescheduling.list_closures(db, actor=actor)
    ]


class ClosureImportError(BaseModel):
    row: int = Field(description="The row as the spreadsheet numbers it (from 1).")
    column: str | None = Field(description="start_date, end_date or reason; null: the row.")
    msg: str


class ClosureAffected(BaseModel):
    cohort_id: int
    cancelled: int = Field(description="Sessions of the cohort the closures cancel.")
    new_last_date: dt.date | None = Field(description="Its last session after the replan.")


class ClosuresImported(BaseModel):
    created: int = Field(description="Closures added (with dry_run, that would be added).")
    errors: list[ClosureImportError] = Field(default_factory=list)
    affected: list[ClosureAffected] = Field(default_factory=list)
    warnings: list[str] = Field(
        default_factory=list,
        description="Cohorts that would run past the end of the school year (31 July).",
    )
    dry_run: bool = False


@router.post(
    "/closures/import",
    response_model=ClosuresImported,
    summary="Add closures from a CSV or XLSX of term dates, all or none (lead)",
    description=(
        "One closure a row, for every cohort: first day, last day, reason (2026-10-26 or "
        "26/10/2026); a header row is skipped. At most "
        f"{closure_import.MAX_CLOSURES} rows. Every bad row is listed at once (422, "
        "`errors`); a closure overlapping one already held is refused. `affected` says what "
        "the replan does to each cohort. With `dry_run=true` nothing is added."
    ),
    responses=problem_responses(400, 403, 413, 422),
)
def import_closures(
    db: DbSession,
    actor: LeadUser,
    file: Annotated[UploadFile, File(description="CSV or XLSX: start, end, reason")],
    dry_run: bool = Query(default=False),
) -> dict[str, Any]:
    content = file.file.read(MAX_FILE_BYTES + 1)
    result = closure_import.import_closures(db, actor=actor, content=content, dry_run=dry_run)
    return closure_import.as_json(result, dry_run=dry_run)


@router.post(
    "/cohorts/{cohort_id}/enrolments",
    status_code=201,
    response_model=EnrolmentPublic,
    summary="Enrol a child (lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def enrol(
    db: DbSession,
    actor: LeadUser,
    today: Today,
    body: EnrolmentCreate,
    once: Idempotent,
    cohort_id: PathId,
) -> EnrolmentPublic | Response:
    if (replay := once.replay()) is not None:
        return replay
    enrolment = enrolments.enrol(db, actor=actor, cohort_id=cohort_id, data=body, today=today)
    return once.keep(EnrolmentPublic.model_validate(enrolment))


@router.post(
    "/enrolments/{enrolment_id}/withdraw",
    response_model=EnrolmentPublic,
    summary="Withdraw a child from their cohort (lead)",
    responses=problem_responses(403, 404, 409, 422),
)
def withdraw(
    db: DbSession, actor: LeadUser, body: EnrolmentWithdraw, enrolment_id: PathId
) -> EnrolmentPublic:
    enrolment = enrolments.withdraw(
        db, actor=actor, enrolment_id=enrolment_id, date=body.date, reason=body.reason
    )
    return EnrolmentPublic.model_validate(enrolment)
