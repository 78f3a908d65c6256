"""Access-matrix rows for issue 19's programmes (see tests/test_access_matrix.py for the
callers and the world their ids come from). Leads read the organisation's programmes (they
choose one for a cohort or a match); only an admin sets them up. Another organisation's admin
works on their own list and never finds organisation A's programme."""

from __future__ import annotations

from typing import Any


def _roles(
    *, admin: int, lead: int, other_org: int, staff_only: int = 403, anonymous: int = 401
) -> dict[str, int]:
    return {
        "anonymous": anonymous,
        "admin": admin,
        "lead": lead,
        "facilitator": staff_only,
        "mentor": staff_only,
        "other_org": other_org,
    }


NEW_PROGRAMME = {
    "name": "Independent Visitors",
    "kind": "independent_visitor",
    "caseload_max": 2,
    "visit_band": {"per": "month", "min_hours": 1, "max_hours": 8},
    "age_min": 5,
    "age_max": 17,
}

ROWS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/api/v1/programmes",
        "expect": _roles(admin=200, lead=200, other_org=200),
    },
    {
        "method": "POST",
        "path": "/api/v1/programmes",
        "json": NEW_PROGRAMME,
        "expect": _roles(admin=201, lead=403, other_org=201),
    },
    {
        "method": "GET",
        "path": "/api/v1/programmes/{programme_id}",
        "expect": _roles(admin=200, lead=200, other_org=404),
    },
    {
        "method": "PATCH",
        "path": "/api/v1/programmes/{programme_id}",
        "json": {"version": 1, "name": "FHF-PT, Thursdays"},
        "expect": _roles(admin=200, lead=403, other_org=404),
    },
    # Pages. Not signed in: 303 to the sign-in page. Leads read the list; admins change it.
    {
        "method": "GET",
        "path": "/admin/programmes",
        "pages": True,
        "expect": _roles(admin=200, lead=200, other_org=200, anonymous=303),
    },
    {
        "method": "GET",
        "path": "/admin/programmes/new",
        "pages": True,
        "expect": _roles(admin=200, lead=403, other_org=200, anonymous=303),
    },
    {
        "method": "POST",
        "path": "/admin/programmes",
        "pages": True,
        "form": {
            "name": "Befriending",
            "kind": "befriending",
            "caseload_max": "2",
            "band_per": "month",
            "band_min_hours": "2",
            "band_max_hours": "6",
            "age_min": "8",
            "age_max": "17",
            "match_length_months": "12",
        },
        "expect": _roles(admin=303, lead=403, other_org=303, anonymous=303),
    },
    {
        "method": "GET",
        "path": "/admin/programmes/{programme_id}",
        "pages": True,
        "expect": _roles(admin=200, lead=403, other_org=404, anonymous=303),
    },
    {
        "method": "POST",
        "path": "/admin/programmes/{programme_id}",
        "pages": True,
        "form": {
            "version": "1",
            "name": "FHF-PT, Mondays",
            "caseload_max": "4",
            "band_per": "week",
            "band_min_hours": "2",
            "band_max_hours": "4",
            "age_min": "9",
            "age_max": "11",
            "match_length_months": "6",
        },
        "expect": _roles(admin=303, lead=403, other_org=404, anonymous=303),
    },
]
