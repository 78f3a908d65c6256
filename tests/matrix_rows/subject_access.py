"""Access-matrix rows for issue 18's subject_access routes (see tests/test_access_matrix.py for the
callers and the world their ids come from)."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = []
