"""Retention: the rule at its edges, anonymisation, legal hold, the command's dry run, the
worker's daily run, and the organisation's setting."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import app.cli
from app.audit.models import AuditEvent
from app.auth.models import Organisation, User, WebSession
from app.children.models import Child
from app.cli import app as cli
from app.records import retention
from app.sessions.models import Attendance, SessionRecord
from tests.support.clock import Clock
from tests.support.fixtures import MakeChild
from tests.support.mentoring import Mentees
from tests.support.pages import post
from tests.support.people import People, Signed

UTC = dt.UTC


def _set_years(db: Session, people: People, years: int) -> None:
    org = db.get(Organisation, people.org.id)
    assert org is not None
    org.retention_years_after_last_involvement = years
    db.add(org)
    db.commit()


def _created(db: Session, child_id: int, day: dt.date) -> None:
    db.execute(
        update(Child)
        .where(col(Child.id) == child_id)
        .values(created_at=dt.datetime.combine(day, dt.time(12), tzinfo=UTC))
    )
    db.commit()


def _child(db: Session, child_id: int) -> Child:
    db.expire_all()
    child = db.get(Child, child_id)
    assert child is not None
    return child


# The rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (dt.date(2027, 3, 10), 6, dt.date(2021, 3, 9)),
        (dt.date(2027, 3, 1), 1, dt.date(2026, 2, 28)),
        # 29 February 2024 + 1 year is 28 February 2025: past retention from 1 March 2025.
        (dt.date(2025, 3, 1), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 2, 28), 1, dt.date(2024, 2, 27)),
        # On 1 March 2028 (leap year), the day before is 29 February: kept since 28 Feb 2027.
        (dt.date(2028, 3, 1), 1, dt.date(2027, 2, 28)),
    ],
)
def test_cutoff_is_the_last_day_whose_years_later_is_before_today(
    day: dt.date, years: int, expected: dt.date
) -> None:
    assert retention.cutoff(day, years) == expected
    assert retention.add_years(expected, years) < day
    assert retention.add_years(expected + dt.timedelta(days=1), years) >= day


def test_add_years_turns_29_february_into_28() -> None:
    assert retention.add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert retention.add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)


@pytest.mark.clock("2027-03-10T10:00")
def test_a_child_is_past_retention_the_day_after_the_period_ends(
    db: Session, people: People, make_child: MakeChild, clock: Clock
) -> None:
    _set_years(db, people, 1)
    edge, before = make_child(), make_child()
    _created(db, edge["id"], dt.date(2026, 3, 9))  # kept until 9 March 2027: past today
    _created(db, before["id"], dt.date(2026, 3, 10))  # kept until today: not yet
    dry = retention.run(db, now=clock.now, dry_run=True, org_name="Org A")
    assert [d.reference for d in dry[0].children] == [edge["reference"]]
    assert dry[0].children[0].last_involvement == dt.date(2026, 3, 9)
    assert dry[0].children[0].kept_until == dt.date(2027, 3, 9)
    retention.run(db, now=clock.now, org_name="Org A")
    db.commit()
    assert _child(db, edge["id"]).anonymised_at is not None
    assert _child(db, before["id"]).anonymised_at is None
    clock.shift(dt.timedelta(days=1))  # 11 March: the second is past its period too
    retention.run(db, now=clock.now, org_name="Org A")
    db.commit()
    assert _child(db, before["id"]).anonymised_at is not None


def test_every_involvement_counts(
    db: Session, people: People, mentees: Mentees, lead_api: TestClient
) -> None:
    """A life event years after the sessions keeps the record: the latest date counts."""
    _set_years(db, people, 1)
    later = mentees.today
    response = lead_api.post(
        f"/api/v1/children/{mentees.ben['id']}/events",
        json={"kind": "placement_move", "date": later.isoformat()},
    )
    assert response.status_code == 201, response.text
    lasts = retention.last_involvement(
        db, org_id=people.org.id or 0, child_ids=[mentees.amira["id"], mentees.ben["id"]]
    )
    # Their cohort's sessions run on (scheduled) after today: the last is on both registers.
    assert lasts[mentees.amira["id"]] == lasts[mentees.ben["id"]]
    assert lasts[mentees.amira["id"]] > later


# Anonymisation -------------------------------------------------------------------------------


def _reports(api: TestClient, as_of: dt.date) -> dict[str, str]:
    out = {}
    for path in (
        f"/api/v1/fidelity?as_of={as_of}",
        f"/api/v1/outcomes?as_of={as_of}",
        "/api/v1/evaluation.csv",
        f"/api/v1/fidelity.csv?as_of={as_of}",
    ):
        response = api.get(path)
        assert response.status_code == 200, response.text
        out[path] = response.text
    return out


def _far(mentees: Mentees) -> dt.date:
    return mentees.today + dt.timedelta(days=365 * 8)


def test_figures_for_past_dates_stay_the_same(
    db: Session, people: People, mentees: Mentees, lead_api: TestClient, clock: Clock
) -> None:
    before = _reports(lead_api, mentees.today)
    references = {c["id"]: c["reference"] for c in (mentees.amira, mentees.ben)}
    outcome = retention.run(db, now=clock.now, day=_far(mentees), org_name="Org A")
    db.commit()
    assert {d.child_id for d in outcome[0].children} == set(references)
    after = _reports(lead_api, mentees.today)
    for child_id, old in references.items():
        new = _child(db, child_id).reference
        assert new.startswith("ANON-")
        for path in after:
            assert old not in after[path]
            before[path] = before[path].replace(old, new)
    # The new references sort differently: rows are compared as sets, figures exactly.
    for path in after:
        assert _canonical(after[path]) == _canonical(before[path]), path


def _canonical(body: str) -> Any:
    """A report with its lists' order set aside (JSON), or its lines sorted (CSV)."""
    try:
        return _sorted(json.loads(body))
    except json.JSONDecodeError:
        head, *lines = body.splitlines()
        return head, sorted(lines)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted(
            (_sorted(item) for item in value), key=lambda x: json.dumps(x, sort_keys=True)
        )
    return value


