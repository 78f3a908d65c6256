"""Enrolling children in a cohort through the API: who may join, when, and withdrawing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.cohorts.models import Enrolment
from tests.support.fixtures import MakeChild
from tests.support.people import People
from tests.support.rows import count_rows


def test_enrolment_rules(
    lead_api: TestClient, cohort: dict[str, Any], make_child: MakeChild, db: Session
) -> None:
    url = f"/api/v1/cohorts/{cohort['id']}/enrolments"
    # Aged 9-11 on the cohort's first date, or an override reason (audited).
    too_young = make_child(date_of_birth="2019-01-01")
    refused = lead_api.post(url, json={"child_id": too_young["id"]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "eligibility_override"]
    allowed = lead_api.post(
        url,
        json={
            "child_id": too_young["id"],
            "eligibility_override": "Sibling in group",
            "start_date": "2026-09-07",
        },
    )
    assert allowed.status_code == 201
    assert allowed.json()["eligibility_override"] == "Sibling in group"
    # Unknown child, or another organisation's: a clear 422 on the field.
    assert lead_api.post(url, json={"child_id": 999999}).json()["errors"][0]["loc"] == [
        "body",
        "child_id",
    ]
    # At most 10 active children.
    for _ in range(9):
        assert (
            lead_api.post(
                url, json={"child_id": make_child()["id"], "start_date": "2026-09-07"}
            ).status_code
            == 201
        )
    eleventh = make_child()
    before = count_rows(db, Enrolment)
    full = lead_api.post(url, json={"child_id": eleventh["id"]})
    assert full.status_code == 409
    assert count_rows(db, Enrolment) == before


def test_one_active_cohort_per_child_and_withdrawal(
    lead_api: TestClient,
    cohort: dict[str, Any],
    cohort_body: dict[str, Any],
    make_child: MakeChild,
    people: People,
    db: Session,
) -> None:
    child = make_child()
    first = lead_api.post(
        f"/api/v1/cohorts/{cohort['id']}/enrolments",
        json={"child_id": child["id"], "start_date": "2026-09-07"},
    ).json()
    second_cohort = lead_api.post(
        "/api/v1/cohorts",
        json={**cohort_body, "name": "Wednesday group", "start_date": "2026-09-09"},
    ).json()
    again = lead_api.post(
        f"/api/v1/cohorts/{second_cohort['id']}/enrolments", json={"child_id": child["id"]}
    )
    assert again.status_code == 409
    assert "Monday group" in again.json()["detail"]
    # Withdraw (not before the start), then the child may join another cohort.
    early = lead_api.post(
        f"/api/v1/enrolments/{first['id']}/withdraw", json={"date": "2026-09-01", "reason": "Moved"}
    )
    assert early.status_code == 422
    withdrawn = lead_api.post(
        f"/api/v1/enrolments/{first['id']}/withdraw",
        json={"date": "2026-10-01", "reason": "Moved placement"},
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["end_date"] == "2026-10-01"
    twice = lead_api.post(
        f"/api/v1/enrolments/{first['id']}/withdraw", json={"date": "2026-10-02", "reason": "again"}
    )
    assert twice.status_code == 409
    assert (
        lead_api.post(
            f"/api/v1/cohorts/{second_cohort['id']}/enrolments", json={"child_id": child["id"]}
        ).status_code
        == 201
    )


def test_enrolment_start_date_defaults_to_the_later_of_first_date_and_today(
    lead_api: TestClient,
    cohort_body: dict[str, Any],
    make_child: MakeChild,
) -> None:
    running = lead_api.post(
        "/api/v1/cohorts", json={**cohort_body, "start_date": "2025-09-08"}
    ).json()
    child = make_child(date_of_birth="2015-06-01")
    enrolled = lead_api.post(
        f"/api/v1/cohorts/{running['id']}/enrolments", json={"child_id": child["id"]}
    ).json()
    assert enrolled["start_date"] > "2025-09-08"  # today, in the organisation's timezone
