from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.cohorts.conftest import cohort, cohort_body, make_child, second_facilitator  # noqa: F401


@pytest.fixture
def enrolled(lead_api: TestClient, cohort: dict[str, Any], make_child) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]  # noqa: F811
    children = []
    for _ in range(10):
        child = make_child()
        response = lead_api.post(
            f"/api/v1/cohorts/{cohort['id']}/enrolments",
            json={"child_id": child["id"], "start_date": "2026-09-07"},
        )
        assert response.status_code == 201, response.text
        children.append(child)
    return children


@pytest.fixture
def first_session(lead_api: TestClient, cohort: dict[str, Any], enrolled) -> dict[str, Any]:  # type: ignore[no-untyped-def]  # noqa: F811
    return lead_api.get(f"/api/v1/sessions/{cohort['sessions'][0]['id']}").json()


def full_record(
    session: dict[str, Any], facilitators: list[int], absent: int = 0, **over: Any
) -> dict[str, Any]:
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


Record = Callable[..., dict[str, Any]]
