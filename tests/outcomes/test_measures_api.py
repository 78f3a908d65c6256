"""GET /api/v1/measures (API.md "Outcomes") and the /outcomes/measures page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, delete

from app.outcomes.models import Measure
from tests.support.people import PageClient, People, Signed

TIMEPOINTS = ["baseline", "end", "follow_up_6m", "follow_up_12m"]


def test_lists_the_loaded_measures_in_the_contract_shape(lead_api: TestClient) -> None:
    response = lead_api.get("/api/v1/measures")
    assert response.status_code == 200
    by_key = {m["key"]: m for m in response.json()}
    assert set(by_key) == {"sdq", "who5"}
    sdq = by_key["sdq"]
    assert {"key", "name", "informants", "scales", "timepoints"} <= sdq.keys()
    assert sdq["informants"] == ["carer", "teacher", "self"]
    assert sdq["timepoints"] == TIMEPOINTS
    scales = {s["key"]: s for s in sdq["scales"]}
    assert list(scales) == [
        "emotional",
        "conduct",
        "hyperactivity",
        "peer",
        "prosocial",
        "total_difficulties",
    ]
    for key in ("emotional", "conduct", "hyperactivity", "peer"):
        assert (scales[key]["min"], scales[key]["max"], scales[key]["higher_is"]) == (
            0,
            10,
            "worse",
        )
    assert scales["prosocial"]["higher_is"] == "better"
    assert (scales["total_difficulties"]["max"], scales["total_difficulties"]["higher_is"]) == (
        40,
        "worse",
    )
    who5 = by_key["who5"]
    assert who5["informants"] == ["self"]
    assert who5["scales"] == [
        {"key": "wellbeing", "name": "Wellbeing (percentage score)", "min": 0, "max": 100,
         "higher_is": "better"}
    ]  # fmt: skip


def test_every_role_and_organisation_reads_them(signed: Signed, people: People) -> None:
    for user in (people.admin, people.facilitator, people.mentor, people.other_admin):
        response = signed.api(user).get("/api/v1/measures")
        assert response.status_code == 200
        assert len(response.json()) == 2


def test_signed_out_is_401_problem(client: TestClient) -> None:
    response = client.get("/api/v1/measures")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_only_the_latest_version_is_listed(lead_api: TestClient, db: Session) -> None:
    from app.outcomes.service import get_measure

    row, _definition = get_measure(db, "sdq")
    changed = {**row.definition, "name": "SDQ, version two", "version": 2}
    db.add(
        Measure(
            key="sdq",
            version=2,
            name="SDQ, version two",
            content_hash="0" * 64,
            definition=changed,
            loaded_at=row.loaded_at,
        )
    )
    db.commit()
    names = [m["name"] for m in lead_api.get("/api/v1/measures").json()]
    assert names.count("SDQ, version two") == 1
    assert "Strengths and Difficulties Questionnaire (SDQ)" not in names


def test_no_measures_is_an_empty_list(lead_api: TestClient, db: Session) -> None:
    db.exec(delete(Measure))
    db.commit()
    response = lead_api.get("/api/v1/measures")
    assert (response.status_code, response.json()) == (200, [])


def test_the_page_shows_informants_scales_licence_and_sources(lead_pages: PageClient) -> None:
    response = lead_pages.get("/outcomes/measures")
    assert response.status_code == 200
    html = response.text
    assert "Strengths and Difficulties Questionnaire (SDQ)" in html
    assert "Parent or carer (parent/carer form)" in html
    assert "Total difficulties" in html
    assert "the sum of emotional, conduct, hyperactivity, peer" in html
    assert "0 to 40" in html
    assert "Youthinmind" in html
    assert "Goodman R (2001)" in html
    assert "CC BY-NC-SA 3.0 IGO" in html
    assert "I have felt cheerful and in good spirits" in html  # the WHO-5 allows its items
    assert "<caption" in html
    assert 'scope="row"' in html


def test_the_page_says_when_nothing_is_loaded(lead_pages: PageClient, db: Session) -> None:
    db.exec(delete(Measure))
    db.commit()
    response = lead_pages.get("/outcomes/measures")
    assert response.status_code == 200
    assert "tandem outcomes load" in response.text


def test_the_page_sends_the_signed_out_to_sign_in(client: TestClient) -> None:
    response = client.get("/outcomes/measures", follow_redirects=False)
    assert response.status_code == 303
    assert "/login" in response.headers["location"]
