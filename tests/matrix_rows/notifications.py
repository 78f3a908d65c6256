"""Access-matrix rows for issue 16's notifications routes (see tests/test_access_matrix.py for
the callers and the world their ids come from): each person's own email choices, which
everyone signed in may read and change (another organisation's admin their own), and no one
signed out."""

from __future__ import annotations

from typing import Any

ROLES = ("admin", "lead", "facilitator", "mentor", "other_org")


def _everyone(status: int, *, anonymous: int) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(ROLES, status)}


ROWS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/api/v1/me/notifications",
        "expect": _everyone(200, anonymous=401),
    },
    {
        "method": "PUT",
        "path": "/api/v1/me/notifications",
        "expect": _everyone(200, anonymous=401),
        "json": {"email": {"new_match": False}},
    },
    {
        "method": "GET",
        "path": "/account/notifications",
        "pages": True,
        "expect": _everyone(200, anonymous=303),
    },
    {
        "method": "POST",
        "path": "/account/notifications",
        "pages": True,
        "expect": _everyone(303, anonymous=303),
        "form": {"email": "new_match"},
    },
]