def test_anonymised_child_is_not_findable_by_old_name_or_reference(
    db: Session,
    people: People,
    mentees: Mentees,
    lead_api: TestClient,
    signed: Signed,
    clock: Clock,
) -> None:
    amira = mentees.amira
    name, reference = amira["first_name"], amira["reference"]
    # Free text about her: her register row, the session's notes, a life event, an email.
    db.execute(update(Attendance).where(col(Attendance.child_id) == amira["id"]).values(note="ok"))
    db.execute(update(SessionRecord).values(notes=f"{name} led the warm-up"))
    db.commit()
    lead_api.post(
        f"/api/v1/children/{amira['id']}/events",
        json={"kind": "placement_move", "date": mentees.today.isoformat(), "note": "Moved"},
    )
    retention.run(db, now=clock.now, day=_far(mentees), org_name="Org A")
    db.commit()
    child = _child(db, amira["id"])
    assert child.first_name == "Anonymised"
    assert child.date_of_birth is None
    assert child.age_at_first_session is not None
    assert child.consent_given_by == "Removed"
    assert db.exec(select(SessionRecord.notes)).all() == [None]
    assert db.exec(select(Attendance.note).where(Attendance.child_id == amira["id"])).all() == [
        None
    ]
    pages = signed.pages(people.lead)
    admin = signed.pages(people.admin)
    seen = [
        lead_api.get(f"/api/v1/children?q={name}").text,
        lead_api.get(f"/api/v1/children?q={reference}").text,
        pages.get(f"/children/{amira['id']}").text,
        lead_api.get(f"/api/v1/children/{amira['id']}/export").text,
        lead_api.get("/api/v1/evaluation.csv").text,
        lead_api.get(f"/api/v1/fidelity.csv?as_of={mentees.today}").text,
        lead_api.get(f"/api/v1/fidelity.xlsx?as_of={mentees.today}").content.decode("latin-1"),
        admin.get("/audit").text,
        admin.get(f"/audit?entity=child&entity_id={amira['id']}").text,
    ]
    assert json.loads(seen[0]) == []
    assert json.loads(seen[1]) == []
    for q in (name, reference):
        found = pages.get(f"/children?q={q}").text
        assert "No children match" in found  # the search box shows what was typed, no more
    for body in seen:
        assert name not in body
        assert reference not in body
    events = db.exec(
        select(AuditEvent).where(AuditEvent.entity == "child", AuditEvent.entity_id == amira["id"])
    ).all()
    assert {e.action for e in events} >= {"create", "anonymise"}
    assert all(name not in json.dumps(e.changes) for e in events)
    page = pages.get(f"/children/{amira['id']}").text
    assert "Anonymised" in page
    assert "cannot be changed" in page


