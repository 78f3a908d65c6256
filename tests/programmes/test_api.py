"""The programmes API: setting one up, changing it, and every refusal leaving nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from app.auth.models import Role
from app.exceptions import Conflict
from app.programmes import service
from app.programmes.models import Programme
from app.programmes.schemas import ProgrammeUpdate
from tests.programmes.conftest import GROUPS, IV, MakeProgramme
from tests.support.auth import assert_problem, audit_events, count, error_fields
from tests.support.people import People, Signed


def _fhf(admin_api: TestClient) -> dict[str, Any]:
    fhf = admin_api.get("/api/v1/programmes").json()[0]
    assert fhf["kind"] == "group_and_mentoring"
    assert isinstance(fhf, dict)
    return fhf


def _row(db: Session, programme_id: int) -> dict[str, Any]:
    db.expire_all()
    row = db.get(Programme, programme_id)
    assert row is not None
    return row.model_dump()


def test_an_admin_sets_up_an_independent_visitor_service(
    admin_api: TestClient, db: Session, people: People
) -> None:
    response = admin_api.post("/api/v1/programmes", json=IV)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "independent_visitor"
    assert body["has_groups"] is False
    assert body["visit_band"] == {"per": "month", "min_hours": 1.0, "max_hours": 200.0}
    assert body["match_length_months"] is None
    assert body["version"] == 1
    names = [p["name"] for p in admin_api.get("/api/v1/programmes").json()]
    assert names == ["Fostering Healthy Futures (FHF-PT)", "Independent Visitors"]
    (event,) = audit_events(db, entity="programme", entity_id=body["id"])
    assert event.action == "create"
    assert event.actor_id == people.admin.id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"visit_band": {"per": "month", "min_hours": 3, "max_hours": 1}}, "visit_band"),
        ({"visit_band": {"per": "week", "min_hours": 5, "max_hours": 4}}, "visit_band"),
        ({"age_min": 12, "age_max": 9}, "body"),
        ({"curriculum_id": 999_999}, "curriculum_id"),
        ({"caseload_max": 0}, "caseload_max"),
        ({"kind": "scouts"}, "kind"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(
    admin_api: TestClient, db: Session, change: dict[str, Any], field: str
) -> None:
    before = count(db, Programme)
    events = len(audit_events(db, entity="programme"))
    response = admin_api.post("/api/v1/programmes", json={**IV, **change})
    body = assert_problem(response, 422)
    assert any(field in name for name in error_fields(body)), body
    assert count(db, Programme) == before
    assert len(audit_events(db, entity="programme")) == events


def test_a_monthly_band_with_its_minimum_above_its_maximum_names_the_figures(
    admin_api: TestClient,
) -> None:
    response = admin_api.post(
        "/api/v1/programmes",
        json={**IV, "visit_band": {"per": "month", "min_hours": 3, "max_hours": 1}},
    )
    body = assert_problem(response, 422)
    assert "min_hours (3) is above max_hours (1)" in str(body)


def test_a_duplicate_name_is_a_conflict(admin_api: TestClient, db: Session) -> None:
    before = count(db, Programme)
    response = admin_api.post(
        "/api/v1/programmes", json={**GROUPS, "name": "Fostering Healthy Futures (FHF-PT)"}
    )
    assert_problem(response, 409)
    assert count(db, Programme) == before


def test_a_curriculum_without_group_weeks_suits_only_a_programme_without_groups(
    admin_api: TestClient, db: Session, guide_id: int
) -> None:
    refused = admin_api.post("/api/v1/programmes", json={**GROUPS, "curriculum_id": guide_id})
    body = assert_problem(refused, 422)
    assert "curriculum_id" in error_fields(body)
    assert "no group weeks" in str(body)
    befriending = {**IV, "name": "Befriending", "kind": "befriending", "curriculum_id": guide_id}
    made = admin_api.post("/api/v1/programmes", json=befriending)
    assert made.status_code == 201, made.text
    assert made.json()["curriculum_id"] == guide_id
    fhf = _fhf(admin_api)
    patched = admin_api.patch(
        f"/api/v1/programmes/{fhf['id']}",
        json={"version": fhf["version"], "curriculum_id": guide_id},
    )
    assert_problem(patched, 422)
    assert _row(db, fhf["id"])["curriculum_id"] is None


def test_an_admin_changes_the_settings_and_the_audit_says_what_changed(
    admin_api: TestClient, db: Session, make_programme: MakeProgramme
) -> None:
    iv = make_programme()
    response = admin_api.patch(
        f"/api/v1/programmes/{iv['id']}",
        json={"version": 1, "age_min": 8, "match_length_months": 24},
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["age_min"] == 8
    update = audit_events(db, entity="programme", entity_id=iv["id"], action="update")
    assert len(update) == 1
    assert update[0].changes == {"age_min": [5, 8], "match_length_months": [None, 24]}


@pytest.mark.parametrize(
    "change",
    [
        {"age_max": 4},  # below the stored youngest age (5)
        {
            "age_min": 18,
            "age_max": 25,
            "visit_band": {"per": "month", "min_hours": 9, "max_hours": 2},
        },
        {"name": "Fostering Healthy Futures (FHF-PT)"},
        {"kind": "befriending"},
        {"curriculum_id": 999_999},
        {"version": 2},
    ],
)
def test_a_refused_change_leaves_the_programme_and_the_audit_as_they_were(
    admin_api: TestClient, db: Session, make_programme: MakeProgramme, change: dict[str, Any]
) -> None:
    iv = make_programme()
    before = _row(db, iv["id"])
    events = len(audit_events(db, entity="programme"))
    response = admin_api.patch(f"/api/v1/programmes/{iv['id']}", json={"version": 1, **change})
    assert response.status_code in (409, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _row(db, iv["id"]) == before
    assert len(audit_events(db, entity="programme")) == events


def test_the_kind_cannot_change(admin_api: TestClient, make_programme: MakeProgramme) -> None:
    iv = make_programme()
    response = admin_api.patch(
        f"/api/v1/programmes/{iv['id']}", json={"version": 1, "kind": "befriending"}
    )
    body = assert_problem(response, 422)
    assert "kind" in error_fields(body)
    assert admin_api.get(f"/api/v1/programmes/{iv['id']}").json()["kind"] == "independent_visitor"


def test_a_stale_version_is_a_conflict_with_the_current_state(
    admin_api: TestClient, db: Session, make_programme: MakeProgramme
) -> None:
    iv = make_programme()
    first = admin_api.patch(f"/api/v1/programmes/{iv['id']}", json={"version": 1, "age_min": 6})
    assert first.status_code == 200
    before = _row(db, iv["id"])
    stale = admin_api.patch(f"/api/v1/programmes/{iv['id']}", json={"version": 1, "age_min": 7})
    body = assert_problem(stale, 409)
    assert body["current_version"] == 2
    assert body["current"]["age_min"] == 6
    assert _row(db, iv["id"]) == before


def test_two_admins_saving_the_same_version_one_is_saved_one_is_told(
    signed: Signed, people: People, db: Session
) -> None:
    second_admin = people.add(Role.admin, email="admin2@org-a.example.org", name="Second Admin")
    db.commit()
    first, second = signed.api(people.admin), signed.api(second_admin)
    (fhf,) = first.get("/api/v1/programmes").json()
    read = fhf["version"]
    won = first.patch(f"/api/v1/programmes/{fhf['id']}", json={"version": read, "age_min": 7})
    lost = second.patch(f"/api/v1/programmes/{fhf['id']}", json={"version": read, "age_min": 8})
    assert (won.status_code, lost.status_code) == (200, 409)
    assert lost.json()["current"]["age_min"] == 7
    row = _row(db, fhf["id"])
    assert (row["version"], row["age_min"]) == (read + 1, 7)
    assert len(audit_events(db, entity="programme", entity_id=fhf["id"], action="update")) == 1


def test_a_save_that_read_before_another_committed_is_refused_by_the_update_itself(
    db: Session, people: People, make_programme: MakeProgramme
) -> None:
    """The version check is the UPDATE's own WHERE: a save whose read predates another's
    commit (its session still holds version 1) moves nothing and is told."""
    iv = make_programme()
    stale_copy = service.get_programme(db, people.org.id or 0, iv["id"])
    assert stale_copy.version == 1
    # Another request's save, committed behind this session's back.
    db.execute(update(Programme).where(col(Programme.id) == iv["id"]).values(version=2, age_min=6))
    with pytest.raises(Conflict) as refused:
        service.update_programme(
            db,
            actor=people.admin,
            programme_id=iv["id"],
            data=ProgrammeUpdate(version=1, age_min=9),
        )
    assert refused.value.extra["current_version"] == 2
    row = _row(db, iv["id"])
    assert (row["version"], row["age_min"]) == (2, 6)


def test_another_organisation_never_finds_the_programme(
    signed: Signed, people: People, admin_api: TestClient
) -> None:
    fhf = _fhf(admin_api)
    other = signed.api(people.other_admin)
    assert other.get(f"/api/v1/programmes/{fhf['id']}").status_code == 404
    patched = other.patch(f"/api/v1/programmes/{fhf['id']}", json={"version": 1, "age_min": 1})
    assert patched.status_code == 404
