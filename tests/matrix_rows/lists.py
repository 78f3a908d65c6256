"""Access-matrix rows for issue 15's lists routes (see tests/test_access_matrix.py for
the callers and the world their ids come from)."""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = [
    # The controlled lists: anyone signed in, in any organisation (they are the same lists).
    {
        "method": "GET",
        "path": "/api/v1/lists",
        "expect": {
            "anonymous": 401,
            "admin": 200,
            "lead": 200,
            "facilitator": 200,
            "mentor": 200,
            "other_org": 200,
        },
    },
]
