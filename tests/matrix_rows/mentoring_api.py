"""Access-matrix rows for the mentoring JSON API (/api/v1/mentors, matches, visits, assignments).

The world (tests/test_access_matrix.py) gives people.mentor a ready profile matched with
{child_id}, a practice task {assignment_id} from a recorded session and a completed visit
{visit_id}; {free_mentor_id} is a second ready mentor with no mentees. The caller
"other_org" is an admin of organisation B: it passes the role checks, so it meets 404 for
organisation A's rows, an empty list for lists, and 422 for a body naming A's ids.
"""

from __future__ import annotations

from typing import Any


def _expect(allowed: dict[str, int], *, refused: int, other_org: int) -> dict[str, int]:
    out = {"anonymous": 401, "other_org": other_org}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, refused)
    return out


def _staff(status: int) -> dict[str, int]:
    return {"admin": status, "lead": status}


def _staff_and_mentor(status: int) -> dict[str, int]:
    return {"admin": status, "lead": status, "mentor": status}


EVERYONE_200 = _expect({}, refused=200, other_org=200)

ROWS: list[dict[str, Any]] = [
    # Mentor profiles: the lead's; a mentor reads their own.
    {
        "method": "POST",
        "path": "/api/v1/mentors",
        # B cannot name A's user (422).
        "expect": _expect(_staff(201), refused=403, other_org=422),
        "json": {"user_id": "{new_mentor_id}", "dbs_checked_on": "2026-06-01"},
    },
    {
        "method": "GET",
        "path": "/api/v1/mentors",
        "expect": _expect(_staff(200), refused=403, other_org=200),
    },
    {
        "method": "GET",
        "path": "/api/v1/mentors/me/week",
        "expect": _expect({"mentor": 200}, refused=403, other_org=403),
    },
    {
        "method": "GET",
        "path": "/api/v1/mentors/{mentor_id}",
        "expect": _expect(_staff_and_mentor(200), refused=404, other_org=404),
    },
    {
        "method": "PATCH",
        "path": "/api/v1/mentors/{mentor_id}",
        "expect": _expect(_staff(200), refused=403, other_org=404),
        "json": {"availability": "Saturday mornings"},
    },
    {
        "method": "GET",
        "path": "/api/v1/children/{child_id}/mentor-suggestions",
        "expect": _expect(_staff(200), refused=403, other_org=404),
    },
    # Matches.
    {
        "method": "POST",
        "path": "/api/v1/matches",
        "expect": _expect(_staff(201), refused=403, other_org=422),
        "json": {
            "child_id": "{spare_child_id}",
            "mentor_id": "{free_mentor_id}",
            "start_date": "2026-11-23",
        },
    },
    {"method": "GET", "path": "/api/v1/matches", "expect": EVERYONE_200},
    {
        "method": "GET",
        "path": "/api/v1/matches/{match_id}",
        "expect": _expect(_staff_and_mentor(200), refused=404, other_org=404),
    },
    {
        "method": "POST",
        "path": "/api/v1/matches/{match_id}/end",
        "expect": _expect(_staff(200), refused=403, other_org=404),
        "json": {"end_date": "2026-11-25", "reason": "planned"},
    },
    {
        "method": "POST",
        "path": "/api/v1/matches/{match_id}/check-ins",
        "expect": _expect(_staff(201), refused=403, other_org=404),
        "json": {"date": "2026-11-25", "with_mentor": True, "notes": "Going well"},
    },
    {
        "method": "POST",
        "path": "/api/v1/matches/{match_id}/visit-plan",
        # Saturday mornings: clear of the Monday group and of the Friday visit.
        "expect": _expect(_staff_and_mentor(201), refused=403, other_org=404),
        "json": {"weekday": 6, "start_time": "10:00", "duration_minutes": 120},
    },
    # Visits: the match's mentor, or a lead.
    {
        "method": "POST",
        "path": "/api/v1/visits",
        "expect": _expect(_staff_and_mentor(201), refused=403, other_org=422),
        "json": {
            "match_id": "{match_id}",
            "date": "2026-11-25",
            "start_time": "10:00",
            "duration_minutes": 90,
            "status": "completed",
        },
    },
    {"method": "GET", "path": "/api/v1/visits", "expect": EVERYONE_200},
    {
        "method": "GET",
        "path": "/api/v1/visits/{visit_id}",
        "expect": _expect(_staff_and_mentor(200), refused=404, other_org=404),
    },
    {
        "method": "PATCH",
        "path": "/api/v1/visits/{visit_id}",
        "expect": _expect(_staff_and_mentor(200), refused=403, other_org=404),
        "json": {"summary": "Went to the park and talked about feelings"},
    },
    {
        "method": "POST",
        "path": "/api/v1/visits/{concern_visit_id}/concern-reviewed",
        "expect": _expect(_staff(200), refused=403, other_org=404),
    },
    # Practice tasks.
    {"method": "GET", "path": "/api/v1/assignments", "expect": EVERYONE_200},
    {
        "method": "PATCH",
        "path": "/api/v1/assignments/{assignment_id}",
        "expect": _expect(_staff_and_mentor(200), refused=403, other_org=404),
        "json": {"status": "practised", "note": "Did it together"},
    },
]
