"""Access-matrix rows for the cohort, session and closure pages."""

from __future__ import annotations

from typing import Any

STAFF_303 = {"admin": 303, "lead": 303}


def only(allowed: dict[str, int], *, refused: int, other_org: int) -> dict[str, int]:
    out = {"anonymous": 303, "other_org": other_org}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, refused)
    return out


def _date(prefix: str, day: str) -> dict[str, str]:
    y, m, d = day.split("-")
    return {f"{prefix}-day": d, f"{prefix}-month": m, f"{prefix}-year": y}


ROWS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/cohorts",
        "pages": True,
        "expect": {
            "anonymous": 303,
            "admin": 200,
            "lead": 200,
            "facilitator": 200,
            "mentor": 200,
            "other_org": 200,
        },
    },
    {
        "method": "GET",
        "path": "/cohorts/new",
        "pages": True,
        "expect": only({"admin": 200, "lead": 200}, refused=403, other_org=200),
    },
    {
        # Another organisation's admin cannot pick organisation A's facilitators: 422.
        "method": "POST",
        "path": "/cohorts",
        "pages": True,
        "expect": only(STAFF_303, refused=403, other_org=422),
        "form": {
            "name": "Thursday group",
            "curriculum_id": "{curriculum_id}",
            **_date("start_date", "2026-09-10"),
            "start_time": "16:00",
            "duration_minutes": "90",
            "venue": "Library",
            "facilitator_1": "{facilitator_id}",
            "facilitator_2": "{facilitator2_id}",
        },
    },
    {
        "method": "GET",
        "path": "/cohorts/{cohort_id}",
        "pages": True,
        "expect": only({"admin": 200, "lead": 200, "facilitator": 200}, refused=404, other_org=404),
    },
    {
        "method": "POST",
        "path": "/cohorts/{cohort_id}/enrolments",
        "pages": True,
        "expect": only(STAFF_303, refused=403, other_org=404),
        "form": {"child_id": "{spare_child_id}", **_date("start_date", "2026-09-07")},
    },
    {
        "method": "GET",
        "path": "/enrolments/{enrolment_id}/withdraw",
        "pages": True,
        "expect": only({"admin": 200, "lead": 200}, refused=403, other_org=404),
    },
    {
        "method": "POST",
        "path": "/enrolments/{enrolment_id}/withdraw",
        "pages": True,
        "expect": only(STAFF_303, refused=403, other_org=404),
        "form": {**_date("date", "2026-10-01"), "reason": "Moved placement"},
    },
    {
        "method": "GET",
        "path": "/sessions/{session_id}/change",
        "pages": True,
        "expect": only({"admin": 200, "lead": 200}, refused=403, other_org=404),
    },
    {
        "method": "POST",
        "path": "/sessions/{session_id}/reschedule",
        "pages": True,
        "expect": only(STAFF_303, refused=403, other_org=404),
        "form": {"version": "1", "venue": "Room 2"},
    },
    {
        "method": "POST",
        "path": "/sessions/{session_id}/cancel",
        "pages": True,
        "expect": only(STAFF_303, refused=403, other_org=404),
        "form": {"version": "1", "reason": "Snow"},
    },
    {
        "method": "GET",
        "path": "/closures",
        "pages": True,
        "expect": only({"admin": 200, "lead": 200}, refused=403, other_org=200),
    },
    {
        "method": "POST",
        "path": "/closures",
        "pages": True,
        "expect": only(STAFF_303, refused=403, other_org=303),
        "form": {
            **_date("start", "2026-10-26"),
            **_date("end", "2026-10-30"),
            "reason": "Half term",
        },
    },
    {
        # An empty upload: staff get the form back with the error (422), others are refused.
        "method": "POST",
        "path": "/closures/import",
        "pages": True,
        "expect": only({"admin": 422, "lead": 422}, refused=403, other_org=422),
        "form": {},
    },
]

ADMIN_ONLY = {"admin": 200}
ROWS += [
    {
        "method": "GET",
        "path": "/admin/organisation",
        "pages": True,
        "expect": only(ADMIN_ONLY, refused=403, other_org=200),
    },
    {
        "method": "POST",
        "path": "/admin/organisation",
        "pages": True,
        "expect": only({"admin": 303}, refused=403, other_org=303),
        "form": {
            "holiday_region": "scotland",
            "dosage_threshold": "0.8",
            "dbs_renewal_years": "3",
            "mentoring_hours_min": "2",
            "mentoring_hours_max": "4",
        },
    },
]

COHORT_READERS = {"admin": 200, "lead": 200, "facilitator": 200}
ROWS += [
    {
        "method": "GET",
        "path": "/sessions/{session_id}",
        "pages": True,
        "expect": only(COHORT_READERS, refused=404, other_org=404),
    },
    {
        # The whole register and checklist, as the page's form sends them.
        "method": "POST",
        "path": "/sessions/{session_id}/record",
        "pages": True,
        "expect": only({"admin": 303, "lead": 303, "facilitator": 303}, refused=404, other_org=404),
        "form": {"record_form": "1"},
    },
    {
        # Not delivered yet, so a lead's observation is refused with 409.
        "method": "POST",
        "path": "/sessions/{session_id}/observations",
        "pages": True,
        "expect": only({"admin": 409, "lead": 409}, refused=403, other_org=404),
        "form": {"adherence": "4", "quality": "4"},
    },
]
