"""Access-matrix rows for issue 18's privacy routes (see tests/test_access_matrix.py for the
callers and the world their ids come from). Anyone signed in reads their organisation's
notice; only an admin writes it (another organisation's admin writes their own). /privacy
is open to everyone: signed out, it says what Tandem holds in general."""

from __future__ import annotations

from typing import Any

SIGNED_IN = ("admin", "lead", "facilitator", "mentor", "other_org")


def _everyone(status: int, *, anonymous: int) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def _admins(status: int, *, anonymous: int) -> dict[str, int]:
    return {
        "anonymous": anonymous,
        "admin": status,
        "lead": 403,
        "facilitator": 403,
        "mentor": 403,
        "other_org": status,
    }


NOTICE = "We are Org A.\n\nWe keep what we need to run the programme."

ROWS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/api/v1/organisation/privacy-notice",
        "expect": _everyone(200, anonymous=401),
    },
    {
        "method": "PUT",
        "path": "/api/v1/organisation/privacy-notice",
        "json": {"text": NOTICE},
        "expect": _admins(200, anonymous=401),
    },
    {"method": "GET", "path": "/privacy", "pages": True, "expect": _everyone(200, anonymous=200)},
    {
        "method": "GET",
        "path": "/admin/privacy",
        "pages": True,
        "expect": _admins(200, anonymous=303),
    },
    {
        "method": "POST",
        "path": "/admin/privacy",
        "pages": True,
        "form": {"privacy_notice": NOTICE},
        "expect": _admins(303, anonymous=303),
    },
]
