"""Access-matrix rows for issue 18's retention routes (see tests/test_access_matrix.py for the
callers and the world their ids come from).

A legal hold is the lead's (and admin's): facilitators and mentors are refused (403) before
the child is looked up; organisation B's lead gets 404 for A's child (never 403, which
would confirm it exists). Anonymous: 401 from the API, a redirect to sign in (303) from the
pages."""

from __future__ import annotations

from typing import Any

LEADS = {"admin": 200, "lead": 200, "facilitator": 403, "mentor": 403, "other_org": 404}
API = {"anonymous": 401, **LEADS}
PAGES = {"anonymous": 303, **LEADS}
SAVED = {**PAGES, "admin": 303, "lead": 303}

ROWS: list[dict[str, Any]] = [
    {
        "method": "PUT",
        "path": "/api/v1/children/{child_id}/legal-hold",
        "json": {"reason": "A claim is pending"},
        "expect": API,
    },
    {"method": "DELETE", "path": "/api/v1/children/{child_id}/legal-hold", "expect": API},
    {"method": "GET", "path": "/children/{child_id}/legal-hold", "pages": True, "expect": PAGES},
    {
        "method": "POST",
        "path": "/children/{child_id}/legal-hold",
        "form": {"reason": "A claim is pending"},
        "pages": True,
        "expect": SAVED,
    },
    {
        "method": "POST",
        "path": "/children/{child_id}/legal-hold/lift",
        "form": {},
        "pages": True,
        "expect": SAVED,
    },
]
