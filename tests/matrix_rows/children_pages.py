"""Access-matrix rows for the children and calendar pages (see tests/test_access_matrix.py)."""

from __future__ import annotations

ROWS: list = []
