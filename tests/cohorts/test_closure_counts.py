"""Each closure's `cancelled_sessions` is the number of sessions that closure cancelled: in the
API list, in its create response and on the closures page. A cancelled session keeps the
closure that cancelled it (group_session.closure_id); the migration that added the link
found it again for the sessions already cancelled."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.cohorts import rescheduling, service
from app.cohorts.models import Closure, GroupSession
from app.cohorts.schemas import ClosureCreate, CohortCreate
from app.curriculum.service import latest_curricula, load_path
from app.db import create_db_engine
from tests.support.databases import CURRICULUM, DatabaseFactory, alembic_config_for
from tests.support.pages import date_fields, post
from tests.support.people import PageClient, People, Signed
from tests.support.rows import count_rows, live

REVISION = "d7265ad5f22a"  # group_session.closure_id


def _closure(api: TestClient, start: str, end: str | None, reason: str, **more: Any) -> Any:
    body = {"date": start, "reason": reason, **more}
    if end:
        body["end_date"] = end
    return api.post("/api/v1/closures", json=body)


def _counts(api: TestClient) -> dict[str, int]:
    response = api.get("/api/v1/closures")
    assert response.status_code == 200, response.text
    return {c["reason"]: c["cancelled_sessions"] for c in response.json()}


@pytest.fixture
def tuesday_cohort(lead_api: TestClient, cohort_body: dict[str, Any]) -> dict[str, Any]:
    """A second group, on Tuesdays from 8 September 2026, in another room."""
    response = lead_api.post(
        "/api/v1/cohorts",
        json={**cohort_body, "name": "Tuesday group", "start_date": "2026-09-08", "venue": "Annex"},
    )
    assert response.status_code == 201, response.text
    cohort: dict[str, Any] = response.json()
    return cohort


def test_each_closure_counts_the_sessions_it_cancelled(
    lead_api: TestClient,
    cohort: dict[str, Any],
    tuesday_cohort: dict[str, Any],
) -> None:
    # Half term: one Monday and one Tuesday session of the two groups.
    half_term = _closure(lead_api, "2026-10-26", "2026-10-30", "October half term")
    assert half_term.status_code == 201, half_term.text
    assert half_term.json()["cancelled_sessions"] == 2
    # The Monday group's hall alone, for two Mondays: two of its sessions, none of the other.
    hall = _closure(lead_api, "2026-11-02", "2026-11-09", "Hall repairs", cohort_id=cohort["id"])
    assert hall.json()["cancelled_sessions"] == 2
    # The same days again, for everyone: the Monday sessions are cancelled already, so this
    # one cancels only the Tuesday ones.
    inset = _closure(lead_api, "2026-10-26", "2026-11-10", "Inset days")
    assert inset.json()["cancelled_sessions"] == 2
    # A closure on days with no group.
    weekend = _closure(lead_api, "2026-11-14", "2026-11-15", "Weekend event")
    assert weekend.json()["cancelled_sessions"] == 0
    # A session cancelled by hand, even in a closure's words, is no closure's doing.
    sessions = live(lead_api.get(f"/api/v1/cohorts/{cohort['id']}/sessions").json())
    by_hand = lead_api.post(
        f"/api/v1/sessions/{sessions[-1]['id']}/cancel",
        json={"version": sessions[-1]["version"], "reason": "Closure: October half term"},
    )
    assert by_hand.status_code == 200, by_hand.text

    assert _counts(lead_api) == {
        "October half term": 2,
        "Hall repairs": 2,
        "Inset days": 2,
        "Weekend event": 0,
    }
    # The counts add up to the cancelled occurrences the closures left, and each one says so.
    cancelled = [
        s
        for c in (cohort, tuesday_cohort)
        for s in lead_api.get(f"/api/v1/cohorts/{c['id']}/sessions").json()
        if s["status"] == "cancelled"
    ]
    from_closures = [s for s in cancelled if s["id"] != sessions[-1]["id"]]
    assert len(from_closures) == 6
    assert all(s["cancel_reason"].startswith("Closure: ") for s in cancelled)


def test_the_count_is_stored_not_guessed_from_the_words(
    lead_api: TestClient, cohort: dict[str, Any], db: Session
) -> None:
    """Two closures with the same reason over the same day: the first cancelled the session,
    the second nothing, although both match its date, scope and reason."""
    first = _closure(lead_api, "2026-09-14", None, "Hall booked")
    second = _closure(lead_api, "2026-09-14", None, "Hall booked", cohort_id=cohort["id"])
    assert (first.json()["cancelled_sessions"], second.json()["cancelled_sessions"]) == (1, 0)
    listed = {c["id"]: c["cancelled_sessions"] for c in lead_api.get("/api/v1/closures").json()}
    assert listed == {first.json()["id"]: 1, second.json()["id"]: 0}
    db.expire_all()
    (session,) = db.exec(select(GroupSession).where(GroupSession.status == "cancelled")).all()
    assert session.closure_id == first.json()["id"]


def test_a_long_reason_fits_the_cancelled_session(
    lead_api: TestClient, cohort: dict[str, Any], db: Session
) -> None:
    """The session's cancel reason is "Closure: " and the closure's reason, cut to the
    column's 200 characters (PostgreSQL refuses a longer value)."""
    reason = "R" * 200
    response = _closure(lead_api, "2026-09-14", None, reason)
    assert response.status_code == 201, response.text
    assert response.json()["cancelled_sessions"] == 1
    db.expire_all()
    (session,) = db.exec(select(GroupSession).where(GroupSession.status == "cancelled")).all()
    assert session.cancel_reason == ("Closure: " + reason)[:200]


