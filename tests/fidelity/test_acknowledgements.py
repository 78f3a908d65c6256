"""Acknowledging a past flag (issue 15, point 6): POST /api/v1/flags/acknowledgements and
the dashboard's Acknowledge form. Only a past flag (a session whose day has passed: not
recorded, or delivered with fewer than two facilitators) can be acknowledged, by a lead,
once; it then leaves `flags` for `acknowledged`, from the day it was acknowledged on."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.fidelity.models import FlagAcknowledgement
from tests.support.builder import Builder
from tests.support.people import People, Signed

pytestmark = pytest.mark.clock("2026-09-20T10:00")  # a Sunday: today is 20 September 2026

START = dt.date(2026, 9, 7)  # a Monday
URL = "/api/v1/flags/acknowledgements"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


class World:
    def __init__(self, build: Builder, people: People) -> None:
        self.cohort = build.cohort(
            START, name="Monday group", facilitators=[people.facilitator.id or 0]
        )
        # 7 Sep: never recorded. 14 Sep: delivered with one facilitator. 21 Sep: to come.
        self.unrecorded = build.session(self.cohort, 1, START)
        self.thin = build.session(self.cohort, 2, START + dt.timedelta(days=7), "delivered")
        build.present(self.thin, [people.facilitator.id or 0])
        self.future = build.session(self.cohort, 3, START + dt.timedelta(days=14))
        self.child = build.child("Ben", "DEMO-02")
        build.enrol(self.child, self.cohort, START)
        build.attendance([(self.thin, self.child, "absent")])


@pytest.fixture
def world(build: Builder, people: People, db: Session) -> World:
    out = World(build, people)
    db.commit()
    return out


def body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "session_not_recorded",
        "session_id": world.unrecorded,
        "note": "The register was lost; the session ran.",
        **extra,
    }


def kinds(report: dict[str, Any], key: str = "flags") -> dict[tuple[str, int | None], Any]:
    return {(f["kind"], f.get("session_id")): f for f in report[key]}


def acknowledgements(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(FlagAcknowledgement)).scalar_one())


def test_a_lead_acknowledges_a_past_flag(
    lead_api: TestClient, world: World, db: Session, people: People
) -> None:
    before = lead_api.get("/api/v1/fidelity").json()
    flag = kinds(before)[("session_not_recorded", world.unrecorded)]
    assert flag["acknowledgeable"] is True
    assert before["acknowledged"] == []
    # A current flag is not acknowledgeable.
    assert kinds(before)[("small_cohort", None)]["acknowledgeable"] is False

    response = lead_api.post(URL, json=body(world, cohort_id=world.cohort))
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["kind"] == "session_not_recorded"
    assert out["session_id"] == world.unrecorded
    assert out["cohort_id"] == world.cohort
    assert out["note"] == "The register was lost; the session ran."
    assert out["acknowledged_by"] == people.lead.name
    assert out["on_date"] == "2026-09-20"
    assert "week 1 on 7 September 2026 is not recorded" in out["message"]

    after = lead_api.get("/api/v1/fidelity").json()
    assert ("session_not_recorded", world.unrecorded) not in kinds(after)
    assert ("one_facilitator", world.thin) in kinds(after)  # the other past flag stays
    (acknowledged,) = after["acknowledged"]
    assert acknowledged["session_id"] == world.unrecorded
    assert acknowledged["acknowledged_by"] == people.lead.name
    assert acknowledged["note"] == out["note"]
    assert acknowledged["href"] == f"/sessions/{world.unrecorded}"
    # The figures as of an earlier day still show the flag: it was acknowledged today.
    earlier = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-09-19"}).json()
    assert ("session_not_recorded", world.unrecorded) in kinds(earlier)
    assert earlier["acknowledged"] == []

    event = db.execute(
        select(AuditEvent).where(AuditEvent.entity == "flag_acknowledgement")  # type: ignore[arg-type]
    ).scalar_one()
    assert event.actor_id == people.lead.id
    assert event.entity_id == out["id"]
    assert event.changes["note"] == [None, out["note"]]
    assert event.changes["session_id"] == [None, world.unrecorded]


def test_a_session_with_one_facilitator_can_be_acknowledged(
    signed: Signed, world: World, people: People
) -> None:
    admin = signed.api(people.admin)
    response = admin.post(
        URL, json={"kind": "one_facilitator", "session_id": world.thin, "note": "Cover fell ill"}
    )
    assert response.status_code == 201, response.text
    after = admin.get("/api/v1/fidelity").json()
    assert ("one_facilitator", world.thin) not in kinds(after)
    assert ("one_facilitator", world.thin) in kinds(after, "acknowledged")


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"kind": "no_such_kind"}, 422, "no kind of flag"),
        ({"kind": "below_threshold"}, 422, "current"),
        ({"kind": "safeguarding_concern"}, 422, "current"),
        ({"session_id": None}, 422, "session_id"),
        ({"note": ""}, 422, "note"),
        ({"note": "   "}, 422, "note"),
        ({"note": "x" * 1001}, 422, "note"),
        ({"session_id": 0}, 422, "session_id"),
        ({"session_id": "future"}, 404, "no such flag"),
        ({"session_id": "thin"}, 404, "no such flag"),  # not a not-recorded flag
        ({"cohort_id": 999999}, 404, "no such flag"),  # ids that do not match the flag
    ],
)
def test_bad_input_changes_nothing(
    lead_api: TestClient,
    world: World,
    db: Session,
    change: dict[str, Any],
    status: int,
    needle: str,
) -> None:
    sent = body(world, **change)
    if sent["session_id"] in ("future", "thin"):
        sent["session_id"] = getattr(world, sent["session_id"])
    response = lead_api.post(URL, json=sent)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert needle in response.text.lower()
    assert acknowledgements(db) == 0
    flags = kinds(lead_api.get("/api/v1/fidelity").json())
    assert ("session_not_recorded", world.unrecorded) in flags


def test_acknowledging_twice_is_a_conflict(lead_api: TestClient, world: World, db: Session) -> None:
    assert lead_api.post(URL, json=body(world)).status_code == 201
    again = lead_api.post(URL, json=body(world, note="Another note"))
    assert again.status_code == 409, again.text
    assert acknowledgements(db) == 1
    (acknowledged,) = lead_api.get("/api/v1/fidelity").json()["acknowledged"]
    assert acknowledged["note"] == "The register was lost; the session ran."


def test_another_organisation_cannot_acknowledge_our_flag(
    signed: Signed, world: World, people: People, db: Session
) -> None:
    response = signed.api(people.other_lead).post(URL, json=body(world))
    assert response.status_code == 404, response.text
    assert acknowledgements(db) == 0


@pytest.mark.parametrize("role", ["facilitator", "mentor"])
def test_only_a_lead_or_admin_acknowledges(
    signed: Signed, world: World, people: People, db: Session, role: str
) -> None:
    response = signed.api(people.by_role(role)).post(URL, json=body(world))
    assert response.status_code == 403, response.text
    assert acknowledgements(db) == 0


def test_a_facilitator_sees_only_flags_they_can_act_on(
    signed: Signed, world: World, people: People, build: Builder, db: Session
) -> None:
    """Their cohorts' registers and attendance; never concerns, mentoring, DBS checks or
    cohort sizes, which are a lead's."""
    mentor = build.user(Role.mentor, "mentor-two")
    match = build.match(world.child, mentor.id or 0, START - dt.timedelta(days=30))
    build.visit(
        match_id=match,
        mentor_id=mentor.id,
        child_id=world.child,
        date=START,
        minutes=60,
        status="completed",
        safeguarding_concern=True,
    )
    db.commit()
    lead = {f["kind"] for f in signed.api(people.lead).get("/api/v1/fidelity").json()["flags"]}
    mine = {
        f["kind"] for f in signed.api(people.facilitator).get("/api/v1/fidelity").json()["flags"]
    }
    assert {"safeguarding_concern", "small_cohort", "session_not_recorded"} <= lead
    assert mine <= {"session_not_recorded", "absent_twice", "below_threshold", "one_facilitator"}
    assert {"session_not_recorded", "one_facilitator"} <= mine


