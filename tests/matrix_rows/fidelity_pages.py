"""Access-matrix rows for the fidelity dashboard pages.

Leads and admins see the organisation; the world's facilitator runs {cohort_id}, so sees it
and its child {child_id}, but never a mentor's page (404); mentors are refused (403).
Another organisation's admin sees its own (empty) dashboard and report, and 404 for
organisation A's cohort, child and mentor (never 403, which would confirm they exist)."""

from __future__ import annotations

from typing import Any

READERS = {"admin": 200, "lead": 200, "facilitator": 200}


def only(allowed: dict[str, int], *, refused: int = 403, other_org: int) -> dict[str, int]:
    out = {"anonymous": 303, "other_org": other_org}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, refused)
    return out


def _get(path: str, expect: dict[str, int]) -> dict[str, Any]:
    return {"method": "GET", "path": path, "pages": True, "expect": expect}


ROWS: list[dict[str, Any]] = [
    _get("/fidelity", only(READERS, other_org=200)),
    _get("/fidelity/flag-count", only(READERS, other_org=200)),
    _get("/fidelity/report", only(READERS, other_org=200)),
    _get("/fidelity/cohorts/{cohort_id}", only(READERS, other_org=404)),
    _get("/fidelity/children/{child_id}", only(READERS, other_org=404)),
    _get(
        "/fidelity/mentors/{mentor_id}",
        only({"admin": 200, "lead": 200, "facilitator": 404}, other_org=404),
    ),
]
