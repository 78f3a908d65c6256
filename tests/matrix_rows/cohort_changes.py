"""Access-matrix rows for issue 15's cohort changes routes (see tests/test_access_matrix.py for
the callers and the world their ids come from). The world's Monday group still has sessions
to run, so a lead or admin who may archive it gets the 409 that says so; another
organisation's lead finds no such cohort (404)."""

from __future__ import annotations

from typing import Any


def _api(allowed: dict[str, int]) -> dict[str, int]:
    out = {"anonymous": 401, "other_org": 404}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, 403)
    return out


def _pages(allowed: dict[str, int]) -> dict[str, int]:
    out = {"anonymous": 303, "other_org": 404}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, 403)
    return out


CHANGE_FORM = {
    "version": "1",
    "name": "Monday club",
    "venue": "Youth centre",
    "start_time": "16:00",
    "duration_minutes": "90",
    "facilitator_1": "{facilitator_id}",
    "facilitator_2": "{facilitator2_id}",
    "from_date-day": "10",
    "from_date-month": "3",
    "from_date-year": "2027",
}

ROWS: list[dict[str, Any]] = [
    {
        "method": "PATCH",
        "path": "/api/v1/cohorts/{cohort_id}",
        "json": {"version": 1, "name": "Monday club", "venue": "Youth centre"},
        "expect": _api({"admin": 200, "lead": 200}),
    },
    {
        "method": "POST",
        "path": "/api/v1/cohorts/{cohort_id}/archive",
        "expect": _api({"admin": 409, "lead": 409}),
    },
    {
        "method": "GET",
        "path": "/cohorts/{cohort_id}/change",
        "pages": True,
        "expect": _pages({"admin": 200, "lead": 200}),
    },
    {
        "method": "POST",
        "path": "/cohorts/{cohort_id}/change",
        "pages": True,
        "form": CHANGE_FORM,
        "expect": _pages({"admin": 303, "lead": 303}),
    },
    {
        "method": "GET",
        "path": "/cohorts/{cohort_id}/archive",
        "pages": True,
        "expect": _pages({"admin": 200, "lead": 200}),
    },
    {
        "method": "POST",
        "path": "/cohorts/{cohort_id}/archive",
        "pages": True,
        "form": {"version": "1"},
        "expect": _pages({"admin": 409, "lead": 409}),
    },
]
