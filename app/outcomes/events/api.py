"""JSON API for a child's life events (API.md "Outcomes"): leads and admins."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.audit import service as audit
from app.auth.deps import LeadUser, Today
from app.db import DbSession
from app.errors import problem_responses
from app.outcomes.events import service
from app.outcomes.events.schemas import EventCreate, EventPublic, EventUpdate
from app.web import PathId

router = APIRouter(prefix="/children", tags=["outcomes"], responses=problem_responses(401, 403))


@router.post(
    "/{child_id}/events",
    status_code=201,
    response_model=EventPublic,
    summary="Record a life event of a child (lead)",
    responses=problem_responses(404, 422),
)
def add_event(
    db: DbSession, actor: LeadUser, today: Today, child_id: PathId, body: EventCreate
) -> EventPublic:
    event = service.add_event(db, actor=actor, child_id=child_id, data=body, today=today)
    return EventPublic.model_validate(event)


@router.get(
    "/{child_id}/events",
    response_model=list[EventPublic],
    summary="A child's life events, latest first (lead)",
    responses=problem_responses(404),
)
def list_events(db: DbSession, actor: LeadUser, child_id: PathId) -> list[EventPublic]:
    events = service.list_events(db, actor=actor, child_id=child_id)
    audit.looked(db, actor=actor, child_id=child_id, what="events")
    return [EventPublic.model_validate(e) for e in events]


@router.patch(
    "/{child_id}/events/{event_id}",
    response_model=EventPublic,
    summary="Correct a life event (lead)",
    responses=problem_responses(404, 422),
)
def update_event(
    db: DbSession,
    actor: LeadUser,
    today: Today,
    child_id: PathId,
    event_id: PathId,
    body: EventUpdate,
) -> EventPublic:
    event = service.update_event(
        db, actor=actor, child_id=child_id, event_id=event_id, data=body, today=today
    )
    return EventPublic.model_validate(event)


@router.delete(
    "/{child_id}/events/{event_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a life event recorded in error (lead)",
    responses=problem_responses(404),
)
def delete_event(db: DbSession, actor: LeadUser, child_id: PathId, event_id: PathId) -> Response:
    service.delete_event(db, actor=actor, child_id=child_id, event_id=event_id)
    return Response(status_code=204)
