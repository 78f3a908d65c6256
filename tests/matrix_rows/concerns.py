"""Access-matrix rows for issue 15's safeguarding reviews and the mentor's week (cancelling
with a reason, undoing it). See tests/test_access_matrix.py for the callers and the world
their ids come from: {concern_visit_id} raised a safeguarding concern; {visit_id} is a
completed visit, so undoing a cancelling of it, or cancelling it, is refused with 409 once
access is granted."""

from __future__ import annotations

from typing import Any

ROLES = ("admin", "lead", "facilitator", "mentor")


def _api(allowed: dict[str, int], *, other_org: int = 404) -> dict[str, int]:
    """Anyone not named in `allowed` is refused with 403; another organisation's admin
    passes the role checks and meets 404 for organisation A's visit."""
    return {"anonymous": 401, "other_org": other_org, **{r: allowed.get(r, 403) for r in ROLES}}


def _pages(allowed: dict[str, int], *, other_org: int = 404) -> dict[str, int]:
    return {"anonymous": 303, "other_org": other_org, **{r: allowed.get(r, 403) for r in ROLES}}


def _staff(status: int) -> dict[str, int]:
    return {"admin": status, "lead": status}


def _staff_and_mentor(status: int) -> dict[str, int]:
    return {"admin": status, "lead": status, "mentor": status}


REVIEW = {"action": "discussed_with_social_worker", "note": "Spoke to the social worker"}

ROWS: list[dict[str, Any]] = [
    {
        "method": "POST",
        "path": "/api/v1/visits/{concern_visit_id}/concern-review",
        "expect": _api(_staff(201)),
        "json": REVIEW,
    },
    {
        "method": "GET",
        "path": "/api/v1/visits/{concern_visit_id}/concern-reviews",
        "expect": _api(_staff_and_mentor(200)),
    },
    {
        "method": "POST",
        "path": "/api/v1/visits/{visit_id}/restore",
        "expect": _api(_staff_and_mentor(409)),
        "json": {"version": 1},
    },
    {
        "method": "POST",
        "path": "/visits/{concern_visit_id}/concern-review",
        "pages": True,
        "expect": _pages(_staff(303)),
        "form": {
            "review_action": "no_further_action",
            "review_note": "Spoke to the carer: no further action",
            "review_escalated": "no",
        },
    },
    {
        "method": "GET",
        "path": "/visits/{visit_id}/cancel",
        "pages": True,
        "expect": _pages(_staff_and_mentor(409)),
    },
    {
        "method": "POST",
        "path": "/visits/{visit_id}/restore",
        "pages": True,
        "expect": _pages(_staff_and_mentor(409)),
        "form": {"version": "1"},
    },
]
