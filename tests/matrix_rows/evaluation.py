"""Access-matrix rows for the evaluators' file and its data dictionary (see
tests/test_access_matrix.py). Leads and admins; a facilitator or mentor is refused (403);
organisation B's admin gets B's own file (no row of A's)."""

from __future__ import annotations

from typing import Any

STAFF = {"admin": 200, "lead": 200, "facilitator": 403, "mentor": 403, "other_org": 200}

ROWS: list[dict[str, Any]] = [
    {"method": "GET", "path": "/api/v1/evaluation.csv", "expect": {"anonymous": 401, **STAFF}},
    {
        "method": "GET",
        "path": "/outcomes/evaluation",
        "expect": {"anonymous": 303, **STAFF},
        "pages": True,
    },
]
