"""The audit page for leads and admins."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.audit import service
from app.audit.forms import AuditFilterForm
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
    page: int = Query(default=1, ge=1, le=100_000),  # from the page links, not typed
) -> HTMLResponse:
    submission = AuditFilterForm.read(request.query_params)
    entity = submission.data.entity if submission.data else None  # refused: every change
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
            "errors": submission.errors,
        },
        block="results",
        status_code=422 if submission.errors else 200,
    )