def test_a_refused_closure_changes_nothing(
    lead_api: TestClient, cohort: dict[str, Any], db: Session
) -> None:
    assert _closure(lead_api, "2026-10-26", "2026-10-30", "Half term").status_code == 201
    before = _counts(lead_api), count_rows(db, Closure)
    for bad in (
        {"date": "2026-11-09", "end_date": "2026-11-02", "reason": "Backwards"},
        {"date": "2026-11-02", "reason": "Someone else's", "cohort_id": 999_999},
        {"date": "2026-11-02", "reason": ""},
    ):
        response = lead_api.post("/api/v1/closures", json=bad)
        assert response.status_code == 422, response.text
        assert response.json()["errors"]
    assert (_counts(lead_api), count_rows(db, Closure)) == before
    db.expire_all()
    assert len(db.exec(select(GroupSession).where(GroupSession.status == "cancelled")).all()) == 1


def test_who_sees_the_counts(
    signed: Signed,
    people: People,
    lead_api: TestClient,
    cohort: dict[str, Any],
) -> None:
    """Staff of the organisation see them; facilitators and mentors are refused; another
    organisation sees its own closures, counted over its own sessions only."""
    assert (
        _closure(lead_api, "2026-10-26", "2026-10-30", "Half term").json()["cancelled_sessions"]
        == 1
    )
    assert _counts(signed.api(people.admin)) == {"Half term": 1}
    for user in (people.facilitator, people.mentor):
        assert signed.api(user).get("/api/v1/closures").status_code == 403
        assert signed.pages(user).get("/closures").status_code == 403
    theirs = signed.api(people.other_lead)
    assert _closure(theirs, "2026-10-26", "2026-10-30", "Their half term").status_code == 201
    assert _counts(theirs) == {"Their half term": 0}
    assert _counts(lead_api) == {"Half term": 1}


def test_the_closures_page_shows_the_same_counts(
    lead_pages: PageClient,
    lead_api: TestClient,
    cohort: dict[str, Any],
    tuesday_cohort: dict[str, Any],
    db: Session,
) -> None:
    added = post(
        lead_pages,
        "/closures",
        {
            **date_fields("start", "2026-10-26"),
            **date_fields("end", "2026-10-30"),
            "reason": "Half term",
        },
    )
    assert added.status_code == 303
    _closure(lead_api, "2026-11-02", None, "Hall repairs", cohort_id=cohort["id"])
    _closure(lead_api, "2026-11-14", None, "Weekend event")
    html = lead_pages.get("/closures").text
    assert "Sessions cancelled" in html
    shown = {
        int(closure): int(n) for closure, n in re.findall(r'data-closure="(\d+)">(\d+)</td>', html)
    }
    listed = {c["id"]: c["cancelled_sessions"] for c in lead_api.get("/api/v1/closures").json()}
    assert shown == listed
    assert sorted(listed.values()) == [0, 1, 2]
    # A refused form shows the page again with the same counts, and adds nothing.
    refused = post(
        lead_pages,
        "/closures",
        {**date_fields("start", "2026-12-01"), **date_fields("end", "2026-11-30"), "reason": "x"},
    )
    assert refused.status_code == 422
    assert re.findall(r'data-closure="(\d+)">(\d+)</td>', refused.text) == re.findall(
        r'data-closure="(\d+)">(\d+)</td>', html
    )
    assert count_rows(db, Closure) == 3


