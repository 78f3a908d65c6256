"""The measures page: each measure's informants, scales and ranges, licence and sources."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import CurrentUser
from app.db import DbSession
from app.outcomes import service
from app.web import render

router = APIRouter(prefix="/outcomes", include_in_schema=False)


@router.get("/measures", response_class=HTMLResponse)
def measures_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    found = []
    for row, definition in service.measures(db):
        sources: list[str] = []
        for scale in definition.scales:
            for norms in scale.norms.values():
                if norms.source.citation not in sources:
                    sources.append(norms.source.citation)
        found.append({"row": row, "m": definition, "sources": sources})
    return render(request, "outcomes/measures.html", {"measures": found})
