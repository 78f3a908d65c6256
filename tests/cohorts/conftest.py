from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role, User
from tests.conftest import People

MONDAY = dt.date(2026, 9, 7)


@pytest.fixture
def second_facilitator(people: People) -> User:
    user = people.add(
        Role.facilitator, email="facilitator2@org-a.example.org", name="Second Facilitator"
    )
    people.db.commit()
    return user


@pytest.fixture
def make_child(lead_api: TestClient) -> Callable[..., dict[str, Any]]:
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> dict[str, Any]:
        n = next(counter)
        body = {
            "reference": f"CH-{n:04d}",
            "first_name": f"Child{n}",
            "date_of_birth": "2016-03-01",
            "placement_type": "foster",
            "consent_given_by": "Social worker",
            "consent_given_on": "2026-09-01",
            **overrides,
        }
        response = lead_api.post("/api/v1/children", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def cohort_body(people: People, second_facilitator: User, curriculum_id: int) -> dict[str, Any]:
    return {
        "name": "Monday group",
        "curriculum_id": curriculum_id,
        "start_date": MONDAY.isoformat(),
        "start_time": "16:00",
        "duration_minutes": 90,
        "venue": "Community hall",
        "facilitator_ids": [people.facilitator.id, second_facilitator.id],
    }


@pytest.fixture
def cohort(lead_api: TestClient, cohort_body: dict[str, Any]) -> dict[str, Any]:
    response = lead_api.post("/api/v1/cohorts", json=cohort_body)
    assert response.status_code == 201, response.text
    return response.json()


def live(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((s for s in sessions if s["status"] != "cancelled"), key=lambda s: s["week"])


def count_rows(db: Session, model: type) -> int:
    from sqlmodel import func, select

    return int(db.exec(select(func.count()).select_from(model)).one())
