"""Access-matrix rows for the mentor's pages (my week, logging and recording visits)."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = []
