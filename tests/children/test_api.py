"""Children through the API: register, search, read, correct; who may see them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.children.models import Child
from tests.support.fixtures import MakeChild
from tests.support.people import People, Signed
from tests.support.rows import count_rows


def test_create_search_view_edit_child(lead_api: TestClient, make_child: MakeChild) -> None:
    child = make_child(
        first_name="Amira",
        reference="LA-0042",
        languages=["arabic", "english"],
        preferences={"mentor_gender": "girl_or_woman", "same_ethnicity": True},
    )
    assert child["preferences"] == {
        "mentor_gender": "girl_or_woman",
        "same_ethnicity": True,
        "languages": [],
    }
    make_child(first_name="Tomasz")
    assert [
        c["first_name"] for c in lead_api.get("/api/v1/children", params={"q": "ami"}).json()
    ] == ["Amira"]
    assert [
        c["reference"] for c in lead_api.get("/api/v1/children", params={"q": "la-00"}).json()
    ] == ["LA-0042"]
    assert lead_api.get(f"/api/v1/children/{child['id']}").json()["first_name"] == "Amira"
    edited = lead_api.patch(f"/api/v1/children/{child['id']}", json={"interests": ["football"]})
    assert edited.status_code == 200
    assert edited.json()["interests"] == ["football"]
    audit = lead_api.get("/api/v1/audit", params={"entity": "child"}).json()["items"]
    assert audit[0]["action"] == "update"
    assert audit[0]["stored_changes"]["interests"] == [[], ["football"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_of_birth": "2030-01-01"}, "date_of_birth"),
        ({"date_of_birth": "2000-01-01"}, "date_of_birth"),
        ({"date_of_birth": "01/02/2016"}, "date_of_birth"),
        ({"placement_type": "hotel"}, "placement_type"),
        ({"reference": ""}, "reference"),
        ({"reference": "has spaces in it"}, "reference"),
        ({"consent_given_on": "2099-01-01"}, "consent_given_on"),
        ({"first_name": None}, "first_name"),
        ({"address": "1 High Street"}, "address"),
    ],
)
def test_bad_child_is_422_and_stores_nothing(
    lead_api: TestClient, db: Session, change: dict[str, Any], field: str
) -> None:
    body = {
        "reference": "CH-1",
        "first_name": "Sam",
        "date_of_birth": "2016-03-01",
        "placement_type": "kinship",
        "consent_given_by": "Aunt",
        "consent_given_on": "2026-09-01",
        **change,
    }
    response = lead_api.post("/api/v1/children", json=body)
    assert response.status_code == 422, response.text
    assert any(field in e["loc"] for e in response.json()["errors"])
    assert count_rows(db, Child) == 0


def test_duplicate_reference_is_409_but_other_org_may_reuse_it(
    lead_api: TestClient,
    signed: Signed,
    people: People,
    make_child: MakeChild,
) -> None:
    child = make_child(reference="REF-1")
    dup = lead_api.post("/api/v1/children", json={**child, "id": None} | {"first_name": "Other"})
    assert dup.status_code == 422  # extra fields are refused before anything else
    body = {
        k: child[k]
        for k in (
            "reference",
            "first_name",
            "date_of_birth",
            "placement_type",
            "consent_given_by",
            "consent_given_on",
        )
    }
    assert lead_api.post("/api/v1/children", json=body).status_code == 409
    assert signed.api(people.other_lead).post("/api/v1/children", json=body).status_code == 201


def test_children_are_private_to_their_organisation_and_role(
    signed: Signed,
    people: People,
    make_child: MakeChild,
) -> None:
    child = make_child()
    other = signed.api(people.other_lead)
    assert other.get(f"/api/v1/children/{child['id']}").status_code == 404
    assert other.get("/api/v1/children").json() == []
    assert other.get(f"/api/v1/children/{child['id']}/export").status_code == 404
    mentor = signed.api(people.mentor)
    assert mentor.get("/api/v1/children").json() == []
    assert mentor.get(f"/api/v1/children/{child['id']}").status_code == 404
    assert mentor.post("/api/v1/children", json={}).status_code == 403


def test_search_treats_wildcards_as_text(lead_api: TestClient, make_child: MakeChild) -> None:
    make_child(reference="AB_1")
    make_child(reference="ABC1")
    found = lead_api.get("/api/v1/children", params={"q": "b_"}).json()
    assert [c["reference"] for c in found] == ["AB_1"]
    assert lead_api.get("/api/v1/children", params={"q": "%"}).json() == []


def test_a_child_past_the_age_range_can_still_be_corrected(
    lead_api: TestClient,
    make_child: MakeChild,
    db: Session,
) -> None:
    child = make_child()
    row = db.get(Child, child["id"])
    assert row is not None
    assert row.date_of_birth is not None
    row.date_of_birth = row.date_of_birth.replace(year=2000)  # has since turned 19+
    db.add(row)
    db.commit()
    response = lead_api.patch(f"/api/v1/children/{child['id']}", json={"interests": ["art"]})
    assert response.status_code == 200, response.text
