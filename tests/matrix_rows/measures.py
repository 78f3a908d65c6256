"""Access-matrix rows for issue 17's measures (see tests/test_access_matrix.py for the
callers). Measures are shared reference data, like the curriculum: anyone signed in, of any
organisation, reads them; nobody signed out does."""

from __future__ import annotations

from typing import Any

SIGNED_IN = ("admin", "lead", "facilitator", "mentor", "other_org")

ROWS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/api/v1/measures",
        "expect": {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 200)},
    },
    {
        "method": "GET",
        "path": "/outcomes/measures",
        "pages": True,
        "expect": {"anonymous": 303, **dict.fromkeys(SIGNED_IN, 200)},
    },
]
