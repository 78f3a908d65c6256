"""Recording a group session through the API."""

from __future__ import annotations

from typing import Any


def full_record(
    session: dict[str, Any], facilitators: list[int], absent: int = 0, **over: Any
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
