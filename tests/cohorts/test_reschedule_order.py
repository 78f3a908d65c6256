"""Lessons stay in order: a session moved past a later lesson of its cohort, before an
earlier one, or onto another lesson's day is refused (422) naming both, through the API and
the page form, and nothing changes. Cancelled occurrences do not count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.cohorts.models import GroupSession
from app.cohorts.schedule import ClosedDays
from tests.support.pages import date_fields, post
from tests.support.people import PageClient, People, Signed
from tests.support.rows import live, table

DAY = dt.timedelta(days=1)


def _day(day: dt.date) -> str:
    return f"{day:%-d %B %Y}"


def _date(session: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(session["date"])


def open_day_between(after: dt.date, before: dt.date) -> dt.date:
    """A day strictly between the two that is not a bank holiday (England)."""
    day = after + DAY
    while day < before:
        if day not in ClosedDays("england"):
            return day
        day += DAY
    raise AssertionError(f"no open day between {after} and {before}")


def snapshot(db: Session, cohort_id: int) -> list[tuple[Any, ...]]:
    """Every occurrence of the cohort as stored, and the audit trail's length."""
    db.expire_all()
    rows = db.exec(
        select(GroupSession)
        .where(GroupSession.cohort_id == cohort_id)
        .order_by(col(GroupSession.id))
    ).all()
    audits = len(db.exec(select(AuditEvent.id)).all())
    return [
        (s.id, s.week, s.date, s.start_time, s.end_time, s.venue, s.status, s.version) for s in rows
    ] + [("audit events", audits)]


@pytest.fixture
def weeks(cohort: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {s["week"]: s for s in cohort["sessions"]}


def _move(api: TestClient, session: dict[str, Any], day: dt.date) -> Any:
    return api.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"version": session["version"], "date": day.isoformat()},
    )


def _refused(response: Any, message: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == message
    assert body["errors"] == [{"loc": ["body", "date"], "msg": message}]


# The API -----------------------------------------------------------------------------------


def test_a_lesson_cannot_move_after_a_later_one(
    lead_api: TestClient, cohort: dict[str, Any], weeks: dict[int, dict[str, Any]], db: Session
) -> None:
    week5, week6 = weeks[5], weeks[6]
    target = open_day_between(_date(week6), _date(weeks[7]))
    before = snapshot(db, cohort["id"])
    _refused(
        _move(lead_api, week5, target),
        f"Week 5 would be on {_day(target)}, after week 6 on {_day(_date(week6))}: "
        f"move week 6 first, or choose a date before {_day(_date(week6))}",
    )
    assert snapshot(db, cohort["id"]) == before


def test_past_several_later_lessons_the_nearest_is_named(
    lead_api: TestClient, cohort: dict[str, Any], weeks: dict[int, dict[str, Any]], db: Session
) -> None:
    target = open_day_between(_date(weeks[8]), _date(weeks[9]))
    before = snapshot(db, cohort["id"])
    response = _move(lead_api, weeks[5], target)
    assert response.status_code == 422
    assert (
        f"after week 6 on {_day(_date(weeks[6]))}: move week 6 first" in response.json()["detail"]
    )
    assert snapshot(db, cohort["id"]) == before


def test_a_lesson_cannot_move_before_an_earlier_one(
    lead_api: TestClient, cohort: dict[str, Any], weeks: dict[int, dict[str, Any]], db: Session
) -> None:
    week4 = weeks[4]
    target = open_day_between(_date(weeks[3]), _date(week4))
    before = snapshot(db, cohort["id"])
    _refused(
        _move(lead_api, weeks[5], target),
        f"Week 5 would be on {_day(target)}, before week 4 on {_day(_date(week4))}: "
        f"move week 4 first, or choose a date after {_day(_date(week4))}",
    )
    assert snapshot(db, cohort["id"]) == before


@pytest.mark.parametrize(("other", "side"), [(6, "before"), (4, "after")])
def test_a_lesson_cannot_share_a_day_with_another(
    lead_api: TestClient,
    cohort: dict[str, Any],
    weeks: dict[int, dict[str, Any]],
    db: Session,
    other: int,
    side: str,
) -> None:
    day = _date(weeks[other])
    before = snapshot(db, cohort["id"])
    _refused(
        _move(lead_api, weeks[5], day),
        f"Week 5 would be on {_day(day)}, the same day as week {other}: "
        f"move week {other} first, or choose a date {side} {_day(day)}",
    )
    assert snapshot(db, cohort["id"]) == before


def test_a_move_that_keeps_the_order_is_made(
    lead_api: TestClient, weeks: dict[int, dict[str, Any]]
) -> None:
    # Both neighbours' dates are open; the days strictly between them are allowed.
    for target in (
        open_day_between(_date(weeks[4]), _date(weeks[5])),
        open_day_between(_date(weeks[5]), _date(weeks[6])),
    ):
        session = lead_api.get(f"/api/v1/sessions/{weeks[5]['id']}").json()
        moved = _move(lead_api, session, target)
        assert moved.status_code == 200, moved.text
        assert moved.json()["date"] == target.isoformat()
    # A move of the time or venue alone never checks the order.
    session = lead_api.get(f"/api/v1/sessions/{weeks[5]['id']}").json()
    venue = lead_api.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"version": session["version"], "venue": "Room 2"},
    )
    assert venue.status_code == 200, venue.text


