"""The audit page for leads and admins."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.audit import service
from app.auth.deps import LeadUser
from app.db import DbSession
from app.web import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: DbSession,
    user: LeadUser,
    entity: str | None = Query(default=None, max_length=64),
    page: int = Query(default=1, ge=1, le=100_000),
) -> HTMLResponse:
    entity = entity or None
    rows, total = service.list_events(
        db, org_id=user.org_id, entity=entity, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "audit/index.html",
        {
            "rows": rows,
            "total": total,
            "entity": entity,
            "entities": service.entities(db, org_id=user.org_id),
            "page": page,
            "pages": pages,
        },
        block="results",
    )
