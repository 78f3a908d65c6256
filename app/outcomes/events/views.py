"""Pages for a child's life events: the form to record one or correct one, and deleting one
recorded in error (the list itself is a section of the child's page, app/site/panels.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.audit import service as audit
from app.auth.deps import LeadUser, Today
from app.children.models import Child
from app.db import DbSession
from app.forms import show_again
from app.outcomes.events import service
from app.outcomes.events.forms import KIND_OPTIONS, EventForm
from app.outcomes.events.schemas import KIND_WORDS, NOTE_MAX, EventCreate, EventUpdate
from app.outcomes.models import LifeEvent
from app.web import PathId, WholeFormData, date_long, redirect, render

router = APIRouter(include_in_schema=False)
TEMPLATE = "outcomes/events_new.html"


def _context(child: Child, event: LifeEvent | None = None) -> dict[str, object]:
    return {
        "child": child,
        "event": event,
        "kinds": KIND_OPTIONS,
        "note_max": NOTE_MAX,
        "errors": {},
    }


@router.get("/children/{child_id}/events/new", response_class=HTMLResponse)
def new_event_form(
    request: Request, db: DbSession, actor: LeadUser, child_id: PathId
) -> HTMLResponse:
    child = service.child_of(db, actor=actor, child_id=child_id)
    return render(request, TEMPLATE, _context(child) | {"values": EventForm.initial()})


@router.post("/children/{child_id}/events", response_class=HTMLResponse)
def add_event(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    child_id: PathId,
    form: WholeFormData,
) -> Response:
    child = service.child_of(db, actor=actor, child_id=child_id)
    submission = EventForm.read(form)
    if submission.data:
        with submission.saving():
            body = EventCreate.model_validate(submission.data.body())
            event = service.add_event(db, actor=actor, child_id=child_id, data=body, today=today)
            return redirect(
                request,
                f"/children/{child_id}#life-events",
                notice=f"{KIND_WORDS[event.kind]} on {date_long(event.date)} has been recorded "
                f"for {child.reference}.",
            )
    return show_again(
        request,
        db,
        TEMPLATE,
        lambda: _context(service.child_of(db, actor=actor, child_id=child_id)),
        submission,
    )


@router.get("/children/{child_id}/events/{event_id}/edit", response_class=HTMLResponse)
def edit_event_form(
    request: Request, db: DbSession, actor: LeadUser, child_id: PathId, event_id: PathId
) -> HTMLResponse:
    event = service.get_event(db, actor=actor, child_id=child_id, event_id=event_id)
    child = service.child_of(db, actor=actor, child_id=child_id)
    audit.looked(db, actor=actor, child_id=child_id, what="events")
    values = EventForm.initial(kind=event.kind, date=event.date, note=event.note)
    return render(request, TEMPLATE, _context(child, event) | {"values": values})


@router.post("/children/{child_id}/events/{event_id}", response_class=HTMLResponse)
def correct_event(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    child_id: PathId,
    event_id: PathId,
    form: WholeFormData,
) -> Response:
    service.get_event(db, actor=actor, child_id=child_id, event_id=event_id)
    submission = EventForm.read(form)
    if submission.data:
        with submission.saving():
            body = EventUpdate.model_validate(submission.data.body())
            event = service.update_event(
                db, actor=actor, child_id=child_id, event_id=event_id, data=body, today=today
            )
            return redirect(
                request,
                f"/children/{child_id}#life-events",
                notice=f"{KIND_WORDS[event.kind]} on {date_long(event.date)} has been corrected.",
            )
    return show_again(
        request,
        db,
        TEMPLATE,
        lambda: _context(
            service.child_of(db, actor=actor, child_id=child_id),
            service.get_event(db, actor=actor, child_id=child_id, event_id=event_id),
        ),
        submission,
    )


@router.post("/children/{child_id}/events/{event_id}/delete", response_class=HTMLResponse)
def delete_event(
    request: Request, db: DbSession, actor: LeadUser, child_id: PathId, event_id: PathId
) -> Response:
    event = service.delete_event(db, actor=actor, child_id=child_id, event_id=event_id)
    return redirect(
        request,
        f"/children/{child_id}#life-events",
        notice=f"{KIND_WORDS[event.kind]} on {date_long(event.date)} has been deleted.",
    )
