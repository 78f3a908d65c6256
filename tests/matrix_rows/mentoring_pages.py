"""Access-matrix rows for the lead's mentoring pages (mentors, suggestions, matches).

Only leads and admins: everyone else 403. Another organisation's admin sees an empty list, or
404 for organisation A's rows (never 403, which would confirm they exist)."""

from __future__ import annotations

from typing import Any

STAFF_200 = {"admin": 200, "lead": 200}
STAFF_303 = {"admin": 303, "lead": 303}


def only(allowed: dict[str, int], *, refused: int = 403, other_org: int) -> dict[str, int]:
    out = {"anonymous": 303, "other_org": other_org}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, refused)
    return out


def _date(prefix: str, day: str) -> dict[str, str]:
    y, m, d = day.split("-")
    return {f"{prefix}-day": d, f"{prefix}-month": m, f"{prefix}-year": y}


READY = {
    **_date("dbs_checked_on", "2025-06-01"),
    "barred_list_checked": "yes",
    "references_checked": "yes",
    **_date("interviewed_on", "2025-06-10"),
    **_date("training_completed_on", "2025-07-01"),
    "max_caseload": "2",
}

ROWS: list[dict[str, Any]] = [
    {"method": "GET", "path": "/mentors", "pages": True, "expect": only(STAFF_200, other_org=200)},
    {
        "method": "GET",
        "path": "/mentors/new",
        "pages": True,
        "expect": only(STAFF_200, other_org=200),
    },
    {
        # Another organisation cannot name organisation A's user (422).
        "method": "POST",
        "path": "/mentors/new",
        "pages": True,
        "expect": only({"admin": 303, "lead": 303}, other_org=422),
        "form": {"user_id": "{new_mentor_id}", **READY},
    },
    {
        "method": "GET",
        "path": "/mentors/{mentor_id}",
        "pages": True,
        "expect": only(STAFF_200, other_org=404),
    },
    {
        "method": "POST",
        "path": "/mentors/{mentor_id}",
        "pages": True,
        "expect": only(STAFF_303, other_org=404),
        "form": {"interests": "chess, football", **READY},
    },
    {
        "method": "GET",
        "path": "/children/{child_id}/match",
        "pages": True,
        "expect": only(STAFF_200, other_org=404),
    },
    {
        # The world's child is matched already: a second match is a conflict (409).
        "method": "POST",
        "path": "/children/{child_id}/match",
        "pages": True,
        "expect": only({"admin": 409, "lead": 409}, other_org=404),
        "form": {"mentor_id": "{free_mentor_id}", **_date("start_date", "2026-11-23")},
    },
    {
        # No mentor chosen: the page says to choose one to three (422).
        "method": "GET",
        "path": "/children/{child_id}/shortlist",
        "pages": True,
        "expect": only({"admin": 422, "lead": 422}, other_org=404),
    },
    {"method": "GET", "path": "/matches", "pages": True, "expect": only(STAFF_200, other_org=200)},
    {
        "method": "GET",
        "path": "/matches/{match_id}",
        "pages": True,
        "expect": only(STAFF_200, other_org=404),
    },
    {
        "method": "POST",
        "path": "/matches/{match_id}/check-ins",
        "pages": True,
        "expect": only(STAFF_303, other_org=404),
        "form": {**_date("check_in_date", "2026-11-20"), "with_mentor": "yes"},
    },
    {
        "method": "POST",
        "path": "/matches/{match_id}/visit-plan",
        "pages": True,
        "expect": only(STAFF_303, other_org=404),
        "form": {
            "weekday": "6",
            "start_time": "10:00",
            "duration_minutes": "90",
            **_date("until", "2027-03-27"),  # a Saturday after the clock, before the last session
        },
    },
    {
        "method": "POST",
        "path": "/matches/{match_id}/end",
        "pages": True,
        "expect": only(STAFF_303, other_org=404),
        "form": {**_date("end_date", "2026-11-24"), "reason": "planned", "ended_by": "programme"},
    },
    {
        "method": "POST",
        "path": "/visits/{concern_visit_id}/concern-reviewed",
        "pages": True,
        "expect": only({"admin": 303, "lead": 303}, other_org=404),
        "form": {},
    },
]