def test_an_anonymised_record_refuses_edits(
    db: Session, people: People, mentees: Mentees, lead_api: TestClient, clock: Clock
) -> None:
    retention.run(db, now=clock.now, day=_far(mentees), org_name="Org A")
    db.commit()
    child_id = mentees.amira["id"]
    response = lead_api.patch(f"/api/v1/children/{child_id}", json={"first_name": "Amira"})
    assert response.status_code == 409
    assert "anonymised" in response.json()["detail"]
    assert _child(db, child_id).first_name == "Anonymised"
    response = lead_api.put(f"/api/v1/children/{child_id}/legal-hold", json={"reason": "Claim"})
    assert response.status_code == 409
    assert _child(db, child_id).legal_hold is False


def test_one_audit_event_per_run_with_counts_only(
    db: Session, people: People, mentees: Mentees, clock: Clock
) -> None:
    retention.run(db, now=clock.now, day=_far(mentees), org_name="Org A")
    db.commit()
    runs = db.exec(select(AuditEvent).where(AuditEvent.action == "retention_run")).all()
    assert len(runs) == 1
    assert runs[0].changes["children_anonymised"] == 2
    assert mentees.amira["reference"] not in json.dumps(runs[0].changes)


def test_a_run_is_a_fixed_number_of_statements(
    db: Session, people: People, make_child: MakeChild, clock: Clock
) -> None:
    """Anonymising 3 children or 12 takes the same number of statements."""
    from sqlalchemy import event

    counts = []
    for n in (3, 12):
        made = [make_child() for _ in range(n)]
        for child in made:
            _created(db, child["id"], dt.date(2015, 1, 1))
        statements: list[str] = []

        def count(*args: Any, statements: list[str] = statements) -> None:
            statements.append(args[2])

        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            retention.run(db, now=clock.now, org_name="Org A")
            db.flush()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        db.commit()
        counts.append(len(statements))
        assert all(_child(db, c["id"]).anonymised_at for c in made)
    assert counts[0] == counts[1]


def test_names_are_found_in_text_whatever_their_case_and_number() -> None:
    """The shared-text search (session notes, coverage, observations, flags, emails) finds
    any of the children's first names or references inside a text, as a LIKE did."""
    mentions = retention._matcher({"amira", "al", "sc-0042", "zoë"})
    assert mentions("AMIRA led the warm-up")
    assert mentions("Also present")  # a short name inside a longer word: the safe side
    assert mentions("see sc-00421")
    assert mentions("ZOË came late")
    assert not mentions("Ben led the warm-up")
    assert not mentions("sc-0043")
    assert not mentions(None)
    assert not mentions("")
    assert not retention._matcher(set())("Amira")
    many = retention._matcher({f"child{n:05d}" for n in range(5000)})
    assert many("notes on CHILD04999 today")
    assert not many("notes on child5 today")


# Users -----------------------------------------------------------------------------------------


def test_deactivated_people_and_ended_mentors_are_anonymised(
    db: Session, people: People, signed: Signed, clock: Clock
) -> None:
    gone = people.add(people.lead.role, email="gone@org-a.example.org", name="Gone Person")
    gone.active = False
    db.add(gone)
    db.commit()
    signed.api(people.mentor)  # a token for the mentor, ended by the run
    day = clock.today + dt.timedelta(days=365 * 7)
    retention.run(db, now=clock.now, day=day, org_name="Org A")
    db.commit()
    db.expire_all()
    for user in (gone, people.mentor):
        row = db.get(User, user.id)
        assert row is not None
        assert row.anonymised_at is not None
        assert row.name == f"Former {row.role.value} {row.id}"
        assert row.email == f"anonymised-{row.id}@invalid"
        assert row.active is False
    lead = db.get(User, people.lead.id)
    assert lead is not None
    assert lead.anonymised_at is None
    live = db.exec(
        select(WebSession).where(
            WebSession.user_id == people.mentor.id, col(WebSession.revoked_at).is_(None)
        )
    ).all()
    assert live == []


