"""Service health, for load balancers and monitoring."""

from __future__ import annotations

from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.db import get_engine
from app.errors import problem, problem_responses

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


@router.get(
    "/healthz",
    response_model=Health,
    summary="Whether the service and its database answer",
    responses=problem_responses(503),
)
def healthz(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Health | Response:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health_database_unreachable", error=type(exc).__name__)
        return problem(request, 503, "The database cannot be reached.", database="unreachable")
    return Health(status="ok", database="ok")
