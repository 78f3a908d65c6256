"""JSON API: one session with its lesson and roster, and recording it."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from app.auth.deps import CurrentUser, LeadUser
from app.auth.models import Organisation, User
from app.clock import now_for
from app.cohorts import service as cohorts
from app.cohorts.models import Cohort
from app.db import DbSession
from app.errors import problem_responses
from app.sessions import observations, recording, service
from app.sessions.schemas import (
    ActivityOut,
    Lesson,
    ObservationIn,
    ObservationOut,
    RecordIn,
    RosterChild,
    SessionDetail,
    TaskOut,
)
from app.web import PathId

router = APIRouter(tags=["session delivery"], responses=problem_responses(401))


def session_detail(db: Session, actor: User, session_id: int) -> SessionDetail:
    session = cohorts.get_session(db, actor=actor, session_id=session_id)
    cohort = db.get(Cohort, session.cohort_id)
    org = db.get(Organisation, actor.org_id)
    assert cohort is not None
    assert org is not None
    lesson = service.lesson_of(db, session, cohort)
    roster = service.expected_children(db, session)
    stored = service.stored_record(db, session_id).only({c.id for c in roster})
    recorded = stored.record is not None
    current = stored.as_dict()
    return SessionDetail(
        id=session.id or 0,
        cohort_id=session.cohort_id,
        week=session.week,
        date=session.date,
        start_time=session.start_time,
        end_time=session.end_time,
        venue=session.venue,
        status=session.status,
        cancel_reason=session.cancel_reason,
        version=session.version,
        cohort_name=cohort.name,
        lesson=Lesson(
            week=session.week,
            title=lesson.week.title if lesson.week else "",
            summary=lesson.week.summary if lesson.week else "",
            activities=[
                ActivityOut(
                    id=a.id or 0,
                    key=a.key,
                    title=a.title,
                    minutes=a.minutes,
                    core=a.core,
                    guidance=a.guidance,
                )
                for a in lesson.activities
            ],
            practice_tasks=[
                TaskOut(id=t.id or 0, key=t.key, title=t.title, description=t.description)
                for t in lesson.tasks
            ],
        ),
        roster=[
            RosterChild(
                child_id=c.id or 0,
                first_name=c.first_name,
                reference=c.reference,
                status=stored.attendance[c.id][0] if c.id in stored.attendance else None,
            )
            for c in roster
        ],
        attendance=current["attendance"] if recorded else None,
        coverage=current["coverage"] if recorded else None,
        facilitators_present=current["facilitators_present"] if recorded else None,
        notes=current["notes"],
        checklist=current["checklist"],
        checklist_items=list(org.session_checklist),
        recorded_at=stored.record.recorded_at if stored.record else None,
        **stored.saved(),
        observations=[
            ObservationOut(
                observer_id=o.observer_id,
                adherence=o.adherence,
                quality=o.quality,
                comments=o.comments,
                observed_at=o.observed_at,
            )
            for o in observations.observations_of(db, session_id)
        ],
    )


@router.get(
    "/sessions/{session_id}",
    response_model=SessionDetail,
    summary="One session: its lesson, the children expected, and what was recorded",
    responses=problem_responses(404),
)
def get_session(db: DbSession, actor: CurrentUser, session_id: PathId) -> SessionDetail:
    return session_detail(db, actor, session_id)


@router.put(
    "/sessions/{session_id}/record",
    response_model=SessionDetail,
    summary="Record (or correct) the register, coverage and facilitators of a session",
    responses=problem_responses(403, 404, 409, 422),
)
def record_session(
    db: DbSession, actor: CurrentUser, body: RecordIn, session_id: PathId
) -> SessionDetail:
    recording.record_session(
        db, actor=actor, session_id=session_id, payload=body, now=now_for(db, actor)
    )
    return session_detail(db, actor, session_id)


@router.post(
    "/sessions/{session_id}/observations",
    status_code=201,
    response_model=ObservationOut,
    summary="A programme lead's observation: adherence and quality, 1 to 5",
    responses=problem_responses(403, 404, 409, 422),
)
def observe(
    db: DbSession, actor: LeadUser, body: ObservationIn, session_id: PathId
) -> ObservationOut:
    o = observations.observe(db, actor=actor, session_id=session_id, data=body)
    return ObservationOut(
        observer_id=o.observer_id,
        adherence=o.adherence,
        quality=o.quality,
        comments=o.comments,
        observed_at=o.observed_at,
    )
