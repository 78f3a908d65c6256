"""Access-matrix rows for the fidelity dashboard pages."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = []
