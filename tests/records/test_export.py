"""Subject access: a child's export holds everything on record about them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.fixtures import MakeChild


def test_export_holds_everything_on_the_child(
    lead_api: TestClient,
    cohort: dict[str, Any],
    make_child: MakeChild,
) -> None:
    child = make_child()
    lead_api.post(
        f"/api/v1/cohorts/{cohort['id']}/enrolments",
        json={"child_id": child["id"], "start_date": "2026-09-07"},
    )
    export = lead_api.get(f"/api/v1/children/{child['id']}/export").json()
    assert export["child"]["reference"] == child["reference"]
    assert export["enrolments"][0]["cohort"] == "Monday group"
    assert export["history"][0]["action"] == "create"
