"""The page: who looked at a child's record in the last year (lead, admin)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import LeadUser, Today
from app.db import DbSession
from app.records.looked import service
from app.web import PathId, render

router = APIRouter(include_in_schema=False)


@router.get("/children/{child_id}/views", response_class=HTMLResponse)
def child_views_page(
    request: Request,
    db: DbSession,
    actor: LeadUser,
    today: Today,
    child_id: PathId,
    page: int = Query(default=1, ge=1, le=100_000),  # from the page links, not typed
) -> HTMLResponse:
    size = service.PAGE_SIZE
    looks = service.child_views(
        db, actor=actor, child_id=child_id, today=today, limit=size, offset=(page - 1) * size
    )
    pages = max(1, -(-looks.total // size))
    if not looks.views and looks.total:  # past the last page (an old link): the last page
        page = pages
        looks = service.child_views(
            db, actor=actor, child_id=child_id, today=today, limit=size, offset=(page - 1) * size
        )
    return render(
        request,
        "records/views.html",
        {
            "looks": looks,
            "child": looks.child,
            "page": page,
            "pages": pages,
            "first": (page - 1) * size + 1,
            "last": min(page * size, looks.total),
        },
    )
