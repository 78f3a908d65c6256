"""Cohort pages: list, create, the term grid, enrolment, sessions and closures."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
