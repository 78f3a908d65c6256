"""Recording a group session: the API's record, and the session page's register form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def page_form(session: dict[str, Any], facilitator_id: int | None, **over: str) -> dict[str, str]:
    """The session page's register form for `session`, filled in whole: the facilitator there,
    every child present, every activity delivered, the checklist's first item ticked."""
    form = {
        "version": str(session["version"]),
        f"facilitator-{facilitator_id}": "yes",
        "check-0": "yes",
    }
    form.update({f"attendance-{c['child_id']}": "present" for c in session["roster"]})
    form.update({f"coverage-{a['id']}": "delivered" for a in session["lesson"]["activities"]})
    form.update(over)
    return form


def full_record(
    session: dict[str, Any], facilitators: Sequence[int | None], absent: int = 0, **over: Any
) -> dict[str, Any]:
    """A whole record of `session` (as the API reads it): the first `absent` children of the
    roster absent, the rest present, every activity delivered; `over` replaces any part."""
    roster = session["roster"]
    return {
        "version": session["version"],
        "facilitators_present": facilitators,
        "attendance": [
            {"child_id": c["child_id"], "status": "absent" if i < absent else "present"}
            for i, c in enumerate(roster)
        ],
        "coverage": [
            {"activity_id": a["id"], "status": "delivered"} for a in session["lesson"]["activities"]
        ],
        "notes": "A good group.",
        "checklist": {"Every child had a turn": True},
        **over,
    }