def test_a_mentor_with_an_active_match_is_kept(
    db: Session, people: People, mentees: Mentees, clock: Clock
) -> None:
    found = retention.run(db, now=clock.now, day=_far(mentees), dry_run=True, org_name="Org A")
    assert people.mentor.id not in {u.user_id for u in found[0].users}


# Legal hold ------------------------------------------------------------------------------------


def test_legal_hold_keeps_the_record(
    db: Session, people: People, make_child: MakeChild, lead_api: TestClient, clock: Clock
) -> None:
    child = make_child()
    _created(db, child["id"], dt.date(2015, 1, 1))
    response = lead_api.put(
        f"/api/v1/children/{child['id']}/legal-hold", json={"reason": "  Claim pending  "}
    )
    assert response.status_code == 200, response.text
    assert response.json()["legal_hold"] is True
    assert response.json()["legal_hold_reason"] == "Claim pending"
    assert retention.run(db, now=clock.now, org_name="Org A")[0].children == []
    event = db.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "child", AuditEvent.entity_id == child["id"])
        .order_by(col(AuditEvent.id).desc())
    ).first()
    assert event is not None
    assert event.changes["legal_hold_reason"] == [None, "Claim pending"]
    response = lead_api.delete(f"/api/v1/children/{child['id']}/legal-hold")
    assert response.status_code == 200
    assert response.json()["legal_hold"] is False
    assert response.json()["legal_hold_reason"] is None
    found = retention.run(db, now=clock.now, dry_run=True, org_name="Org A")[0].children
    assert [d.child_id for d in found] == [child["id"]]


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}])
def test_legal_hold_needs_a_reason(
    db: Session, make_child: MakeChild, lead_api: TestClient, body: dict[str, Any]
) -> None:
    child = make_child()
    response = lead_api.put(f"/api/v1/children/{child['id']}/legal-hold", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _child(db, child["id"]).legal_hold is False


def test_legal_hold_page_places_and_lifts_it(
    db: Session, people: People, make_child: MakeChild, signed: Signed
) -> None:
    child = make_child()
    pages = signed.pages(people.lead)
    page = pages.get(f"/children/{child['id']}")
    assert "Kept until" in page.text
    assert "Place a legal hold" in page.text
    response = post(pages, f"/children/{child['id']}/legal-hold", {"reason": ""})
    assert response.status_code == 422
    assert "Enter the reason for the legal hold" in response.text
    assert 'href="#reason"' in response.text
    assert _child(db, child["id"]).legal_hold is False
    response = post(pages, f"/children/{child['id']}/legal-hold", {"reason": "Court order"})
    assert response.status_code == 303
    page = pages.get(response.headers["location"])
    assert "legal hold" in page.text
    assert "Court order" in page.text
    response = post(pages, f"/children/{child['id']}/legal-hold/lift", {})
    assert response.status_code == 303
    assert _child(db, child["id"]).legal_hold is False


@pytest.mark.clock("2027-03-10T10:00")
def test_the_childs_page_says_how_long_it_is_kept(
    db: Session, people: People, make_child: MakeChild, signed: Signed
) -> None:
    child = make_child()
    _created(db, child["id"], dt.date(2027, 3, 3))
    page = signed.pages(people.lead).get(f"/children/{child['id']}").text
    assert "Kept until 3 March 2033: 6 years after their last involvement on 3 March 2027" in page
    # Facilitators and mentors are not shown the retention section.
    from app.site.panels import child_retention

    row = _child(db, child["id"])
    assert child_retention(db, people.facilitator, row) is None
    assert child_retention(db, people.mentor, row) is None
    assert child_retention(db, people.admin, row) is not None


# The command and the worker --------------------------------------------------------------------

TOUCHED = (
    "child",
    "attendance",
    "session_record",
    "mentor_visit",
    "mentor_match",
    "life_event",
    "enrolment",
    "audit_event",
    "user_account",
    "mentor_profile",
    "web_session",
    "api_token",
    "outbox_message",
)


def _cli_on(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's sessions join the test's transaction (commits become savepoints)."""

    def session() -> Session:
        return Session(
            bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    monkeypatch.setattr(app.cli, "_session", session)


def _snapshot(db: Session) -> dict[str, list[Any]]:
    return {
        name: [tuple(row) for row in db.execute(text(f"SELECT * FROM {name} ORDER BY 1")).all()]
        for name in TOUCHED
    }


def test_dry_run_lists_and_changes_nothing(
    db: Session,
    people: People,
    mentees: Mentees,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set_years(db, people, 1)
    db.execute(update(Child).values(created_at=dt.datetime(2015, 1, 1, tzinfo=UTC)))
    db.commit()
    _cli_on(db, monkeypatch)
    before = _snapshot(db)
    # Nobody is past retention today (the cohort runs on): an empty list.
    result = CliRunner().invoke(cli, ["retention", "run", "--dry-run", "--org", "Org A"])
    assert result.exit_code == 0, result.output
    assert "Org A: would anonymise 0 children" in result.output
    # Eight years on, Amira and Ben are listed, with their last involvement.
    far = ["--today", _far(mentees).isoformat()]
    result = CliRunner().invoke(cli, ["retention", "run", "--dry-run", "--org", "Org A", *far])
    assert result.exit_code == 0, result.output
    assert "would anonymise 2 children" in result.output
    assert f"child {mentees.amira['reference']}: last involvement" in result.output
    assert _snapshot(db) == before
    result = CliRunner().invoke(cli, ["retention", "run", "--org", "Org A", *far])
    assert result.exit_code == 0, result.output
    assert "Org A: anonymised 2 children" in result.output
    assert _child(db, mentees.amira["id"]).anonymised_at is not None


def test_unknown_organisation_fails(
    db: Session, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli_on(db, monkeypatch)
    result = CliRunner().invoke(cli, ["retention", "run", "--org", "Nowhere"])
    assert result.exit_code == 1
    assert "no organisation 'Nowhere'" in result.output


@pytest.mark.clock("2027-03-10T10:00")
def test_the_worker_runs_it_once_a_day(
    db: Session, people: People, make_child: MakeChild, clock: Clock
) -> None:
    from app.notify.jobs import default_jobs

    assert isinstance(default_jobs()[-1], retention.DailyRun)
    job = retention.DailyRun()
    child = make_child()
    _created(db, child["id"], dt.date(2015, 1, 1))
    assert job(db, clock.now) == 1
    db.commit()
    later = make_child()
    _created(db, later["id"], dt.date(2015, 1, 1))
    clock.shift(dt.timedelta(hours=10))  # 20:00 the same day: already run
    assert job(db, clock.now) == 0
    # Nor does another worker (or a restart): the day's run left its audit event.
    assert retention.DailyRun()(db, clock.now) == 0
    db.commit()
    assert _child(db, later["id"]).anonymised_at is None
    clock.shift(dt.timedelta(hours=5))  # 01:00 the next day
    assert job(db, clock.now) == 1
    db.commit()
    assert _child(db, later["id"]).anonymised_at is not None
    runs = db.exec(select(AuditEvent).where(AuditEvent.action == "retention_run")).all()
    assert len(runs) == 2  # organisation A's two runs; B found nobody and wrote nothing


# The organisation's setting ------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 101, "6", None, 2.5])
def test_retention_years_setting_is_checked(
    db: Session, people: People, admin_api: TestClient, bad: Any
) -> None:
    response = admin_api.patch(
        "/api/v1/organisation", json={"retention_years_after_last_involvement": bad}
    )
    assert response.status_code in (200, 422)
    if bad is None:  # null leaves the setting as it is
        assert response.status_code == 200
    else:
        assert response.status_code == 422
    db.expire_all()
    org = db.get(Organisation, people.org.id)
    assert org is not None
    assert org.retention_years_after_last_involvement == 6


def test_retention_years_setting_is_saved_and_audited(
    db: Session, people: People, admin_api: TestClient, admin_pages: Any
) -> None:
    response = admin_api.patch(
        "/api/v1/organisation", json={"retention_years_after_last_involvement": 10}
    )
    assert response.status_code == 200
    assert response.json()["retention_years_after_last_involvement"] == 10
    event = db.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "organisation")
        .order_by(col(AuditEvent.id).desc())
    ).first()
    assert event is not None
    assert event.changes["retention_years_after_last_involvement"] == [6, 10]
    page = admin_pages.get("/admin/organisation")
    assert 'name="retention_years_after_last_involvement"' in page.text
