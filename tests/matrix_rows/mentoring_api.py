"""Access-matrix rows for the mentoring JSON API (/api/v1/mentors, matches, visits, assignments)."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = []
