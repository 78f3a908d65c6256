"""The audit pages for leads and admins: changes in words, and sign-ins on their own."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.audit import service, words
from app.audit.forms import AuditFilterForm
from app.audit.service import EventFilter
from app.auth.deps import LeadUser
from app.auth.models import Role, User
from app.db import DbSession
from app.web import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
VIEWS = {"changes": "/audit", "sign_ins": "/audit/sign-ins"}
UNKNOWN_ENTITY = "Choose what to show changes to from the list"
UNKNOWN_ACTOR = "Choose who made the change from the list"


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: DbSession,
    user: LeadUser,
    page: int = Query(default=1, ge=1, le=100_000),  # from the page links, not typed
    views_page: int = Query(default=1, ge=1, le=100_000),  # "Who looked", a child's trail
) -> HTMLResponse:
    return _trail(request, db, user, page=page, kind="changes", views_page=views_page)


@router.get("/audit/sign-ins", response_class=HTMLResponse)
def sign_ins_page(
    request: Request,
    db: DbSession,
    user: LeadUser,
    page: int = Query(default=1, ge=1, le=100_000),
) -> HTMLResponse:
    return _trail(request, db, user, page=page, kind="sign_ins")


def _trail(
    request: Request, db: Session, user: User, *, page: int, kind: str, views_page: int = 1
) -> HTMLResponse:
    submission = AuditFilterForm.read(request.query_params)
    errors, form = submission.errors, submission.data
    people = service.actors(db, org_id=user.org_id)
    kinds = service.known_entities(db, org_id=user.org_id)
    if form is not None and form.entity and form.entity not in kinds:
        errors.add("entity", UNKNOWN_ENTITY)
    if form is not None and form.actor is not None and form.actor not in dict(people):
        errors.add("actor", UNKNOWN_ACTOR)
    context: dict[str, Any] = {
        "kind": kind,
        "path": VIEWS[kind],
        "values": submission.values,
        "errors": errors,
        "people": [("", "Anyone")] + [(str(i), n) for i, n in people],
        "kinds": [("", "Everything")] + [(k, words.words(k)) for k in kinds],
        "events": [],
        "total": 0,
        "page": page,
        "pages": 1,
        "record": None,
        "query": "",
        "csv_query": "",
        "looked": None,
    }
    if form is None or errors:
        return _render(request, context, status_code=422)
    flt = EventFilter(
        actor_id=form.actor,
        entity=form.entity if kind == "changes" else None,
        entity_id=form.entity_id if kind == "changes" else None,
        start=form.from_date,
        end=form.to_date,
        kind=kind,
    )
    rows, total = service.list_events(
        db, org_id=user.org_id, where=flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    if not rows and total:  # past the last page (an old link): show the last page
        page = -(-total // PAGE_SIZE)
        rows, total = service.list_events(
            db, org_id=user.org_id, where=flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    wanted = words.wanted(event for event, _ in rows)
    if flt.entity and flt.entity_id is not None:  # "Changes to Ben (DEMO-02)"
        wanted.setdefault("user" if flt.entity == "mentor_profile" else flt.entity, set()).add(
            flt.entity_id
        )
    names = service.names(db, org_id=user.org_id, wanted=wanted)
    filters = {k: v for k, v in _typed(submission.values).items() if v}
    context.update(
        events=words.readable_page(rows, names),
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        first=(page - 1) * PAGE_SIZE + 1,
        last=min(page * PAGE_SIZE, total),
        record=(
            words.name_of(flt.entity, flt.entity_id, names)
            if flt.entity and flt.entity_id is not None
            else None
        ),
        query=urlencode(filters),
        csv_query=urlencode(_api_params(flt)),
    )
    child_id = flt.entity_id if flt.entity == "child" else None
    if child_id is not None and child_id in names.get("child", {}):  # one of theirs
        service.looked(db, actor=user, child_id=child_id, what="audit")
        if user.role == Role.admin:
            context["looked"] = _looked(db, user, child_id, views_page, filters)
    return _render(request, context)


def _looked(
    db: Session, user: User, child_id: int, page: int, filters: dict[str, str]
) -> dict[str, Any]:
    """The "Who looked" section of a child's trail (admins): every look, newest first."""
    views, total = service.list_views(
        db, org_id=user.org_id, child_id=child_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))
    if not views and total:  # past the last page: the last page
        page = pages
        views, total = service.list_views(
            db,
            org_id=user.org_id,
            child_id=child_id,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    return {
        "views": views,
        "total": total,
        "page": page,
        "pages": pages,
        "query": urlencode(filters),
    }


def _typed(values: dict[str, Any]) -> dict[str, str]:
    """The filter as typed, as query parameters (for the page links)."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, dict):
            out.update({f"{name}-{part}": str(v) for part, v in value.items()})
        else:
            out[name] = str(value or "")
    return out


def _api_params(flt: EventFilter) -> dict[str, str]:
    """The same filter in the API's words, for the CSV download."""
    params = {
        "actor_id": flt.actor_id,
        "entity": flt.entity,
        "entity_id": flt.entity_id,
        "from": flt.start.isoformat() if flt.start else None,
        "to": flt.end.isoformat() if flt.end else None,
        "kind": flt.kind,
    }
    return {k: str(v) for k, v in params.items() if v is not None}


def _render(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return render(request, "audit/index.html", context, block="results", status_code=status_code)
