"""The audit trail in words (issue 15): named records, field-level changes, filters, paging,
the CSV, sign-ins on their own, bad filters and a fixed number of queries per page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditEvent
from tests.audit.support import text_of
from tests.support.auth import assert_error_summary, assert_page, assert_problem, count
from tests.support.clock import Clock
from tests.support.mentoring import Mentees
from tests.support.people import PageClient, People, Signed
from tests.support.queries import CountQueries


def _items(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v1/audit", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _csv(api: TestClient, **params: Any) -> list[dict[str, str]]:
    response = api.get("/api/v1/audit.csv", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))


def _correct_ben(mentees: Mentees, facilitator_id: int) -> dict[str, Any]:
    """Ben missed the first session; the register is corrected: he came late, by bus."""
    api = mentees.lead_api
    session_id = mentees.cohort["sessions"][0]["id"]
    session: dict[str, Any] = api.get(f"/api/v1/sessions/{session_id}").json()
    body = {
        "version": session["version"],
        "facilitators_present": [facilitator_id],
        "attendance": [
            {"child_id": c["child_id"], "status": "present"}
            if c["child_id"] != mentees.ben["id"]
            else {"child_id": c["child_id"], "status": "late", "note": "Bus was late"}
            for c in session["roster"]
        ],
        "coverage": [
            {"activity_id": a["id"], "status": "delivered"} for a in session["lesson"]["activities"]
        ],
    }
    response = api.put(f"/api/v1/sessions/{session_id}/record", json=body)
    assert response.status_code == 200, response.text
    return session


# Named records and field-level changes -------------------------------------------------------


def test_register_correction_in_words(mentees: Mentees, people: People) -> None:
    _correct_ben(mentees, people.facilitator.id or 0)
    item = _items(mentees.lead_api, entity="session", entity_id=mentees.cohort["sessions"][0]["id"])
    correction = next(i for i in item if i["action"] == "correct")
    ben = f"Ben ({mentees.ben['reference']})"
    first = mentees.first
    assert correction["label"] == f"Monday group, {first.day} {first:%B %Y}"
    assert correction["actor"] == people.lead.name
    changes = correction["changes"]
    assert {"field": f"{ben}: attendance", "old": "Absent", "new": "Late"} in changes
    assert {"field": f"{ben}: note", "old": None, "new": "Bus was late"} in changes
    # Amira was there both times: nothing about her.
    assert not [c for c in changes if "Amira" in c["field"]]
    # The stored shape is still there, as before.
    assert "attendance" in correction["stored_changes"]


def test_register_correction_on_the_page(
    mentees: Mentees, people: People, lead_pages: PageClient
) -> None:
    _correct_ben(mentees, people.facilitator.id or 0)
    html = assert_page(lead_pages.get("/audit", params={"entity": "session"}), 200)
    text = text_of(html)
    ben = f"Ben ({mentees.ben['reference']})"
    assert f"{ben}: attendance: Absent → changed to Late" in text
    assert f"{ben}: note set to Bus was late" in text
    assert "Register corrected: Monday group" in text


def test_created_records_read_set_to(lead_api: TestClient, make_child: Any, people: People) -> None:
    child = make_child(first_name="Ben", reference="DEMO-02", date_of_birth="2016-03-01")
    (created,) = _items(lead_api, entity="child", entity_id=child["id"])
    assert created["label"] == "Ben (DEMO-02)"
    changes = {c["field"]: c for c in created["changes"]}
    assert changes["Date of birth"] == {
        "field": "Date of birth",
        "old": None,
        "new": "1 March 2016",
    }
    assert changes["Placement type"]["new"] == "Foster"
    assert changes["First name"]["new"] == "Ben"


def test_people_and_roles_in_words(admin_api: TestClient, people: People) -> None:
    admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"role": "facilitator"})
    events = _items(admin_api, entity="user", entity_id=people.mentor.id, kind="changes")
    (update,) = [i for i in events if i["action"] == "update"]
    assert update["label"] == people.mentor.name
    assert update["changes"] == [{"field": "Role", "old": "Mentor", "new": "Facilitator"}]
    assert update["actor"] == update["actor_name"] == people.admin.name


def test_cohort_ids_become_names(lead_api: TestClient, mentees: Mentees, people: People) -> None:
    (created,) = _items(lead_api, entity="cohort", entity_id=mentees.cohort["id"])
    assert created["label"] == "Monday group"
    facilitators = next(c for c in created["changes"] if c["field"] == "Facilitators")
    assert people.facilitator.name in facilitators["new"]
    enrolments = _items(lead_api, entity="enrolment")
    assert {e["label"] for e in enrolments} == {
        f"Amira ({mentees.amira['reference']}) in Monday group",
        f"Ben ({mentees.ben['reference']}) in Monday group",
    }
    match = _items(lead_api, entity="match", entity_id=mentees.ben_match)[0]
    assert match["label"] == f"Ben ({mentees.ben['reference']}) with {people.mentor.name}"


# A fixed number of queries per page ----------------------------------------------------------


def test_queries_do_not_grow_with_rows(
    mentees: Mentees, people: People, make_child: Any, count_queries: CountQueries
) -> None:
    api = mentees.lead_api
    with count_queries() as few:
        assert len(_items(api, limit=5)) == 5
    for n in range(12):
        child = make_child(first_name=f"Extra{n}")
        api.patch(f"/api/v1/children/{child['id']}", json={"first_name": f"Renamed{n}"})
    _correct_ben(mentees, people.facilitator.id or 0)
    with count_queries() as many:
        items = _items(api, limit=200)
    assert len(items) > 40
    assert {i["entity"] for i in items} >= {"child", "cohort", "enrolment", "match", "session"}
    assert many.count <= few.count + 8  # one query per kind of record, never one per row


# Filters and paging ------------------------------------------------------------------------


def test_filter_by_person_days_and_kind(
    signed: Signed, people: People, clock: Clock, lead_api: TestClient, admin_api: TestClient
) -> None:
    start = clock.today
    admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"name": "Mentor on day one"})
    clock.shift(dt.timedelta(days=3))
    admin_api, lead_api = signed.api(people.admin), signed.api(people.lead)  # new tokens
    admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"name": "Mentor on day four"})
    later = clock.today

    by_admin = _items(lead_api, actor_id=people.admin.id, kind="changes")
    assert by_admin
    assert {i["actor_id"] for i in by_admin} == {people.admin.id}

    first_day = _items(lead_api, **{"from": start.isoformat(), "to": start.isoformat()})
    new_values = [c["new"] for i in first_day for c in i["changes"]]
    assert "Mentor on day one" in new_values
    assert "Mentor on day four" not in new_values
    since = _items(lead_api, **{"from": later.isoformat()}, kind="changes")
    assert [c["new"] for i in since for c in i["changes"]] == ["Mentor on day four"]

    sign_ins = _items(lead_api, kind="sign_ins")
    assert sign_ins
    assert {i["action"] for i in sign_ins} <= {
        "sign_in",
        "sign_out",
        "issue_token",
        "revoke_token",
        "lock",
    }
    assert not {i["action"] for i in _items(lead_api, kind="changes")} & {"sign_in", "issue_token"}


def test_paging_says_where_you_are(
    lead_api: TestClient, lead_pages: PageClient, make_child: Any, db: Session, people: People
) -> None:
    for n in range(105):
        make_child(first_name=f"Child{n}")
    total = count(
        db,
        AuditEvent,
        AuditEvent.org_id == people.org.id,
        AuditEvent.action.not_in(("sign_in", "sign_out", "issue_token", "revoke_token", "lock")),  # type: ignore[attr-defined]
    )
    assert total > 105
    html = assert_page(lead_pages.get("/audit", params={"page": 2}), 200)
    assert f"Showing 51 to 100 of {total} events" in html
    assert 'href="/audit?page=3"' in html
    filtered = assert_page(lead_pages.get("/audit", params={"entity": "child", "page": 2}), 200)
    assert "Showing 51 to 100 of 105 events" in filtered
    assert 'href="/audit?page=3&amp;entity=child"' in filtered
    page_three = lead_pages.get("/audit", params={"entity": "child", "page": 3}).text
    assert "Showing 101 to 105 of 105 events" in page_three
    past_the_end = lead_pages.get("/audit", params={"entity": "child", "page": 40}).text
    assert "Showing 101 to 105 of 105 events" in past_the_end
    assert "Page 3 of 3" in past_the_end
    api = lead_api.get("/api/v1/audit", params={"entity": "child", "limit": 50, "offset": 100})
    assert api.json()["total"] == 105
    assert len(api.json()["items"]) == 5


def test_page_filters_by_person_record_and_days(
    lead_pages: PageClient, people: People, make_child: Any, clock: Clock
) -> None:
    child = make_child(first_name="Ben", reference="DEMO-02")
    make_child(first_name="Cara", reference="DEMO-03")
    day = clock.today
    html = assert_page(
        lead_pages.get(
            "/audit",
            params={
                "actor": str(people.lead.id),
                "entity": "child",
                "entity_id": str(child["id"]),
                "from_date-day": str(day.day),
                "from_date-month": str(day.month),
                "from_date-year": str(day.year),
                "to_date-day": str(day.day),
                "to_date-month": str(day.month),
                "to_date-year": str(day.year),
            },
        ),
        200,
        "Changes to Ben (DEMO-02)",
        "Showing 1 to 1 of 1 event",
    )
    assert "DEMO-03" not in html
    assert f'<option value="{people.lead.id}" selected>' in html
    # The CSV link carries the same filter, in the API's words.
    assert f"/api/v1/audit.csv?actor_id={people.lead.id}&amp;entity=child" in html
    assert f"from={day.isoformat()}" in html


def test_sign_ins_have_their_own_page(
    lead_pages: PageClient, signed: Signed, people: People, admin_api: TestClient
) -> None:
    admin_api.patch(f"/api/v1/users/{people.mentor.id}", json={"name": "Renamed mentor"})
    signed.pages(people.facilitator)
    html = assert_page(lead_pages.get("/audit/sign-ins"), 200, "Signed in", 'aria-current="page"')
    assert f"{people.facilitator.name} Signed in" in text_of(html)
    assert "Name: Mentor of Org A → changed to Renamed mentor" not in text_of(html)
    changes = assert_page(lead_pages.get("/audit"), 200, "Sign-ins")
    assert "Name: Mentor of Org A → changed to Renamed mentor" in text_of(changes)
    assert f"{people.facilitator.name} Signed in" not in text_of(changes)
    assert 'href="/audit/sign-ins"' in changes


# The CSV ------------------------------------------------------------------------------------


def test_csv_is_the_filtered_view_with_references_only(
    mentees: Mentees, people: People, make_child: Any
) -> None:
    api = mentees.lead_api
    _correct_ben(mentees, people.facilitator.id or 0)
    make_child(first_name="Zed", consent_given_by="=HYPERLINK(1)")
    rows = _csv(api, kind="changes")
    assert list(rows[0]) == [
        "at",
        "actor",
        "action",
        "entity",
        "entity_id",
        "label",
        "field",
        "old",
        "new",
    ]
    ref = mentees.ben["reference"]
    text = str(rows)
    assert {"field": f"{ref}: attendance", "old": "Absent", "new": "Late"}.items() <= next(
        r for r in rows if r["field"] == f"{ref}: attendance"
    ).items()
    for name in ("Ben", "Amira", "Zed"):
        assert name not in text, f"{name} in the export"
    assert "'=HYPERLINK(1)" in text  # a formula made inert
    first_name = [r for r in rows if r["entity"] == "child" and r["field"] == "First name"]
    assert first_name
    assert {r["new"] for r in first_name} == {"changed (not in exports)"}
    only_ben = _csv(api, entity="child", entity_id=mentees.ben["id"])
    assert {r["label"] for r in only_ben} == {ref}
    assert len(_csv(api, limit=2)) >= 2


# Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2027-03-10", "to": "2027-03-09"},
        {"entity": "spaceship"},
        {"entity_id": "twelve"},
        {"actor_id": "x"},
        {"from": "10/03/2027"},
        {"kind": "everything"},
        {"limit": 501},
        {"offset": -1},
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit.csv"])
def test_bad_filters_are_422(
    lead_api: TestClient, db: Session, people: People, path: str, params: dict[str, Any]
) -> None:
    before = count(db, AuditEvent)
    assert_problem(lead_api.get(path, params=params), 422)
    assert count(db, AuditEvent) == before


def test_bad_filter_names_the_field(lead_api: TestClient, people: People) -> None:
    body = assert_problem(
        lead_api.get("/api/v1/audit", params={"from": "2027-03-10", "to": "2027-03-09"}), 422
    )
    assert "'to' date must be the same as or after the 'from' date" in str(body)
    other = assert_problem(
        lead_api.get("/api/v1/audit", params={"actor_id": people.other_lead.id}), 422
    )
    assert "person of your organisation" in str(other)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {
                "from_date-day": "10",
                "from_date-month": "3",
                "from_date-year": "2027",
                "to_date-day": "9",
                "to_date-month": "3",
                "to_date-year": "2027",
            },
            "to_date",
            "The 'to' date must be the same as or after the 'from' date",
        ),
        (
            {"from_date-day": "31", "from_date-month": "2", "from_date-year": "2027"},
            "from_date",
            "Enter a real from",
        ),
        ({"entity": "spaceship"}, "entity", "Choose what to show changes to from the list"),
        ({"entity_id": "twelve"}, "entity_id", "Record number must be a whole number"),
        ({"actor": "999999"}, "actor", "Choose who made the change from the list"),
    ],
)
def test_bad_filters_on_the_page(
    lead_pages: PageClient, params: dict[str, str], field: str, message: str
) -> None:
    html = assert_error_summary(lead_pages.get("/audit", params=params), 422, field, message)
    assert "Correct the filter above to see the events" in html
    assert "<title>Error: " in html


# Access and tenancy -------------------------------------------------------------------------


def test_another_organisation_never_appears(
    signed: Signed, people: People, mentees: Mentees
) -> None:
    other = signed.api(people.other_lead)
    ben = mentees.ben
    assert _items(other, entity="child", entity_id=ben["id"]) == []
    text = str(_items(other)) + str(_csv(other))
    assert ben["reference"] not in text
    assert "Monday group" not in text
    pages = signed.pages(people.other_lead)
    html = assert_page(pages.get("/audit", params={"entity": "child", "entity_id": ben["id"]}), 200)
    assert ben["reference"] not in html
    assert f"Changes to Child {ben['id']}" in html  # named only from its own organisation
    assert "No events match the filter" in html


@pytest.mark.parametrize("role", ["facilitator", "mentor"])
def test_only_leads_and_admins(signed: Signed, people: People, role: str) -> None:
    user = people.by_role(role)
    assert_problem(signed.api(user).get("/api/v1/audit.csv"), 403)
    assert_page(signed.pages(user).get("/audit/sign-ins"), 403)


def test_a_childs_page_links_to_its_trail(
    mentees: Mentees, lead_pages: PageClient, signed: Signed, people: People
) -> None:
    ben = mentees.ben["id"]
    link = f'href="/audit?entity=child&amp;entity_id={ben}"'
    assert_page(lead_pages.get(f"/children/{ben}"), 200, link)
    trail = assert_page(lead_pages.get(f"/audit?entity=child&entity_id={ben}"), 200)
    assert f"Changes to Ben ({mentees.ben['reference']})" in trail
    assert f"Create child: Ben ({mentees.ben['reference']})" in text_of(trail)
    facilitator = signed.pages(people.facilitator)
    assert link not in assert_page(facilitator.get(f"/children/{ben}"), 200)
