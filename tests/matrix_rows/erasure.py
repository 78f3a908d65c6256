"""Access-matrix rows for issue 18's erasure routes (see tests/test_access_matrix.py for the
callers and the world their ids come from)."""

from __future__ import annotations

from typing import Any


def _only_admin(allowed: int, *, anonymous: int) -> dict[str, int]:
    # Another organisation's admin passes the role check: tenancy alone refuses it (404).
    return {
        "anonymous": anonymous,
        "admin": allowed,
        "lead": 403,
        "facilitator": 403,
        "mentor": 403,
        "other_org": 404,
    }


ROWS: list[dict[str, Any]] = [
    # The spare child is in no group and has no visit: erasable.
    {
        "method": "POST",
        "path": "/api/v1/children/{spare_child_id}/erase",
        "expect": _only_admin(204, anonymous=401),
        "json": {"reason": "Registered twice"},
    },
    # The enrolled child is on a recorded register and has visits: refused.
    {
        "method": "POST",
        "path": "/api/v1/children/{child_id}/erase",
        "expect": _only_admin(409, anonymous=401),
        "json": {"reason": "Registered twice"},
    },
    {
        "method": "GET",
        "path": "/children/{spare_child_id}/erase",
        "expect": _only_admin(200, anonymous=303),
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/children/{spare_child_id}/erase",
        "expect": _only_admin(303, anonymous=303),
        "form": {"reason": "Registered twice"},
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/children/{child_id}/erase",
        "expect": _only_admin(409, anonymous=303),
        "form": {"reason": "Registered twice"},
        "pages": True,
    },
]
