"""The evaluators' file: pseudonymous rows (no name, reference or date of birth), a
pseudonym stable across exports and different between organisations, every score at every
timepoint, events before and since; its data dictionary; a fixed number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.auth.models import Organisation
from app.cohorts.models import Cohort, GroupSession, SessionStatus
from app.csvout import BOM
from app.mentoring.models import Match, MentorVisit, VisitStatus
from app.outcomes.evaluation import service
from app.outcomes.models import EventKind, Measure, Timepoint
from app.sessions.models import Attendance, AttendanceStatus
from tests.outcomes.events_data import assessment, enrolled_child, event
from tests.support.fixtures import MONDAY
from tests.support.people import PageClient, People, Signed
from tests.support.queries import CountQueries

AS_OF = dt.date(2027, 3, 10)
TINY: dict[str, Any] = {
    "key": "tiny",
    "version": 1,
    "name": "Tiny wellbeing scale",
    "licence": {"name": "Test", "item_text_allowed": False},
    "informants": {"carer": "Carer", "self": "Child"},
    "entry": "scores",
    "scales": [
        {
            "key": "mood",
            "name": "Mood",
            "min": 0,
            "max": 10,
            "higher_is": "better",
            "norms": {
                "carer": {
                    "sd": 2.0,
                    "reliability": 0.8,
                    "source": {"citation": "A made-up source for the tests"},
                }
            },
        }
    ],
    "timepoints": ["baseline", "end"],
}


def _measure(db: Session) -> None:
    db.add(
        Measure(
            key="tiny",
            version=1,
            name="Tiny wellbeing scale",
            content_hash="0" * 64,
            definition=TINY,
            loaded_at=datetime.now(UTC),
        )
    )
    db.flush()


def _read(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(response.text.removeprefix(BOM))))


def test_one_pseudonymous_row_per_enrolled_child(
    lead_api: TestClient, db: Session, people: People, cohort: dict[str, Any]
) -> None:
    org = people.lead.org_id
    _measure(db)
    zeb = enrolled_child(
        db,
        org_id=org,
        cohort_id=cohort["id"],
        start=MONDAY,
        reference="REF-ZEB-77",
        first_name="Zebedee-Unique",
        born=dt.date(2015, 9, 8),  # 10 on 7 September 2026 (turns 11 the day after)
    )
    assessment(
        db,
        org_id=org,
        child_id=zeb,
        measure="tiny",
        informant="carer",
        timepoint=Timepoint.baseline,
        on=MONDAY,
        scores={"mood": 4},
    )
    assessment(
        db,
        org_id=org,
        child_id=zeb,
        measure="tiny",
        informant="carer",
        timepoint=Timepoint.end,
        on=AS_OF,
        scores={"mood": 7.5},
    )
    event(db, org_id=org, child_id=zeb, kind=EventKind.placement_move, day=dt.date(2026, 1, 5))
    event(db, org_id=org, child_id=zeb, kind=EventKind.placement_move, day=dt.date(2026, 10, 5))
    event(db, org_id=org, child_id=zeb, kind=EventKind.police_contact, day=dt.date(2027, 2, 1))
    db.commit()
    # A child with no enrolment has no row.
    lead_api.post(
        "/api/v1/children",
        json={
            "reference": "NOT-ENROLLED",
            "first_name": "Nobody",
            "date_of_birth": "2016-03-01",
            "placement_type": "kinship",
            "consent_given_by": "Carer",
            "consent_given_on": "2026-09-01",
        },
    )
    response = lead_api.get("/api/v1/evaluation.csv")
    text = response.text
    for secret in ("Zebedee-Unique", "REF-ZEB-77", "2015-09-08", "Nobody", "NOT-ENROLLED"):
        assert secret not in text
    assert "attachment" in response.headers["content-disposition"]
    rows = _read(response)
    assert len(rows) == 1
    row = rows[0]
    assert len(row["pseudonym"]) == 16
    assert row["cohort"] == "Monday group"
    assert row["age_at_first_session"] == "10"
    assert row["placement_type"] == "foster"
    assert row["tiny_carer_mood_baseline"] == "4"
    assert row["tiny_carer_mood_end"] == "7.5"
    assert row["tiny_self_mood_baseline"] == ""
    assert row["events_before_placement_move"] == "1"
    assert row["events_since_placement_move"] == "1"
    assert row["events_since_police_contact"] == "1"
    assert row["events_before_adoption"] == "0"
    assert "date_of_birth" not in row
    assert "reference" not in row


def test_pseudonym_is_stable_and_differs_between_organisations(
    lead_api: TestClient, signed: Signed, db: Session, people: People, cohort: dict[str, Any]
) -> None:
    child_id = enrolled_child(
        db, org_id=people.lead.org_id, cohort_id=cohort["id"], start=MONDAY, reference="P-1"
    )
    db.commit()
    first = _read(lead_api.get("/api/v1/evaluation.csv"))[0]["pseudonym"]
    second = _read(lead_api.get("/api/v1/evaluation.csv"))[0]["pseudonym"]
    assert first == second
    a = db.get(Organisation, people.lead.org_id)
    b = db.get(Organisation, people.other_lead.org_id)
    assert a is not None
    assert b is not None
    assert first == service.pseudonym(a.pseudonym_key, child_id)
    assert service.pseudonym(b.pseudonym_key, child_id) != first
    assert a.pseudonym_key not in lead_api.get("/api/v1/evaluation.csv").text
    # Organisation B's file holds none of A's children.
    assert _read(signed.api(people.other_lead).get("/api/v1/evaluation.csv")) == []


def test_formula_cells_are_made_inert(
    lead_api: TestClient, db: Session, people: People, cohort: dict[str, Any]
) -> None:
    enrolled_child(
        db, org_id=people.lead.org_id, cohort_id=cohort["id"], start=MONDAY, reference="F-1"
    )
    group = db.get(Cohort, cohort["id"])
    assert group is not None
    group.name = "=HYPERLINK(1)"
    db.add(group)
    db.commit()
    row = _read(lead_api.get("/api/v1/evaluation.csv"))[0]
    assert row["cohort"] == "'=HYPERLINK(1)"


def test_fidelity_figures_per_child(
    lead_api: TestClient, db: Session, people: People, cohort: dict[str, Any]
) -> None:
    org = people.lead.org_id
    child_id = enrolled_child(db, org_id=org, cohort_id=cohort["id"], start=MONDAY, reference="D-1")
    db.commit()
    empty = _read(lead_api.get("/api/v1/evaluation.csv"))[0]
    # Nothing recorded yet: no lesson delivered, no match, nothing due.
    assert empty["lessons_delivered"] == "0"
    assert empty["dosage"] == ""
    assert empty["dosage_met"] == ""
    assert empty["mentoring_hours_per_week"] == ""
    assert empty["weeks_in_band"] == ""
    assert empty["match_weeks"] == "0"
    assert empty["practice_completion"] == ""
    # Four sessions delivered; the child attended three (present, late, present).
    sessions = db.exec(
        select(GroupSession)
        .where(GroupSession.cohort_id == cohort["id"])
        .order_by(col(GroupSession.date))
    ).all()[:4]
    for session, status in zip(sessions, ("present", "late", "absent", "present"), strict=True):
        session.status = SessionStatus.delivered
        db.add(session)
        db.add(
            Attendance(
                org_id=org,
                session_id=session.id or 0,
                child_id=child_id,
                status=AttendanceStatus(status),
            )
        )
    db.commit()
    row = _read(lead_api.get("/api/v1/evaluation.csv"))[0]
    assert row["lessons_delivered"] == "4"
    assert row["lessons_attended"] == "3"
    assert row["dosage"] == "0.75"
    assert row["dosage_met"] == "yes"  # the default threshold is 0.75


def test_a_fixed_number_of_queries(
    db: Session, people: People, cohort: dict[str, Any], count_queries: CountQueries
) -> None:
    org = people.lead.org_id
    _measure(db)
    counts = []
    made = 0
    for n in (1, 20):
        while made < n:
            child_id = enrolled_child(
                db, org_id=org, cohort_id=cohort["id"], start=MONDAY, reference=f"N-{made}"
            )
            event(db, org_id=org, child_id=child_id, kind=EventKind.adoption, day=AS_OF)
            assessment(
                db,
                org_id=org,
                child_id=child_id,
                measure="tiny",
                informant="carer",
                timepoint=Timepoint.baseline,
                on=MONDAY,
                scores={"mood": 5},
            )
            made += 1
        db.expire_all()
        with count_queries() as counter:
            rows = service.rows(db, actor=people.lead, as_of=AS_OF)
        assert len(rows) == n + 1
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_data_dictionary_describes_every_column(
    lead_pages: PageClient, lead_api: TestClient, db: Session, people: People, signed: Signed
) -> None:
    _measure(db)
    db.commit()
    page = lead_pages.get("/outcomes/evaluation")
    assert page.status_code == 200
    header = lead_api.get("/api/v1/evaluation.csv").text.removeprefix(BOM).splitlines()[0]
    for name in header.split(","):
        assert f"<code>{name}</code>" in page.text, name
    assert 'href="/api/v1/evaluation.csv"' in page.text
    assert "Tiny wellbeing scale, Mood, Carer, at baseline" in page.text
    assert (
        lead_api.get("/api/v1/evaluation.csv").headers["link"].startswith("</outcomes/evaluation>")
    )
    assert signed.pages(people.facilitator).get("/outcomes/evaluation").status_code == 403
    assert signed.api(people.facilitator).get("/api/v1/evaluation.csv").status_code == 403
    assert signed.api(people.mentor).get("/api/v1/evaluation.csv").status_code == 403


def test_mentoring_hours_and_weeks_in_band_per_child(
    lead_api: TestClient, db: Session, people: People, cohort: dict[str, Any]
) -> None:
    org = people.lead.org_id
    child_id = enrolled_child(db, org_id=org, cohort_id=cohort["id"], start=MONDAY, reference="M-1")
    now = datetime.now(UTC)
    match = Match(
        org_id=org,
        programme_id=cohort["programme_id"],
        child_id=child_id,
        mentor_id=people.mentor.id or 0,
        start_date=dt.date(2027, 2, 15),
        end_date=dt.date(2027, 2, 28),  # two match-weeks: 15 and 22 February
        score=0.5,
        created_by=people.lead.id or 0,
        created_at=now,
    )
    db.add(match)
    db.flush()
    for day, minutes in ((dt.date(2027, 2, 16), 150), (dt.date(2027, 2, 23), 60)):
        db.add(
            MentorVisit(
                org_id=org,
                match_id=match.id or 0,
                programme_id=match.programme_id,
                mentor_id=people.mentor.id or 0,
                child_id=child_id,
                date=day,
                minutes=minutes,
                status=VisitStatus.completed,
                created_by=people.mentor.id or 0,
                created_at=now,
                updated_at=now,
            )
        )
    db.commit()
    row = _read(lead_api.get("/api/v1/evaluation.csv"))[0]
    assert row["match_weeks"] == "2"
    assert row["mentoring_hours_per_week"] == "1.75"  # 210 minutes over 2 weeks
    assert row["weeks_in_band"] == "1"  # 2.5 hours is in the band of 2 to 4; 1 hour is not
