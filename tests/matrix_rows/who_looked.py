"""Access-matrix rows for issue 18's who_looked routes (see tests/test_access_matrix.py for the
callers and the world their ids come from). Leads and admins see who looked at a child of
their organisation; facilitators and mentors are refused (403) even for a child they see;
another organisation's admin gets 404 for organisation A's child."""

from __future__ import annotations

from typing import Any


def _expect(*, anonymous: int) -> dict[str, int]:
    return {
        "anonymous": anonymous,
        "admin": 200,
        "lead": 200,
        "facilitator": 403,
        "mentor": 403,
        "other_org": 404,
    }


ROWS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/api/v1/children/{child_id}/views",
        "expect": _expect(anonymous=401),
    },
    {
        "method": "GET",
        "path": "/api/v1/children/{child_id}/views?since=2026-01-01&limit=5",
        "expect": _expect(anonymous=401),
    },
    {
        "method": "GET",
        "path": "/children/{child_id}/views",
        "pages": True,
        "expect": _expect(anonymous=303),
    },
]
