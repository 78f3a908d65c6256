"""A child's life events through the API: record, list, correct, delete; bad input; who may."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.outcomes.models import LifeEvent
from tests.support.fixtures import MakeChild
from tests.support.people import People, Signed
from tests.support.rows import count_rows


def _url(child: dict[str, Any]) -> str:
    return f"/api/v1/children/{child['id']}/events"


def test_record_list_correct_and_delete(lead_api: TestClient, make_child: MakeChild) -> None:
    child = make_child()
    first = lead_api.post(
        _url(child), json={"kind": "placement_move", "date": "2026-11-02", "note": "New carer"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["kind"] == "placement_move"
    assert first.json()["note"] == "New carer"
    second = lead_api.post(_url(child), json={"kind": "school_exclusion", "date": "2027-01-15"})
    assert second.status_code == 201
    assert second.json()["note"] is None
    listed = lead_api.get(_url(child)).json()
    assert [e["kind"] for e in listed] == ["school_exclusion", "placement_move"]  # latest first

    fixed = lead_api.patch(
        f"{_url(child)}/{first.json()['id']}", json={"kind": "residential_placement"}
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["kind"] == "residential_placement"
    assert fixed.json()["date"] == "2026-11-02"
    assert fixed.json()["note"] == "New carer"  # untouched when not given
    cleared = lead_api.patch(f"{_url(child)}/{first.json()['id']}", json={"note": None})
    assert cleared.json()["note"] is None

    gone = lead_api.delete(f"{_url(child)}/{second.json()['id']}")
    assert gone.status_code == 204
    assert [e["id"] for e in lead_api.get(_url(child)).json()] == [first.json()["id"]]
    assert lead_api.delete(f"{_url(child)}/{second.json()['id']}").status_code == 404


def test_audit_keeps_kind_and_date_but_never_the_note(
    lead_api: TestClient, make_child: MakeChild
) -> None:
    child = make_child()
    made = lead_api.post(
        _url(child), json={"kind": "police_contact", "date": "2027-02-01", "note": "SECRET-NOTE"}
    ).json()
    lead_api.patch(
        f"{_url(child)}/{made['id']}", json={"note": "OTHER-SECRET", "date": "2027-02-02"}
    )
    lead_api.delete(f"{_url(child)}/{made['id']}")
    audit = lead_api.get("/api/v1/audit", params={"entity": "life_event"}).json()["items"]
    assert [e["action"] for e in audit] == ["delete", "update", "create"]
    create = audit[2]["stored_changes"]
    assert create["kind"] == [None, "police_contact"]
    assert create["date"] == [None, "2027-02-01"]
    assert create["note"] == "written"
    assert audit[1]["stored_changes"]["date"] == ["2027-02-01", "2027-02-02"]
    assert audit[1]["stored_changes"]["note"] == "changed"
    assert audit[0]["stored_changes"]["kind"] == ["police_contact", None]
    text = str(audit)
    assert "SECRET-NOTE" not in text
    assert "OTHER-SECRET" not in text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "alien_abduction", "date": "2027-01-01"}, "kind"),
        ({"date": "2027-01-01"}, "kind"),
        ({"kind": "adoption"}, "date"),
        ({"kind": "adoption", "date": "2027-03-11"}, "date"),  # tomorrow (clock: 10 March 2027)
        ({"kind": "adoption", "date": "2016-02-29"}, "date"),  # before birth (1 March 2016)
        ({"kind": "adoption", "date": "1 March 2027"}, "date"),
        ({"kind": "adoption", "date": "2027-01-01", "note": "x" * 2001}, "note"),
        ({"kind": "adoption", "date": "2027-01-01", "colour": "red"}, "colour"),
    ],
)
def test_bad_event_is_422_and_stores_nothing(
    lead_api: TestClient, make_child: MakeChild, db: Session, body: dict[str, Any], field: str
) -> None:
    child = make_child()
    response = lead_api.post(_url(child), json=body)
    assert response.status_code == 422, response.text
    assert any(field in e["loc"] for e in response.json()["errors"])
    assert count_rows(db, LifeEvent) == 0


def test_edges_today_birth_and_a_note_of_2000(lead_api: TestClient, make_child: MakeChild) -> None:
    child = make_child()
    for body in (
        {"kind": "adoption", "date": "2027-03-10"},
        {"kind": "adoption", "date": "2016-03-01"},
        {"kind": "adoption", "date": "2027-01-01", "note": "x" * 2000},
    ):
        assert lead_api.post(_url(child), json=body).status_code == 201


def test_bad_correction_is_422_and_changes_nothing(
    lead_api: TestClient, make_child: MakeChild
) -> None:
    child = make_child()
    made = lead_api.post(_url(child), json={"kind": "adoption", "date": "2027-01-01"}).json()
    url = f"{_url(child)}/{made['id']}"
    for body in ({"date": "2099-01-01"}, {"kind": None}, {"date": None}, {"kind": "nope"}):
        assert lead_api.patch(url, json=body).status_code == 422, body
    assert lead_api.get(_url(child)).json()[0]["date"] == "2027-01-01"
    assert lead_api.get(_url(child)).json()[0]["kind"] == "adoption"


def test_only_leads_and_admins_of_the_organisation(
    lead_api: TestClient, make_child: MakeChild, signed: Signed, people: People, db: Session
) -> None:
    child = make_child()
    made = lead_api.post(_url(child), json={"kind": "adoption", "date": "2027-01-01"}).json()
    admin = signed.api(people.admin)
    assert admin.get(_url(child)).status_code == 200
    for user, status in (
        (people.facilitator, 403),
        (people.mentor, 403),
        (people.other_admin, 404),
    ):
        client = signed.api(user)
        assert client.get(_url(child)).status_code == status
        body = {"kind": "adoption", "date": "2027-01-02"}
        assert client.post(_url(child), json=body).status_code == status
        assert client.patch(f"{_url(child)}/{made['id']}", json=body).status_code == status
        assert client.delete(f"{_url(child)}/{made['id']}").status_code == status
    assert count_rows(db, LifeEvent) == 1
    # Another child's event is not found through this child.
    other = make_child()
    assert lead_api.delete(f"{_url(other)}/{made['id']}").status_code == 404


def test_the_audit_page_shows_life_events_without_the_note(
    lead_api: TestClient, signed: Signed, people: People, make_child: MakeChild
) -> None:
    child = make_child()
    lead_api.post(
        _url(child), json={"kind": "police_contact", "date": "2027-02-01", "note": "SECRET-NOTE"}
    )
    page = signed.pages(people.lead).get("/audit", params={"entity": "life_event"})
    assert page.status_code == 200
    assert "Kind set to Police contact" in page.text
    assert "SECRET-NOTE" not in page.text
