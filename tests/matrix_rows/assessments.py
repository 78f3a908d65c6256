"""Access-matrix rows for issue 17's assessments routes (see tests/test_access_matrix.py for the
callers and the world their ids come from). PLACEHOLDER: filled by its helper."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = []
