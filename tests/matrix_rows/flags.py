"""Access-matrix rows for issue 15's flags routes (see tests/test_access_matrix.py for
the callers and the world their ids come from).

The world's week 1 session ({session_id}, 7 September 2026) is never recorded, so as of the
matrix's day it is a past flag a lead or an admin may acknowledge (201, or 303 back to the
dashboard from the page's form). A facilitator or mentor is refused (403); another
organisation's admin finds no such flag (404, never 403)."""

from __future__ import annotations

from typing import Any

NOTE = "The register was lost; the session ran."

ROWS: list[dict[str, Any]] = [
    {
        "method": "POST",
        "path": "/api/v1/flags/acknowledgements",
        "expect": {
            "anonymous": 401,
            "admin": 201,
            "lead": 201,
            "facilitator": 403,
            "mentor": 403,
            "other_org": 404,
        },
        "json": {"kind": "session_not_recorded", "session_id": "{session_id}", "note": NOTE},
    },
    {
        "method": "POST",
        "path": "/fidelity/flags/acknowledge",
        "pages": True,
        "expect": {
            "anonymous": 303,
            "admin": 303,
            "lead": 303,
            "facilitator": 403,
            "mentor": 403,
            "other_org": 404,
        },
        "form": {"kind": "session_not_recorded", "session_id": "{session_id}", "note": NOTE},
    },
]