# The dashboard's form --------------------------------------------------------------------------


def _form(pages: Any, world: World, note: str, session: int | None = None) -> dict[str, str]:
    return {
        "csrf_token": pages.csrf_token,
        "kind": "session_not_recorded",
        "session_id": str(session or world.unrecorded),
        "note": note,
    }


def test_the_dashboard_form_acknowledges_with_a_banner(
    lead_pages: Any, world: World, db: Session, people: People
) -> None:
    page = lead_pages.get("/fidelity").text
    box = f"note-session_not_recorded-{world.unrecorded}"
    assert f'id="{box}"' in page
    assert f'<label class="govuk-label" for="{box}">' in page
    # Flags come before the figures: what needs attention first.
    assert page.index('id="flags"') < page.index('id="figures"')

    response = lead_pages.post(
        "/fidelity/flags/acknowledge", data=_form(lead_pages, world, "Register lost")
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/fidelity#acknowledged"
    after = lead_pages.get("/fidelity")
    html = after.text
    assert "Flag acknowledged" in html  # the success banner
    assert f'id="{box}"' not in html  # the form has gone with the flag
    acknowledged = text_of(html[html.index('id="acknowledged"') :])
    assert "Acknowledged (1)" in acknowledged
    assert "week 1 on 7 September 2026 is not recorded" in acknowledged
    assert f"Acknowledged by {people.lead.name} on 20 September 2026" in acknowledged
    assert "Register lost" in acknowledged
    report = text_of(lead_pages.get("/fidelity/report").text)
    assert "Past flags acknowledged by a lead (not counted above) 1 " in report


def test_an_empty_note_shows_the_error_beside_the_box(
    lead_pages: Any, world: World, db: Session
) -> None:
    box = f"note-session_not_recorded-{world.unrecorded}"
    response = lead_pages.post("/fidelity/flags/acknowledge", data=_form(lead_pages, world, " "))
    assert response.status_code == 422
    html = response.text
    assert "There is a problem" in html
    assert f'<a href="#{box}">Enter why the flag needs no action</a>' in html
    assert f'id="{box}-error"' in html
    assert f'aria-describedby="{box}-hint {box}-error"' in html
    assert "<title>Error: Fidelity" in html
    assert acknowledgements(db) == 0
    too_long = lead_pages.post(
        "/fidelity/flags/acknowledge", data=_form(lead_pages, world, "x" * 1001)
    )
    assert too_long.status_code == 422
    assert "The note must be 1000 characters or fewer" in too_long.text
    assert "x" * 1001 in too_long.text  # what was typed comes back
    assert acknowledgements(db) == 0


def test_a_session_that_is_not_a_flag_is_refused_on_the_page(
    lead_pages: Any, world: World, db: Session
) -> None:
    response = lead_pages.post(
        "/fidelity/flags/acknowledge", data=_form(lead_pages, world, "Note", world.future)
    )
    assert response.status_code == 404
    assert "There is no such flag today" in response.text
    assert acknowledgements(db) == 0
    lead_pages.post("/fidelity/flags/acknowledge", data=_form(lead_pages, world, "Lost"))
    twice = lead_pages.post("/fidelity/flags/acknowledge", data=_form(lead_pages, world, "Again"))
    assert twice.status_code == 409
    assert "already been acknowledged" in twice.text
    assert acknowledgements(db) == 1


def test_a_facilitator_has_no_acknowledge_form(
    signed: Signed, world: World, people: People, db: Session
) -> None:
    pages = signed.pages(people.facilitator)
    html = pages.get("/fidelity").text
    assert "is not recorded" in html
    assert "/fidelity/flags/acknowledge" not in html
    response = pages.post("/fidelity/flags/acknowledge", data=_form(pages, world, "Lost"))
    assert response.status_code == 403
    assert acknowledgements(db) == 0