def test_the_closures_list_is_one_query_however_many(
    lead_api: TestClient, cohort: dict[str, Any], count_queries: Any, db: Session
) -> None:
    def measure() -> int:
        db.expire_all()
        with count_queries() as counted:
            assert lead_api.get("/api/v1/closures").status_code == 200
        return int(counted.count)

    _closure(lead_api, "2026-10-26", None, "One")
    few = measure()
    for n, start in enumerate(("2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23")):
        _closure(lead_api, start, None, f"More {n}")
    assert measure() == few


# The migration's backfill ------------------------------------------------------------------


def test_the_migration_links_sessions_already_cancelled_by_a_closure(
    databases: DatabaseFactory,
) -> None:
    """Sessions cancelled before the link existed: the upgrade links each to the closure
    that cancelled it (matching date, scope and reason; the first such closure), and
    leaves a session cancelled by hand alone."""
    url = databases.new("closure_backfill")
    config = alembic_config_for(url)
    command.upgrade(config, "head")
    engine = create_db_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            load_path(db, CURRICULUM)
            people = People(db)
            second = people.add(
                people.facilitator.role, email="second@org-a.example.org", name="Second"
            )
            (curriculum,) = latest_curricula(db)
            cohorts = [
                service.create_cohort(
                    db,
                    actor=people.lead,
                    data=CohortCreate(
                        name=name,
                        curriculum_id=curriculum.id or 0,
                        start_date=start,
                        start_time=dt.time(16),
                        venue=venue,
                        facilitator_ids=[people.facilitator.id or 0, second.id or 0],
                    ),
                )
                for name, start, venue in (
                    ("Monday group", dt.date(2026, 9, 7), "Hall"),
                    ("Tuesday group", dt.date(2026, 9, 8), "Annex"),
                )
            ]
            for start, end, reason, cohort_id in (
                (dt.date(2026, 10, 26), dt.date(2026, 10, 30), "Half term", None),
                (dt.date(2026, 10, 26), dt.date(2026, 11, 3), "Half term", None),
                (dt.date(2026, 11, 9), dt.date(2026, 11, 9), "Hall shut", cohorts[0].id),
                (dt.date(2026, 11, 10), dt.date(2026, 11, 10), "Hall shut", cohorts[0].id),
            ):
                rescheduling.create_closure(
                    db,
                    actor=people.lead,
                    data=ClosureCreate(
                        date=start, end_date=end, reason=reason, cohort_id=cohort_id
                    ),
                )
            last = db.exec(
                select(GroupSession)
                .where(GroupSession.status == "scheduled")
                .order_by(col(GroupSession.date).desc())
            ).first()
            assert last is not None
            rescheduling.cancel_session(
                db,
                actor=people.lead,
                session_id=last.id or 0,
                version=last.version,
                reason="Closure: Half term",
            )
            db.commit()
            linked = dict(
                db.exec(
                    select(GroupSession.id, GroupSession.closure_id).where(
                        GroupSession.status == "cancelled"
                    )
                ).all()
            )
            # As the service linked them: 2 + 2 (the second half term, Monday 2 November's and
            # Tuesday 3 November's), 1 (the Monday group's 9 November), 0 (not a Monday).
            assert sorted(n for n in _per_closure(linked).values()) == [1, 2, 2]
            assert linked[last.id] is None
            # Before the link existed.
            db.execute(update(GroupSession).values(closure_id=None))
            db.commit()
        down = ScriptDirectory.from_config(config).get_revision(REVISION).down_revision
        assert isinstance(down, str)
        command.downgrade(config, down)
        command.upgrade(config, "head")
        with Session(engine) as db:
            again = dict(
                db.exec(
                    select(GroupSession.id, GroupSession.closure_id).where(
                        GroupSession.status == "cancelled"
                    )
                ).all()
            )
        assert again == linked
    finally:
        engine.dispose()


def _per_closure(linked: dict[int | None, int | None]) -> dict[int, int]:
    out: dict[int, int] = {}
    for closure_id in linked.values():
        if closure_id is not None:
            out[closure_id] = out.get(closure_id, 0) + 1
    return out
