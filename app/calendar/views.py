"""The calendar page: a person's secret feed address, and a new one on request."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
