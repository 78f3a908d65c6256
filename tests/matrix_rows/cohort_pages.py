"""Access-matrix rows for the cohort, session and closure pages."""

from __future__ import annotations

ROWS: list = []
