"""Who looked at a child's record: every opening of one child's record is noted (one INSERT,
no SELECT), lists are not, refusals note nothing; leads and admins read the last year's
looks (API and page), admins see them on the child's audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.audit.models import RecordView
from tests.audit.support import text_of
from tests.support.fixtures import MakeChild
from tests.support.people import People, Signed
from tests.support.queries import CountQueries

pytestmark = pytest.mark.clock("2027-03-10T10:00")
LONDON = ZoneInfo("Europe/London")
EVENT = {"kind": "placement_move", "date": "2027-02-01", "note": "New carer"}


def looks(db: Session, child_id: int | None = None) -> list[tuple[str, int | None]]:
    stmt = select(RecordView.what, RecordView.user_id).order_by(col(RecordView.id))
    if child_id is not None:
        stmt = stmt.where(RecordView.child_id == child_id)
    return [(what, user_id) for what, user_id in db.exec(stmt).all()]


def add_look(db: Session, people: People, child_id: int, at: dt.datetime, **over: Any) -> None:
    db.execute(
        insert(RecordView),
        {
            "org_id": people.org.id,
            "child_id": child_id,
            "user_id": people.lead.id,
            "at": at.astimezone(dt.UTC),
            "what": "record",
            **over,
        },
    )
    db.commit()


@pytest.fixture
def child(make_child: MakeChild) -> dict[str, Any]:
    return make_child(first_name="Looked-At", reference="LOOK-1")


def test_every_opening_of_the_record_is_noted(
    db: Session, signed: Signed, people: People, lead_api: TestClient, child: dict[str, Any]
) -> None:
    cid = child["id"]
    event = lead_api.post(f"/api/v1/children/{cid}/events", json=EVENT)
    assert event.status_code == 201, event.text
    pages = signed.pages(people.lead)
    admin = signed.pages(people.admin)
    opened = [
        (lead_api, f"/api/v1/children/{cid}", "record"),
        (pages, f"/children/{cid}", "record"),
        (lead_api, f"/api/v1/children/{cid}/export", "export"),
        (lead_api, f"/api/v1/children/{cid}/assessments", "outcomes"),
        (pages, f"/children/{cid}/assessments/new", "outcomes"),
        (lead_api, f"/api/v1/children/{cid}/events", "events"),
        (pages, f"/children/{cid}/events/{event.json()['id']}/edit", "events"),
        (lead_api, f"/api/v1/audit?entity=child&entity_id={cid}", "audit"),
        (admin, f"/audit?entity=child&entity_id={cid}", "audit"),
        (pages, f"/fidelity/children/{cid}", "fidelity"),
    ]
    for client, path, _ in opened:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
    lead, admin_id = people.lead.id, people.admin.id
    expected = [(what, admin_id if client is admin else lead) for client, _, what in opened]
    assert looks(db, cid) == expected
    row = db.exec(select(RecordView).where(RecordView.child_id == cid)).first()
    assert row is not None
    assert row.org_id == people.org.id
    # When it was opened (the clock starts at 10am and runs on through the test).
    assert dt.timedelta(0) <= row.at - dt.datetime(2027, 3, 10, 10, tzinfo=LONDON)
    assert row.at - dt.datetime(2027, 3, 10, 10, tzinfo=LONDON) < dt.timedelta(minutes=5)
    assert row.request_id  # the request's id, as its access log line has it


def test_lists_of_children_are_not_noted(
    db: Session, lead_api: TestClient, lead_pages: TestClient, child: dict[str, Any]
) -> None:
    for client, path in (
        (lead_api, "/api/v1/children"),
        (lead_api, "/api/v1/children?q=Looked"),
        (lead_pages, "/children"),
        (lead_pages, "/children?q=LOOK"),
        (lead_api, "/api/v1/audit"),  # the whole trail, not one child's
    ):
        assert client.get(path).status_code == 200, path
    assert looks(db) == []


def test_a_refused_or_missing_record_notes_nothing(
    db: Session, signed: Signed, people: People, lead_api: TestClient, child: dict[str, Any]
) -> None:
    cid = child["id"]
    facilitator = signed.api(people.facilitator)  # not one of their cohorts' children
    other = signed.api(people.other_admin)
    other_pages = signed.pages(people.other_admin)
    for client, path, status in (
        (facilitator, f"/api/v1/children/{cid}", 404),
        (signed.api(people.mentor), f"/api/v1/children/{cid}/export", 403),
        (facilitator, f"/api/v1/children/{cid}/events", 403),
        (other, f"/api/v1/children/{cid}", 404),
        (other, f"/api/v1/children/{cid}/export", 404),
        (other, f"/api/v1/children/{cid}/assessments", 404),
        (lead_api, "/api/v1/children/999999", 404),
        (lead_api, "/api/v1/children/999999/export", 404),
        (other, f"/api/v1/audit?entity=child&entity_id={cid}", 200),  # none of B's: no look
        (other_pages, f"/audit?entity=child&entity_id={cid}", 200),
    ):
        assert client.get(path).status_code == status, path
    assert looks(db) == []


def test_a_look_costs_one_insert_and_no_select(
    monkeypatch: pytest.MonkeyPatch,
    count_queries: CountQueries,
    lead_api: TestClient,
    child: dict[str, Any],
) -> None:
    path = f"/api/v1/children/{child['id']}"
    lead_api.get(path)  # warm: the first request of a token may do more
    real = audit.looked
    monkeypatch.setattr(audit, "looked", lambda *a, **k: None)
    with count_queries() as unnoted:
        assert lead_api.get(path).status_code == 200
    monkeypatch.setattr(audit, "looked", real)
    with count_queries() as noted:
        assert lead_api.get(path).status_code == 200
    assert noted.count == unnoted.count + 1, noted.statements
    touching = [s for s in noted.statements if "record_view" in s]
    assert len(touching) == 1
    assert touching[0].lstrip().upper().startswith("INSERT INTO RECORD_VIEW")


def test_lead_reads_who_looked_in_the_last_year(
    db: Session,
    people: People,
    lead_api: TestClient,
    child: dict[str, Any],
    make_child: MakeChild,
) -> None:
    cid = child["id"]
    other_child = make_child()
    # The year runs from 10 March 2026, midnight where the organisation is.
    add_look(db, people, cid, dt.datetime(2026, 3, 9, 23, 59, tzinfo=LONDON), what="export")
    add_look(db, people, cid, dt.datetime(2026, 3, 10, 0, 0, tzinfo=LONDON), what="outcomes")
    add_look(db, people, cid, dt.datetime(2027, 1, 5, 9, 0, tzinfo=LONDON), user_id=people.admin.id)
    add_look(db, people, other_child["id"], dt.datetime(2027, 1, 6, tzinfo=LONDON))
    body = lead_api.get(f"/api/v1/children/{cid}/views").json()
    assert body["since"] == "2026-03-10"
    assert body["total"] == 2
    first, second = body["items"]
    assert (first["name"], first["role"], first["what"]) == (people.admin.name, "admin", "record")
    assert first["what_words"] == "The child's page"
    assert dt.datetime.fromisoformat(first["at"]) == dt.datetime(2027, 1, 5, 9, tzinfo=LONDON)
    assert (second["user_id"], second["role"], second["what"]) == (
        people.lead.id,
        "lead",
        "outcomes",
    )
    # Reading who looked is not itself a look at the record.
    assert len(looks(db, cid)) == 3
    older = lead_api.get(f"/api/v1/children/{cid}/views", params={"since": "2026-03-09"}).json()
    assert older["total"] == 3
    assert older["items"][-1]["what"] == "export"
    paged = lead_api.get(
        f"/api/v1/children/{cid}/views", params={"since": "2026-01-01", "limit": 1, "offset": 1}
    ).json()
    assert paged["total"] == 3
    assert [i["what"] for i in paged["items"]] == ["outcomes"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2027-03-11"}, "since"),  # tomorrow
        ({"since": "10/03/2026"}, "since"),
        ({"since": "1899-12-31"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_bad_views_queries_are_refused(
    lead_api: TestClient, child: dict[str, Any], params: dict[str, str], field: str
) -> None:
    response = lead_api.get(f"/api/v1/children/{child['id']}/views", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(e["loc"][-1] == field for e in response.json()["errors"])


def test_who_looked_takes_a_fixed_number_of_queries(
    db: Session,
    people: People,
    count_queries: CountQueries,
    lead_api: TestClient,
    child: dict[str, Any],
) -> None:
    cid = child["id"]
    path = f"/api/v1/children/{cid}/views"
    add_look(db, people, cid, dt.datetime(2027, 3, 1, tzinfo=LONDON))
    lead_api.get(path)
    with count_queries() as few:
        assert lead_api.get(path).json()["total"] == 1
    for n in range(60):
        add_look(db, people, cid, dt.datetime(2027, 3, 2, tzinfo=LONDON) + dt.timedelta(minutes=n))
    with count_queries() as many:
        body = lead_api.get(path).json()
    assert (body["total"], len(body["items"])) == (61, 50)
    assert many.count == few.count


def test_the_views_page_says_who_when_and_what(
    db: Session, people: People, lead_pages: TestClient, child: dict[str, Any]
) -> None:
    cid = child["id"]
    empty = text_of(lead_pages.get(f"/children/{cid}/views").text)
    assert "Nobody has opened this record since 10 March 2026" in empty
    add_look(db, people, cid, dt.datetime(2026, 12, 1, 16, 30, tzinfo=LONDON), what="export")
    for n in range(51):
        add_look(db, people, cid, dt.datetime(2027, 1, 1, 9, tzinfo=LONDON) + dt.timedelta(days=n))
    response = lead_pages.get(f"/children/{cid}/views")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Who looked at this record in the last year" in text
    assert "Showing 1 to 50 of 52" in text
    assert f"{people.lead.name} Lead 20 February 2027 at 9am The child's page" in text
    assert "Page 1 of 2" in text
    last = text_of(lead_pages.get(f"/children/{cid}/views?page=2").text)
    assert "1 December 2026 at 4:30pm Their whole record (subject access download)" in last
    assert "Showing 51 to 52 of 52" in last
    beyond = text_of(lead_pages.get(f"/children/{cid}/views?page=9").text)
    assert "Page 2 of 2" in beyond
    # The child's page links to it, for leads and admins.
    page = lead_pages.get(f"/children/{cid}").text
    assert f'href="/children/{cid}/views"' in page


def test_the_child_page_has_no_link_for_others(
    signed: Signed, people: People, mentees: Any
) -> None:
    pages = signed.pages(people.mentor)
    response = pages.get(f"/children/{mentees.amira['id']}")
    assert response.status_code == 200
    assert "/views" not in response.text


def test_admins_see_who_looked_on_the_childs_audit_trail(
    db: Session,
    signed: Signed,
    people: People,
    child: dict[str, Any],
) -> None:
    cid = child["id"]
    add_look(db, people, cid, dt.datetime(2027, 2, 1, 11, tzinfo=LONDON), what="outcomes")
    for n in range(50):
        add_look(db, people, cid, dt.datetime(2027, 2, 2, 9, tzinfo=LONDON) + dt.timedelta(hours=n))
    admin = signed.pages(people.admin)
    trail = f"/audit?entity=child&entity_id={cid}"
    text = text_of(admin.get(trail).text)
    assert "Who looked" in text
    assert "51 times the record was opened" in text
    assert f"4 February 2027 at 10am {people.lead.name} Lead The child's page" in text
    second = text_of(admin.get(trail + "&views_page=2").text)
    assert "1 February 2027 at 11am" in second
    assert "Their outcomes (assessments)" in second
    # A lead reads the changes, not who looked (they have /children/{id}/views).
    lead_page = signed.pages(people.lead).get(trail).text
    assert 'id="who-looked"' not in lead_page
    # Another record's trail has no such section either.
    assert 'id="who-looked"' not in admin.get("/audit?entity=cohort&entity_id=1").text
