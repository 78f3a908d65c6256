"""Access-matrix rows for the mentor's pages (my week, logging and recording visits).

The world's {visit_id} is a *completed* visit, so cancelling or moving it is refused with
409 once access is granted: only planned visits are cancelled or moved."""

from __future__ import annotations

from typing import Any

MENTOR_OR_STAFF = ("admin", "lead", "mentor")


def expect(status: int | dict[str, int], *, other_org: int) -> dict[str, int]:
    """The match's mentor, a lead and an admin get `status`; a facilitator 403 (no part in
    mentoring); another organisation's admin `other_org`; anonymous, the sign-in page."""
    allowed = status if isinstance(status, dict) else dict.fromkeys(MENTOR_OR_STAFF, status)
    return {
        "anonymous": 303,
        "facilitator": 403,
        "other_org": other_org,
        **{role: allowed.get(role, 403) for role in MENTOR_OR_STAFF},
    }


def _date(prefix: str, day: str) -> dict[str, str]:
    y, m, d = day.split("-")
    return {f"{prefix}-day": d, f"{prefix}-month": m, f"{prefix}-year": y}


VISIT_FORM = {
    "start_time": "14:00",
    "minutes": "60",
    "status": "completed",
    "summary": "Practised asking for help",
}

ROWS: list[dict[str, Any]] = [
    {
        # Only mentors have a week; everyone else is refused, whatever their organisation.
        "method": "GET",
        "path": "/mentor",
        "pages": True,
        "expect": expect({"mentor": 200}, other_org=403),
    },
    {
        # Without a match: the choice of mentee (the mentor's only one: the form itself).
        "method": "GET",
        "path": "/visits/new",
        "pages": True,
        "expect": expect(200, other_org=200),
    },
    {
        "method": "POST",
        "path": "/visits/new",
        "pages": True,
        "expect": expect(303, other_org=404),
        "form": {"match_id": "{match_id}", **_date("date", "2026-11-25"), **VISIT_FORM},
    },
    {
        "method": "GET",
        "path": "/visits/{visit_id}",
        "pages": True,
        "expect": expect(200, other_org=404),
    },
    {
        "method": "POST",
        "path": "/visits/{visit_id}",
        "pages": True,
        "expect": expect(303, other_org=404),
        "form": {
            "version": "1",
            **_date("date", "2026-11-20"),
            **VISIT_FORM,
            "start_time": "10:00",
            "minutes": "120",
        },
    },
    {
        "method": "POST",
        "path": "/visits/{visit_id}/cancel",
        "pages": True,
        "expect": expect(409, other_org=404),
        "form": {"version": "1"},
    },
    {
        "method": "GET",
        "path": "/visits/{visit_id}/move",
        "pages": True,
        "expect": expect(409, other_org=404),
    },
    {
        "method": "POST",
        "path": "/visits/{visit_id}/move",
        "pages": True,
        "expect": expect(409, other_org=404),
        "form": {"version": "1", **_date("date", "2026-11-21"), "start_time": "10:00"},
    },
    {
        "method": "GET",
        "path": "/mentor/matches/{match_id}/plan",
        "pages": True,
        "expect": expect(200, other_org=404),
    },
    {
        # Saturdays at 10:00 until the cohort's last session.
        "method": "POST",
        "path": "/mentor/matches/{match_id}/plan",
        "pages": True,
        "expect": expect(303, other_org=404),
        "form": {"weekday": "6", "start_time": "10:00", "minutes": "120"},
    },
]
