"""The mentor's pages: my week, logging a visit, recording, moving or cancelling a planned one."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
