"""The audit trail, for leads and admins: JSON, and the same as CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from app.audit import service, words
from app.audit.service import EventFilter
from app.auth.deps import LeadUser
from app.csvout import csv_text
from app.db import DbSession
from app.errors import problem_responses
from app.web import Day

router = APIRouter(tags=["audit"])

CSV_BATCH = 500  # events named per round of queries while writing a CSV
CSV_MAX = 100_000  # events in one CSV at most: narrow the filter for more


class FieldChangePublic(BaseModel):
    field: str
    old: str | None
    new: str | None


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    entity: str
    entity_id: int | None
    # The contract's list (API.md "Running the programme"): each field's old and new values
    # as people read them (old is null for a value set for the first time), with who and the
    # record's name.
    changes: list[FieldChangePublic]
    actor: str | None = None
    label: str = ""
    request_id: str | None
    # The same as stored by the service that made the change ({field: [old, new]}, or
    # "changed"): field keys and raw values, for a client that compares them.
    stored_changes: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventPublic]
    total: int


Kind = Literal["changes", "sign_ins"]


def event_filter(
    actor_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    entity: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    start: Annotated[
        Day | None, Query(alias="from", description="First day (organisation's local date)")
    ] = None,
    end: Annotated[Day | None, Query(alias="to", description="Last day, included")] = None,
    kind: Annotated[
        Kind | None, Query(description="changes: no sign-ins; sign_ins: only those")
    ] = None,
) -> EventFilter:
    return EventFilter(
        actor_id=actor_id, entity=entity, entity_id=entity_id, start=start, end=end, kind=kind
    )


Filter = Annotated[EventFilter, Depends(event_filter)]


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="Who changed what, newest first, in words (lead, admin)",
    responses=problem_responses(401, 403, 422),
)
def list_audit(
    db: DbSession,
    user: LeadUser,
    flt: Filter,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> AuditPage:
    service.check_filter(db, org_id=user.org_id, flt=flt)
    rows, total = service.list_events(db, org_id=user.org_id, where=flt, limit=limit, offset=offset)
    wanted = words.wanted(e for e, _ in rows)
    child_id = flt.entity_id if flt.entity == "child" else None
    if child_id is not None:
        wanted.setdefault("child", set()).add(child_id)
    names = service.names(db, org_id=user.org_id, wanted=wanted)
    if child_id is not None and child_id in names.get("child", {}):  # one of theirs
        service.looked(db, actor=user, child_id=child_id, what="audit")
    items = []
    for event, name in rows:
        shown = words.readable(event, name, names)
        items.append(
            AuditEventPublic(
                id=event.id or 0,
                at=event.at,
                actor_id=event.actor_id,
                actor_name=name,
                action=event.action,
                entity=event.entity,
                entity_id=event.entity_id,
                changes=[
                    FieldChangePublic(field=c.field, old=c.old, new=c.new) for c in shown.changes
                ],
                actor=name,
                label=shown.label,
                request_id=event.request_id,
                stored_changes=event.changes,
            )
        )
    return AuditPage(items=items, total=total)


CSV_HEADER = [
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "label",
    "field",
    "old",
    "new",
]


def csv_rows(events: list[words.Readable]) -> list[list[Any]]:
    """A row per field changed (an event that changed no field: one row, fields empty)."""
    out: list[list[Any]] = []
    for e in events:
        head = [
            e.at.isoformat(),
            e.actor or "System",
            e.action,
            e.entity,
            e.entity_id if e.entity_id is not None else "",
            e.label,
        ]
        if not e.changes:
            out.append([*head, "", "", ""])
        out.extend([*head, c.field, c.old or "", c.new or ""] for c in e.changes)
    return out


@router.get(
    "/audit.csv",
    response_class=Response,
    summary="The same events as CSV, a row per field changed; children by reference only",
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 422)},
)
def audit_csv(
    db: DbSession,
    user: LeadUser,
    flt: Filter,
    limit: Annotated[
        int | None, Query(ge=1, le=500, description="Leave out for every matching event")
    ] = None,
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> Response:
    service.check_filter(db, org_id=user.org_id, flt=flt)
    wanted_total = limit if limit is not None else CSV_MAX
    events: list[words.Readable] = []
    while len(events) < wanted_total:
        size = min(CSV_BATCH, wanted_total - len(events))
        rows, _ = service.list_events(
            db, org_id=user.org_id, where=flt, limit=size, offset=offset + len(events)
        )
        names = service.names(db, org_id=user.org_id, wanted=words.wanted(e for e, _ in rows))
        events.extend(words.readable_page(rows, names, export=True))
        if len(rows) < size:
            break
    return Response(
        csv_text([CSV_HEADER, *csv_rows(events)]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
