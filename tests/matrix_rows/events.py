"""Access-matrix rows for a child's life events (see tests/test_access_matrix.py for the
callers and the world their ids come from).

Life events are sensitive: leads and admins only. A facilitator or mentor is refused (403)
even for a child they may see; organisation B's admin gets 404 for A's child. Corrections
and deletions name {missing_id}: granted callers reach the lookup (404), the others are
refused first."""

from __future__ import annotations

from typing import Any

ROLES = ("admin", "lead", "facilitator", "mentor")


def _expect(
    allowed: dict[str, int], *, anonymous: int, refused: int = 403, other_org: int = 404
) -> dict[str, int]:
    out = {"anonymous": anonymous, "other_org": other_org}
    for role in ROLES:
        out[role] = allowed.get(role, refused)
    return out


EVENT = {"kind": "placement_move", "date": "2026-10-01", "note": "Moved to a new carer"}
EVENT_FORM = {
    "kind": "police_contact",
    "date-day": "2",
    "date-month": "10",
    "date-year": "2026",
    "note": "",
}

ROWS: list[dict[str, Any]] = [
    {
        "method": "POST",
        "path": "/api/v1/children/{child_id}/events",
        "json": EVENT,
        "expect": _expect({"admin": 201, "lead": 201}, anonymous=401),
    },
    {
        "method": "GET",
        "path": "/api/v1/children/{child_id}/events",
        "expect": _expect({"admin": 200, "lead": 200}, anonymous=401),
    },
    {
        "method": "PATCH",
        "path": "/api/v1/children/{child_id}/events/{missing_id}",
        "json": {"kind": "adoption"},
        "expect": _expect({"admin": 404, "lead": 404}, anonymous=401),
    },
    {
        "method": "DELETE",
        "path": "/api/v1/children/{child_id}/events/{missing_id}",
        "expect": _expect({"admin": 404, "lead": 404}, anonymous=401),
    },
    {
        "method": "GET",
        "path": "/children/{child_id}/events/new",
        "expect": _expect({"admin": 200, "lead": 200}, anonymous=303),
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/children/{child_id}/events",
        "form": EVENT_FORM,
        "expect": _expect({"admin": 303, "lead": 303}, anonymous=303),
        "pages": True,
    },
    {
        "method": "GET",
        "path": "/children/{child_id}/events/{missing_id}/edit",
        "expect": _expect({"admin": 404, "lead": 404}, anonymous=303),
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/children/{child_id}/events/{missing_id}",
        "form": EVENT_FORM,
        "expect": _expect({"admin": 404, "lead": 404}, anonymous=303),
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/children/{child_id}/events/{missing_id}/delete",
        "form": {},
        "expect": _expect({"admin": 404, "lead": 404}, anonymous=303),
        "pages": True,
    },
]
