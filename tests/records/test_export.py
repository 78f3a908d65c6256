"""Subject access: a child's export holds everything on record about them, as JSON and as a
page a lead can hand to a family; producing either is audited; a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent, RecordView
from app.fidelity.models import FlagAcknowledgement
from app.outcomes.models import Assessment, Timepoint
from tests.support.fixtures import MakeChild
from tests.support.mentoring import Mentees
from tests.support.people import People, Signed
from tests.support.queries import CountQueries

OLD_KEYS = {"exported_at", "child", "enrolments", "matches", "visits", "practice_assignments"}


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


def _now() -> dt.datetime:
    return dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _add_rows(db: Session, people: People, child_id: int, n: int, start: int = 0) -> None:
    """n more of the rows the export reads straight from tables: assessments (one per
    informant and timepoint), acknowledged flags, looks at the record."""
    informants = ["carer", "teacher", "self"]
    for i in range(start, start + n):
        db.add(
            Assessment(
                org_id=people.org.id or 0,
                child_id=child_id,
                measure_key="sdq",
                measure_version=1,
                informant=informants[i % 3],
                timepoint=list(Timepoint)[i // 3],
                completed_on=dt.date(2026, 10, 1),
                scores={"emotional": 3.0, "conduct": 2.0},
                created_by=people.lead.id,
                created_at=_now(),
                updated_at=_now(),
            )
        )
        db.add(
            FlagAcknowledgement(
                org_id=people.org.id or 0,
                kind="assessment_missed",
                subject=f"child={child_id},measure=m{i},timepoint=end",
                note=f"Carer declined {i}",
                on_date=dt.date(2026, 11, 2),
                acknowledged_by=people.lead.id or 0,
                acknowledged_at=_now(),
            )
        )
        db.add(
            RecordView(
                org_id=people.org.id or 0,
                child_id=child_id,
                user_id=people.facilitator.id,
                at=_now(),
                what="record",
            )
        )
    db.commit()


@pytest.fixture
def full(db: Session, people: People, mentees: Mentees) -> dict[str, Any]:
    """Amira with a register entry with a note, lesson notes (one naming her), a visit that
    worked on a practice task, an assessment, a life event, an acknowledged flag and a look
    at her record."""
    api = mentees.lead_api
    amira = mentees.amira
    second = mentees.cohort["sessions"][1]
    session = api.get(f"/api/v1/sessions/{second['id']}").json()
    activities = session["lesson"]["activities"]
    body = {
        "version": session["version"],
        "facilitators_present": [people.facilitator.id],
        "attendance": [
            {
                "child_id": c["child_id"],
                "status": "late" if c["child_id"] == amira["id"] else "present",
                "note": "Came after school club" if c["child_id"] == amira["id"] else None,
            }
            for c in session["roster"]
        ],
        "coverage": [
            {
                "activity_id": a["id"],
                "status": "delivered",
                "note": ["amira led the role-play", "Ben drew the map", "Amiras everywhere"][i]
                if i < 3
                else None,
            }
            for i, a in enumerate(activities)
        ],
    }
    saved = api.put(f"/api/v1/sessions/{second['id']}/record", json=body)
    assert saved.status_code == 200, saved.text
    tasks = mentees.tasks(db, amira)
    assert tasks
    visit = mentees.visit(
        mentees.amira_match,
        mentees.today - dt.timedelta(days=1),
        "10:00",
        "completed",
        summary="We practised asking for help",
        assignment_ids=[tasks[0].id],
    )
    event = api.post(
        f"/api/v1/children/{amira['id']}/events",
        json={"kind": "placement_move", "date": "2026-10-20", "note": "A new foster home"},
    )
    assert event.status_code == 201, event.text
    _add_rows(db, people, amira["id"], 1)
    return {
        "child": amira,
        "ben": mentees.ben,
        "visit": visit,
        "task": tasks[0],
        "activities": activities,
    }


def test_the_export_holds_every_kind_of_row_and_keeps_its_old_keys(
    lead_api: TestClient, full: dict[str, Any], db: Session, people: People
) -> None:
    child_id = full["child"]["id"]
    export = lead_api.get(f"/api/v1/children/{child_id}/export").json()
    assert set(export) >= OLD_KEYS | {"history"}
    assert export["consent"]["given_by"] == "Social worker"
    register = {r["week"]: r for r in export["register"]}
    assert register[1]["status"] == "present"
    assert register[2]["status"] == "late"
    assert register[2]["note"] == "Came after school club"
    # Whole words only, any case: "amira" yes, "Amiras" and Ben's note no.
    assert [n["note"] for n in export["coverage_notes"]] == ["amira led the role-play"]
    assert export["coverage_notes"][0]["activity"] == full["activities"][0]["title"]
    visit = next(v for v in export["visits"] if v["id"] == full["visit"]["id"])
    assert visit["summary"] == "We practised asking for help"
    assert visit["assignment_ids"] == [full["task"].id]
    assert visit["tasks_worked_on"] != [None]
    assert visit["mentor"] == people.mentor.name
    assert export["matches"][0]["mentor"] == people.mentor.name
    assert {a["task"] for a in export["practice_assignments"]} >= set(visit["tasks_worked_on"])
    [assessment] = export["assessments"]
    assert assessment["measure"].startswith("Strengths and Difficulties")
    assert assessment["timepoint"] == "baseline"
    assert assessment["informant"] == "carer"
    assert assessment["scores"] == {"emotional": 3.0, "conduct": 2.0}
    assert [e["note"] for e in export["life_events"]] == ["A new foster home"]
    assert [f["note"] for f in export["flags_acknowledged"]] == ["Carer declined 0"]
    assert export["flags_acknowledged"][0]["acknowledged_by"] == people.lead.name
    assert [v["by"] for v in export["record_views"]] == [people.facilitator.name]
    actions = {(e["entity"], e["action"]) for e in export["audit"]}
    assert ("child", "create") in actions
    assert ("enrolment", "enrol") in actions
    assert any(entity == "life_event" for entity, _ in actions)
    assert any(e["entity"] == "match" for e in export["audit"])
    # Another child's rows stay out; Ben's note names him.
    ben = lead_api.get(f"/api/v1/children/{full['ben']['id']}/export").json()
    assert [n["note"] for n in ben["coverage_notes"]] == ["Ben drew the map"]
    assert ben["assessments"] == []
    assert ben["flags_acknowledged"] == []
    assert ben["record_views"] == []


def test_producing_the_export_is_audited_as_json_and_as_the_page(
    lead_api: TestClient, signed: Signed, people: People, db: Session, full: dict[str, Any]
) -> None:
    child_id = full["child"]["id"]
    lead_api.get(f"/api/v1/children/{child_id}/export")
    signed.pages(people.lead).get(f"/children/{child_id}/export")
    events = db.exec(
        select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity_id == child_id)
    ).all()
    assert [e.changes for e in events] == [{}, {"format": "page"}]
    assert {e.actor_id for e in events} == {people.lead.id}


def test_the_export_takes_a_fixed_number_of_queries(
    lead_api: TestClient,
    full: dict[str, Any],
    db: Session,
    people: People,
    count_queries: CountQueries,
) -> None:
    child_id = full["child"]["id"]
    url = f"/api/v1/children/{child_id}/export"
    lead_api.get(url)  # warm: the signed-in user's caches
    with count_queries() as few:
        small = lead_api.get(url).json()
    _add_rows(db, people, child_id, 6, start=1)
    for day in range(5):
        lead_api.post(
            f"/api/v1/children/{child_id}/events",
            json={"kind": "missing_episode", "date": f"2026-10-0{day + 1}"},
        )
    with count_queries() as many:
        large = lead_api.get(url).json()
    assert len(large["assessments"]) > len(small["assessments"])
    assert len(large["life_events"]) > len(small["life_events"])
    assert len(large["record_views"]) > len(small["record_views"])
    assert many.count == few.count, (few.count, many.count)


def test_the_printable_page_reads_as_words_for_a_family(
    signed: Signed, people: People, full: dict[str, Any]
) -> None:
    child_id = full["child"]["id"]
    page = signed.pages(people.lead).get(f"/children/{child_id}/export")
    assert page.status_code == 200
    text = page.text
    for heading in (
        "About the child",
        "Consent",
        "Groups",
        "Group sessions (register entries)",
        "Lesson checklist notes that mention the child",
        "Mentor visits",
        "Practice tasks",
        "Questionnaires",
        "Life events",
        "Flags explained by staff",
        "Change history",
        "Who has looked at the record",
        "What the words mean",
    ):
        assert f">{heading}<" in text, heading
    assert "Reliable change" in text
    assert "Came after school club" in text
    assert "amira led the role-play" in text
    assert "We practised asking for help" in text
    assert "Strengths and Difficulties Questionnaire (SDQ)" in text
    assert "Emotional symptoms: 3" in text
    assert "Parent or carer" in text
    assert people.mentor.name in text
    assert "1 March 2016" in text  # the date of birth, as people read it
    assert "2016-03-01" not in text
    assert "Print this page" in text
    assert "/static/css/print.css" in text
    assert "/static/js/print.mjs" in text
    # No internal ids in what is shown (links back to the record aside).
    shown = re.sub(r"<[^>]+>", " ", text)
    assert not re.search(rf"\b{child_id}\b", shown.split("Everything we hold about")[1])
    assert f'"{full["visit"]["id"]}"' not in text


def test_the_page_is_for_leads_and_admins_and_linked_from_the_record(
    signed: Signed, people: People, mentees: Mentees
) -> None:
    child_id = mentees.amira["id"]
    record = signed.pages(people.lead).get(f"/children/{child_id}")
    assert f'href="/children/{child_id}/export"' in record.text
    assert signed.pages(people.admin).get(f"/children/{child_id}/export").status_code == 200
    assert signed.pages(people.facilitator).get(f"/children/{child_id}/export").status_code == 403
    other = signed.pages(people.other_admin).get(f"/children/{child_id}/export")
    assert other.status_code == 404
