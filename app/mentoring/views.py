"""The lead's mentoring pages: mentors and their checks, suggestions and the child's
shortlist, matches with check-ins, endings and visit plans."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
