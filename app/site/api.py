"""Service health, for load balancers and monitoring."""

from __future__ import annotations

from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db import get_engine, schema_heads, schema_revision
from app.errors import problem, problem_responses

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


@router.get(
    "/healthz",
    response_model=Health,
    summary="Whether the service answers and its database is reachable and up to date",
    responses=problem_responses(503),
)
def healthz(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Health | Response:
    """Outside the request gate (app/db.py request_slot), on a connection of the pool's
    overflow: it answers at once however busy the worker is. 503 when the database cannot
    be reached, or its schema is not at this code's latest migration (a replica started
    before `tandem db upgrade` ran must not take traffic)."""
    try:
        with engine.connect() as connection:
            revision = schema_revision(connection)
    except SQLAlchemyError as exc:
        log.warning("health_database_unreachable", error=type(exc).__name__)
        return problem(request, 503, "The database cannot be reached.", database="unreachable")
    if revision != schema_heads():
        log.warning("health_schema_not_at_head", at=sorted(revision), head=sorted(schema_heads()))
        return problem(
            request,
            503,
            "The database's schema is not at the latest revision: run `tandem db upgrade`.",
            database="not_migrated" if not revision else "behind",
        )
    return Health(status="ok", database="ok")
