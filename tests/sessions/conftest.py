from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.fixtures import MakeChild


@pytest.fixture
def enrolled(
    lead_api: TestClient, cohort: dict[str, Any], make_child: MakeChild
) -> list[dict[str, Any]]:
    """Ten children enrolled in the cohort from its first session."""
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
def first_session(
    lead_api: TestClient, cohort: dict[str, Any], enrolled: list[dict[str, Any]]
) -> dict[str, Any]:
    session: dict[str, Any] = lead_api.get(f"/api/v1/sessions/{cohort['sessions'][0]['id']}").json()
    return session