def test_the_last_and_first_lessons_are_bounded_on_one_side_only(
    lead_api: TestClient, weeks: dict[int, dict[str, Any]]
) -> None:
    last, first = weeks[30], weeks[1]
    later = open_day_between(_date(last) + 13 * DAY, _date(last) + 21 * DAY)
    assert _move(lead_api, last, later).status_code == 200
    earlier = open_day_between(_date(first) - 21 * DAY, _date(first) - 13 * DAY)
    assert _move(lead_api, first, earlier).status_code == 200


def test_cancelled_occurrences_do_not_count(
    lead_api: TestClient, cohort: dict[str, Any], weeks: dict[int, dict[str, Any]], db: Session
) -> None:
    cancelled = lead_api.post(
        f"/api/v1/sessions/{weeks[6]['id']}/cancel", json={"version": 1, "reason": "Venue shut"}
    )
    assert cancelled.status_code == 200, cancelled.text
    old_day = _date(weeks[6])  # the cancelled occurrence stays on it
    planned = {
        s["week"]: s for s in live(lead_api.get(f"/api/v1/cohorts/{cohort['id']}/sessions").json())
    }
    new_week6 = planned[6]
    assert _date(new_week6) > old_day
    # Week 5 may go on to the cancelled occurrence's day: no live lesson is there.
    moved = _move(lead_api, planned[5], old_day)
    assert moved.status_code == 200, moved.text
    # But not past the live week 6.
    target = open_day_between(_date(new_week6), _date(planned[7]))
    before = snapshot(db, cohort["id"])
    response = _move(lead_api, moved.json(), target)
    assert response.status_code == 422
    assert f"after week 6 on {_day(_date(new_week6))}" in response.json()["detail"]
    assert snapshot(db, cohort["id"]) == before


def test_a_delivered_lesson_counts(
    lead_api: TestClient, cohort: dict[str, Any], weeks: dict[int, dict[str, Any]], db: Session
) -> None:
    """A delivered session is live: a later lesson cannot move before it."""
    db.execute(
        table(GroupSession)
        .update()
        .where(table(GroupSession).c.id == weeks[4]["id"])
        .values(status="delivered")
    )
    target = open_day_between(_date(weeks[3]), _date(weeks[4]))
    response = _move(lead_api, weeks[5], target)
    assert response.status_code == 422
    assert f"before week 4 on {_day(_date(weeks[4]))}" in response.json()["detail"]


def test_who_may_move_a_lesson_out_of_order(
    signed: Signed,
    people: People,
    cohort: dict[str, Any],
    weeks: dict[int, dict[str, Any]],
    db: Session,
) -> None:
    """An admin is refused as a lead is (422); other roles are refused before the date is
    looked at (403), and another organisation cannot tell the session exists (404)."""
    target = open_day_between(_date(weeks[6]), _date(weeks[7]))
    expected = [
        (people.admin, 422),
        (people.lead, 422),
        (people.facilitator, 403),
        (people.mentor, 403),
        (people.other_lead, 404),
    ]
    clients = [(signed.api(user), user, status) for user, status in expected]
    before = snapshot(db, cohort["id"])
    for client, user, status in clients:
        response = _move(client, weeks[5], target)
        assert response.status_code == status, (user.role, response.text)
        if status == 422:
            assert "after week 6" in response.json()["detail"]
        else:
            assert "week 6" not in response.text
    assert snapshot(db, cohort["id"]) == before


# The page ----------------------------------------------------------------------------------


def test_the_reschedule_form_refuses_an_out_of_order_date(
    lead_pages: PageClient,
    cohort: dict[str, Any],
    weeks: dict[int, dict[str, Any]],
    db: Session,
) -> None:
    week5, week6 = weeks[5], weeks[6]
    target = open_day_between(_date(week6), _date(weeks[7]))
    before = snapshot(db, cohort["id"])
    url = f"/sessions/{week5['id']}/reschedule"
    response = post(
        lead_pages,
        url,
        {"version": "1", **date_fields("date", target.isoformat()), "venue": "Room 2"},
    )
    assert response.status_code == 422
    html = response.text
    message = (
        f"Week 5 would be on {_day(target)}, after week 6 on {_day(_date(week6))}: "
        f"move week 6 first, or choose a date before {_day(_date(week6))}"
    )
    # In the error summary, linked to the date field, and beside the field itself.
    summary = html.split('class="govuk-error-summary"')[1].split("</div>")[0]
    assert f'<a href="#date">{message}</a>' in summary
    beside = '<p id="date-error" class="govuk-error-message">'
    assert f'{beside}<span class="govuk-visually-hidden">Error:</span> {message}</p>' in html
    assert "<title>Error: Change week 5" in html
    # What was typed stays in the form; nothing was saved (not even the venue).
    assert f'name="date-day" type="text" inputmode="numeric" value="{target.day}"' in html
    assert 'value="Room 2"' in html
    assert snapshot(db, cohort["id"]) == before
    # A date in order is saved, and the browser goes back to the cohort.
    fine = open_day_between(_date(weeks[4]), _date(week5))
    saved = post(lead_pages, url, {"version": "1", **date_fields("date", fine.isoformat())})
    assert saved.status_code == 303
    db.expire_all()
    stored = db.get(GroupSession, week5["id"])
    assert stored is not None
    assert stored.date == fine
