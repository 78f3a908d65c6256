"""Event rates per child-year before and since each child's first session (for the outcomes
report), and the first session they hang on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.exceptions import Forbidden
from app.outcomes.events import service
from app.outcomes.models import EventKind
from tests.outcomes.events_data import enrolled_child, event
from tests.support.fixtures import MONDAY, MakeChild
from tests.support.people import People
from tests.support.queries import CountQueries

AS_OF = dt.date(2027, 3, 10)


def _enrolled(lead_api: TestClient, make_child: MakeChild, cohort: dict[str, Any]) -> int:
    child = make_child()
    response = lead_api.post(
        f"/api/v1/cohorts/{cohort['id']}/enrolments",
        json={"child_id": child["id"], "start_date": MONDAY.isoformat()},
    )
    assert response.status_code == 201, response.text
    return int(child["id"])


def _event(lead_api: TestClient, child_id: int, kind: str, day: dt.date) -> None:
    response = lead_api.post(
        f"/api/v1/children/{child_id}/events", json={"kind": kind, "date": day.isoformat()}
    )
    assert response.status_code == 201, response.text


def test_first_session_is_the_first_on_the_register(
    db: Session,
    people: People,
    lead_api: TestClient,
    make_child: MakeChild,
    cohort: dict[str, Any],
) -> None:
    child_id = _enrolled(lead_api, make_child, cohort)
    never = make_child()  # no enrolment: no first session
    found = service.first_sessions(db, org_id=people.lead.org_id, child_ids=[child_id, never["id"]])
    assert found == {child_id: MONDAY}


def test_rates_by_hand(
    db: Session,
    people: People,
    lead_api: TestClient,
    make_child: MakeChild,
    cohort: dict[str, Any],
) -> None:
    a = _enrolled(lead_api, make_child, cohort)
    b = _enrolled(lead_api, make_child, cohort)
    unenrolled = make_child()["id"]
    day = dt.timedelta(days=1)
    # Before: the 365 days before 7 September 2026 (7 September 2025 to 6 September 2026).
    _event(lead_api, a, "placement_move", MONDAY - 365 * day)  # first day of the window
    _event(lead_api, a, "placement_move", MONDAY - day)  # last day
    _event(lead_api, b, "placement_move", MONDAY - 366 * day)  # too early: not counted
    _event(lead_api, b, "police_contact", MONDAY - 10 * day)
    # Since: the first session to as_of, both included.
    _event(lead_api, a, "placement_move", MONDAY)
    _event(lead_api, b, "placement_move", AS_OF)
    _event(lead_api, unenrolled, "placement_move", MONDAY)  # not one of the children asked
    rates = {
        r.kind: r
        for r in service.event_rates(
            db, actor=people.lead, child_ids=[a, b, unenrolled], as_of=AS_OF
        )
    }
    assert list(rates) == list(EventKind)
    years_before = 2 * 365 / 365.25
    days_since = (AS_OF - MONDAY).days + 1  # 185
    years_since = 2 * days_since / 365.25
    move = rates[EventKind.placement_move]
    assert move.child_years_before == pytest.approx(years_before)
    assert move.child_years_during_after == pytest.approx(years_since)
    assert move.rate_before == pytest.approx(2 / years_before)
    assert move.rate_during_after == pytest.approx(2 / years_since)
    assert rates[EventKind.police_contact].rate_before == pytest.approx(1 / years_before)
    assert rates[EventKind.police_contact].rate_during_after == 0
    assert rates[EventKind.adoption].rate_before == 0
    # An earlier as_of: b's event of 10 March 2027 is not yet known.
    earlier = service.event_rates(db, actor=people.lead, child_ids=[a, b], as_of=AS_OF - day)
    assert earlier[0].kind == EventKind.placement_move
    assert earlier[0].rate_during_after == pytest.approx(1 / (2 * (days_since - 1) / 365.25))


def test_no_counted_children_means_no_rates(
    db: Session, people: People, make_child: MakeChild, lead_api: TestClient, cohort: dict[str, Any]
) -> None:
    a = _enrolled(lead_api, make_child, cohort)
    before_start = service.event_rates(
        db, actor=people.lead, child_ids=[a], as_of=MONDAY - dt.timedelta(days=1)
    )
    assert all(r.rate_before is None and r.rate_during_after is None for r in before_start)
    assert (
        service.event_rates(db, actor=people.lead, child_ids=[], as_of=AS_OF)[0].rate_before is None
    )


def test_only_leads_and_admins(db: Session, people: People) -> None:
    for user in (people.facilitator, people.mentor):
        with pytest.raises(Forbidden):
            service.event_rates(db, actor=user, child_ids=[], as_of=AS_OF)
    assert service.event_rates(db, actor=people.other_lead, child_ids=[], as_of=AS_OF)


def test_another_organisations_events_never_count(
    db: Session, people: People, lead_api: TestClient, make_child: MakeChild, cohort: dict[str, Any]
) -> None:
    a = _enrolled(lead_api, make_child, cohort)
    _event(lead_api, a, "adoption", MONDAY)
    rates = service.event_rates(db, actor=people.other_lead, child_ids=[a], as_of=AS_OF)
    assert all(r.rate_during_after is None for r in rates)  # A's child is not B's


def test_a_fixed_number_of_queries(
    db: Session, people: People, cohort: dict[str, Any], count_queries: CountQueries
) -> None:
    org = people.lead.org_id
    counts = []
    ids: list[int] = []
    for n in (1, 20):
        while len(ids) < n:
            ref = f"Q-{len(ids)}"
            ids.append(
                enrolled_child(db, org_id=org, cohort_id=cohort["id"], start=MONDAY, reference=ref)
            )
            day = MONDAY + dt.timedelta(days=len(ids))
            event(db, org_id=org, child_id=ids[-1], kind=EventKind.missing_episode, day=day)
        db.expire_all()
        with count_queries() as counter:
            rates = service.event_rates(db, actor=people.lead, child_ids=ids, as_of=AS_OF)
        assert rates[0].child_years_during_after > 0
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 3
