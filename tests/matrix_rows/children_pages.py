"""Access-matrix rows for the children and calendar pages (see tests/test_access_matrix.py)."""

from __future__ import annotations

from typing import Any

ROLES = ("admin", "lead", "facilitator", "mentor")


def _expect(allowed: dict[str, int], *, refused: int, other_org: int) -> dict[str, int]:
    out = {"anonymous": 303, "other_org": other_org}  # not signed in: 303 to /login
    for role in ROLES:
        out[role] = allowed.get(role, refused)
    return out


def _everyone(status: int) -> dict[str, int]:
    return _expect({}, refused=status, other_org=status)


STAFF_OK = {"admin": 200, "lead": 200}
STAFF_SAVED = {"admin": 303, "lead": 303}
READERS = {"admin": 200, "lead": 200, "facilitator": 200}  # the world's child is in their cohort

CHILD_FORM = {
    "reference": "PAGE-1",
    "first_name": "Robin",
    "date_of_birth-day": "1",
    "date_of_birth-month": "3",
    "date_of_birth-year": "2016",
    "placement_type": "kinship",
    "gender": "",
    "ethnicity": "",
    "languages": "welsh",
    "interests": "chess",
    "mentor_gender": "",
    "same_ethnicity": "any",
    "notes": "",
    "consent_given_by": "Kinship carer",
    "consent_given_on-day": "1",
    "consent_given_on-month": "9",
    "consent_given_on-year": "2026",
}
EDIT_FORM = {**CHILD_FORM, "reference": "A-1", "interests": "chess, football"}

ROWS: list[dict[str, Any]] = [
    # Children: anyone signed in sees the list, filtered to what they may see.
    {"method": "GET", "path": "/children", "expect": _everyone(200), "pages": True},
    {
        "method": "GET",
        "path": "/children/new",
        "expect": _expect(STAFF_OK, refused=403, other_org=200),
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/children",
        "expect": _expect(STAFF_SAVED, refused=403, other_org=303),
        "form": CHILD_FORM,
        "pages": True,
    },
    {
        "method": "GET",
        "path": "/children/{child_id}",
        # A mentor sees their own mentee (the world matches the child with them).
        "expect": _expect({**READERS, "mentor": 200}, refused=404, other_org=404),
        "pages": True,
    },
    {
        "method": "GET",
        "path": "/children/{child_id}/edit",
        "expect": _expect(STAFF_OK, refused=403, other_org=404),
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/children/{child_id}",
        "expect": _expect(STAFF_SAVED, refused=403, other_org=404),
        "form": EDIT_FORM,
        "pages": True,
    },
    # Calendar feed page: everyone has their own address.
    {"method": "GET", "path": "/account/calendar", "expect": _everyone(200), "pages": True},
    {
        "method": "POST",
        "path": "/account/calendar/rotate",
        "expect": _everyone(303),
        "form": {},
        "pages": True,
    },
]
