"""Access-matrix rows for the lead's mentoring pages (mentors, suggestions, matches)."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = []
