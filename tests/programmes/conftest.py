"""Programmes' own fixtures: a second programme of organisation A, and a curriculum with no
group weeks (a mentoring guide)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.curriculum.models import Curriculum

IV = {
    "name": "Independent Visitors",
    "kind": "independent_visitor",
    "caseload_max": 2,
    "visit_band": {"per": "month", "min_hours": 1, "max_hours": 200},
    "age_min": 5,
    "age_max": 17,
}

GROUPS = {
    "name": "FHF-PT Thursdays",
    "kind": "group_and_mentoring",
    "caseload_max": 2,
    "visit_band": {"per": "week", "min_hours": 2, "max_hours": 4},
    "age_min": 9,
    "age_max": 11,
    "match_length_months": 6,
}

MakeProgramme = Callable[..., dict[str, Any]]


@pytest.fixture
def make_programme(admin_api: TestClient) -> MakeProgramme:
    """`make_programme(body, **overrides)`: a programme of organisation A, as the API
    returns it."""

    def make(body: dict[str, Any] = IV, **overrides: Any) -> dict[str, Any]:
        response = admin_api.post("/api/v1/programmes", json={**body, **overrides})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


@pytest.fixture
def guide_id(db: Session, curriculum_id: int) -> int:
    """A curriculum with no group weeks (`programme.weeks: 0`), loaded beside the FHF-PT one
    (curriculum_id is asked first: that fixture expects one curriculum)."""
    guide = Curriculum(
        slug="befriending-guide",
        version=1,
        title="Befriending guide",
        content_hash="0" * 64,
        programme={"weeks": 0, "age_min": 9, "age_max": 17},
        units=[{"key": "getting-started", "title": "Getting started", "description": ""}],
        loaded_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
    )
    db.add(guide)
    db.commit()
    assert guide.id is not None
    return guide.id
