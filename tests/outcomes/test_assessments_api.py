"""POST, GET and PATCH of assessments through the API: what is stored, every bad input a
clear 4xx that stores nothing, corrections audited, and who may."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, insert
from sqlmodel import Session

from app.auth.models import Role
from app.children.models import Child
from app.exceptions import Conflict
from app.outcomes.assessments import service
from app.outcomes.assessments.schemas import AssessmentCreate
from app.outcomes.models import Assessment, LifeEvent
from tests.outcomes.conftest import Programme
from tests.support.auth import audit_events
from tests.support.people import People, Signed
from tests.support.rows import count_rows

END = {
    "measure": "kids_scores",
    "informant": "carer",
    "timepoint": "end",
    "completed_on": "2027-03-09",
    "scores": {"worry": 3, "mood": 4.5},
}


def url(programme: Programme) -> str:
    return f"/api/v1/children/{programme.child_id}/assessments"


def test_an_assessment_is_stored_with_its_derived_total(
    db: Session, lead_api: TestClient, programme: Programme, people: People
) -> None:
    response = lead_api.post(url(programme), json=END)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["scores"] == {"worry": 3, "mood": 4.5, "total": 7.5}
    assert body["measure"] == "kids_scores"
    assert body["timepoint"] == "end"
    assert body["version"] == 1
    listed = lead_api.get(url(programme)).json()
    assert [(a["id"], a["measure"], a["informant"], a["completed_on"]) for a in listed] == [
        (body["id"], "kids_scores", "carer", "2027-03-09")
    ]
    (event,) = audit_events(db, entity="assessment", action="create")
    assert event.entity_id == body["id"]
    assert event.changes["scores"] == [None, {"worry": 3, "mood": 4.5, "total": 7.5}]


def test_an_items_measure_is_scored_from_its_answers(
    lead_api: TestClient, programme: Programme
) -> None:
    body = {
        "measure": "feel_good",
        "informant": "self",
        "timepoint": "end",
        "completed_on": "2027-03-10",
        "items": {"cheerful": 4, "calm": 2, "active": 3},
    }
    response = lead_api.post(url(programme), json=body)
    assert response.status_code == 201, response.text
    assert response.json()["scores"] == {"percent": pytest.approx(75)}
    assert response.json()["items"] == {"cheerful": 4, "calm": 2, "active": 3}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"measure": "nope"}, "measure"),
        ({"informant": "teacher"}, "informant"),
        ({"scores": {"worry": 3, "mood": 4, "anger": 1}}, "scores.anger"),
        ({"scores": {"worry": 11, "mood": 4}}, "scores.worry"),
        ({"scores": {"worry": -1, "mood": 4}}, "scores.worry"),
        ({"scores": {"worry": 3}}, "scores.mood"),
        ({"completed_on": "2027-03-11"}, "completed_on"),  # tomorrow
        ({"completed_on": "2027-03-07"}, "completed_on"),  # before the last session
        ({"timepoint": "baseline"}, "completed_on"),  # 9 March is not in the baseline window
    ],
)
def test_bad_input_is_refused_and_stores_nothing(
    db: Session,
    lead_api: TestClient,
    programme: Programme,
    change: dict[str, Any],
    field: str,
) -> None:
    response = lead_api.post(url(programme), json={**END, **change})
    assert response.status_code == 422, response.text
    assert ["body", field] in [e["loc"] for e in response.json()["errors"]]
    assert count_rows(db, Assessment) == 0


def test_the_window_is_said_as_people_read_it(lead_api: TestClient, programme: Programme) -> None:
    response = lead_api.post(url(programme), json={**END, "completed_on": "2027-03-01"})
    message = response.json()["errors"][0]["msg"]
    assert message == (
        "End of programme assessments for this child are taken from 8 March 2027 to "
        "19 April 2027: 1 March 2027 is outside that"
    )


def test_a_timepoint_the_measure_does_not_take_is_refused(
    lead_api: TestClient, programme: Programme
) -> None:
    body = {
        "measure": "feel_good",
        "informant": "self",
        "timepoint": "follow_up_6m",
        "completed_on": "2027-03-09",
        "items": {"cheerful": 4, "calm": 2, "active": 3},
    }
    response = lead_api.post(url(programme), json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "timepoint"]


@pytest.mark.parametrize(
    "body",
    [
        {**END, "timepoint": "middle"},
        {**END, "completed_on": "9 March"},
        {**END, "scores": {"worry": "three", "mood": 4}},
        {**END, "surprise": 1},
        {key: value for key, value in END.items() if key != "measure"},
    ],
)
def test_malformed_bodies_are_422(lead_api: TestClient, programme: Programme, body: Any) -> None:
    assert lead_api.post(url(programme), json=body).status_code == 422


def test_a_child_with_no_sessions_cannot_be_assessed(
    lead_api: TestClient, programme: Programme
) -> None:
    alone = programme.build.child("Alone")
    response = lead_api.post(f"/api/v1/children/{alone}/assessments", json=END)
    assert response.status_code == 422
    assert "no sessions" in response.json()["errors"][0]["msg"]


def test_a_second_one_is_a_conflict(
    db: Session, lead_api: TestClient, programme: Programme
) -> None:
    assert lead_api.post(url(programme), json=END).status_code == 201
    again = lead_api.post(url(programme), json={**END, "completed_on": "2027-03-10"})
    assert again.status_code == 409
    assert "correct that one" in again.json()["detail"]
    assert count_rows(db, Assessment) == 1
    # Another informant at the same timepoint is another assessment.
    assert lead_api.post(url(programme), json={**END, "informant": "self"}).status_code == 201


def test_a_correction_is_audited_with_old_and_new_scores(
    db: Session, lead_api: TestClient, programme: Programme
) -> None:
    made = lead_api.post(url(programme), json=END).json()
    response = lead_api.patch(
        f"/api/v1/assessments/{made['id']}",
        json={"version": 1, "scores": {"worry": 5, "mood": 4.5}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["scores"] == {"worry": 5, "mood": 4.5, "total": 9.5}
    assert response.json()["version"] == 2
    (event,) = audit_events(db, entity="assessment", action="update")
    assert event.changes["scores"] == [
        {"worry": 3, "mood": 4.5, "total": 7.5},
        {"worry": 5, "mood": 4.5, "total": 9.5},
    ]
    stale = lead_api.patch(
        f"/api/v1/assessments/{made['id']}", json={"version": 1, "completed_on": "2027-03-08"}
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1, "scores": {"worry": 30, "mood": 1}},
        {"version": 1, "completed_on": "2027-02-01"},
        {"version": 1, "completed_on": "2027-03-12"},
        {"scores": {"worry": 1, "mood": 1}},
    ],
)
def test_a_bad_correction_changes_nothing(
    db: Session, lead_api: TestClient, programme: Programme, body: dict[str, Any]
) -> None:
    made = lead_api.post(url(programme), json=END).json()
    response = lead_api.patch(f"/api/v1/assessments/{made['id']}", json=body)
    assert response.status_code == 422
    assert lead_api.get(url(programme)).json()[0]["scores"] == made["scores"]
    assert audit_events(db, entity="assessment", action="update") == []


def test_the_childs_facilitator_may_enter_others_may_not(
    db: Session, signed: Signed, people: People, programme: Programme
) -> None:
    facilitator = signed.api(people.facilitator)
    assert facilitator.post(url(programme), json=END).status_code == 201
    assert facilitator.get(url(programme)).status_code == 200
    stranger = signed.api(people.add(Role.facilitator, email="other.fac@org-a.example.org"))
    assert stranger.post(url(programme), json={**END, "informant": "self"}).status_code == 404
    assert stranger.get(url(programme)).status_code == 404
    assert signed.api(people.mentor).get(url(programme)).status_code == 403
    assert signed.api(people.other_lead).get(url(programme)).status_code == 404
    made = facilitator.get(url(programme)).json()[0]
    patch = {"version": 1, "completed_on": "2027-03-08"}
    assert stranger.patch(f"/api/v1/assessments/{made['id']}", json=patch).status_code == 404
    assert (
        signed.api(people.other_lead).patch(f"/api/v1/assessments/{made['id']}", json=patch)
    ).status_code == 404
    assert count_rows(db, Assessment) == 1


def test_a_second_one_stored_at_the_same_moment_is_a_conflict(
    db: Session, people: People, programme: Programme
) -> None:
    """Another request stores the same assessment between the check and the insert: the
    unique constraint refuses ours, and the answer is the same 409."""
    stamp = dt.datetime(2027, 3, 10, tzinfo=dt.UTC)

    done: list[bool] = []

    def the_other_request(session: Any, *_: Any) -> None:
        if done:
            return
        done.append(True)
        session.connection().execute(
            insert(Assessment.__table__).values(  # type: ignore[attr-defined]
                org_id=people.org.id,
                child_id=programme.child_id,
                measure_key="kids_scores",
                measure_version=1,
                informant="carer",
                timepoint="end",
                completed_on=dt.date(2027, 3, 9),
                scores={"worry": 1, "mood": 1, "total": 2},
                items={},
                created_at=stamp,
                updated_at=stamp,
                version=1,
            )
        )

    event.listen(db, "before_flush", the_other_request)
    try:
        with pytest.raises(Conflict):
            service.create_assessment(
                db,
                actor=people.lead,
                child_id=programme.child_id,
                data=AssessmentCreate.model_validate(END),
                today=dt.date(2027, 3, 10),
            )
    finally:
        event.remove(db, "before_flush", the_other_request)
    assert done  # the other request's row was there first: ours met the constraint


def test_an_anonymised_record_takes_no_new_assessment_correction_or_event(
    db: Session, lead_api: TestClient, programme: Programme
) -> None:
    made = lead_api.post(url(programme), json=END)
    assert made.status_code == 201, made.text
    event = lead_api.post(
        f"/api/v1/children/{programme.child_id}/events",
        json={"kind": "placement_move", "date": "2027-03-01"},
    )
    assert event.status_code == 201, event.text
    child = db.get(Child, programme.child_id)
    assert child is not None
    child.anonymised_at = dt.datetime(2027, 3, 10, tzinfo=dt.UTC)  # as retention leaves it
    db.add(child)
    db.commit()
    before = count_rows(db, Assessment), count_rows(db, LifeEvent)
    refused = [
        lead_api.post(url(programme), json={**END, "informant": "teacher"}),
        lead_api.patch(
            f"/api/v1/assessments/{made.json()['id']}",
            json={"scores": {"worry": 1, "mood": 1}, "version": 1},
        ),
        lead_api.post(
            f"/api/v1/children/{programme.child_id}/events",
            json={"kind": "adoption", "date": "2027-03-02"},
        ),
        lead_api.delete(f"/api/v1/children/{programme.child_id}/events/{event.json()['id']}"),
    ]
    for response in refused:
        assert response.status_code == 409, response.text
        assert "anonymised" in response.json()["detail"]
    assert (count_rows(db, Assessment), count_rows(db, LifeEvent)) == before
