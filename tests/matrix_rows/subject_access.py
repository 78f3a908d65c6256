"""Access-matrix rows for issue 18's subject access routes (see tests/test_access_matrix.py
for the callers and the world their ids come from). The JSON export's row is in the main
table (it predates issue 18)."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/children/{child_id}/export",
        "expect": {
            "anonymous": 303,
            "admin": 200,
            "lead": 200,
            "facilitator": 403,
            "mentor": 403,
            "other_org": 404,
        },
        "pages": True,
    },
]
