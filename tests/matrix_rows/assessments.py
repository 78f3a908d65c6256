"""Access-matrix rows for issue 17's assessments routes (see tests/test_access_matrix.py for the
callers and the world their ids come from). Leads, admins and the facilitators of the child's
cohort enter and read a child's assessments; a mentor is refused (403) and another
organisation meets 404. The world loads no measure, so an entry that passes the access checks
meets 422 (no such measure); {missing_id} is no assessment, so a correction meets 404."""

from __future__ import annotations

from typing import Any

ENTERERS = ("admin", "lead", "facilitator")


def _expect(allowed: int, *, anonymous: int, other_org: int = 404) -> dict[str, int]:
    return {
        "anonymous": anonymous,
        "mentor": 403,
        "other_org": other_org,
        **dict.fromkeys(ENTERERS, allowed),
    }


ENTRY = {
    "measure": "no_such_measure",
    "informant": "carer",
    "timepoint": "end",
    "completed_on": "2027-03-09",
    "scores": {"total": 1},
}

ROWS: list[dict[str, Any]] = [
    # API
    {
        "method": "POST",
        "path": "/api/v1/children/{child_id}/assessments",
        "expect": _expect(422, anonymous=401),
        "json": ENTRY,
    },
    {
        "method": "GET",
        "path": "/api/v1/children/{child_id}/assessments",
        "expect": _expect(200, anonymous=401),
    },
    {
        "method": "PATCH",
        "path": "/api/v1/assessments/{missing_id}",
        "expect": _expect(404, anonymous=401),
        "json": {"version": 1},
    },
    # Pages: not signed in, 303 to the sign-in page.
    {
        "method": "GET",
        "path": "/children/{child_id}/assessments/new",
        "pages": True,
        "expect": _expect(200, anonymous=303),
    },
    {
        "method": "POST",
        "path": "/children/{child_id}/assessments/new?measure=no_such_measure",
        "pages": True,
        "expect": _expect(422, anonymous=303),
        "form": {"informant": "carer"},
    },
    {
        "method": "GET",
        "path": "/assessments/{missing_id}/edit",
        "pages": True,
        "expect": _expect(404, anonymous=303),
    },
    {
        "method": "POST",
        "path": "/assessments/{missing_id}/edit",
        "pages": True,
        "expect": _expect(404, anonymous=303),
        "form": {"version": "1"},
    },
]
