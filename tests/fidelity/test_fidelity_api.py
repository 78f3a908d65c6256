"""GET /api/v1/fidelity and /api/v1/fidelity.csv: the shape of API.md, a small programme
with every figure worked out by hand, as_of, one cohort, bad input, the CSV, and a fixed
number of queries whatever the size of the programme."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role
from tests.support.builder import Builder
from tests.support.clock import Clock
from tests.support.people import People, Signed

START = dt.date(2026, 9, 7)  # a Monday


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


@dataclass
class Hand:
    """A cohort worked out by hand (see `hand` below)."""

    cohort: int
    other_cohort: int
    children: list[int]
    first_names: list[str]
    sessions: dict[str, int]
    core: dict[int, int]  # week -> number of core activities
    mentor: int


@pytest.fixture
def hand(build: Builder, people: People, db: Session) -> Hand:
    """Monday group, from 7 September 2026, run by people.facilitator and a second one.

    S1 week 1, 7 Sep, delivered: 2 facilitators; C1 present, C2 absent; core activities all
       delivered but the first, partial. Practice: C1 completed, C2 open.
    S2 week 2, 14 Sep, delivered: 1 facilitator; C1 late, C2 absent; no coverage recorded.
       Practice: C1 practised.
    S3 week 3, 21 Sep, cancelled.
    S4 week 3, 24 Sep, delivered: 2 facilitators; C1, C2 present, C3 absent; all core
       delivered. Practice: C1 completed (not yet due on 28 Sep).
    S5 week 4, 28 Sep, scheduled. S6 week 5, 1 Oct, scheduled. S7 week 6, 5 Oct, scheduled.
    C1 and C2 enrolled from 7 Sep (C2 withdrawn on 30 Sep), C3 from 15 Sep.
    C1's mentor from 7 Sep: completed visits 8 Sep (120 min), 16 and 17 Sep (60 + 90), 28 Sep
    (60, in the week of as_of); a planned one on 22 Sep.
    Thursday group: one delivered session on 10 Sep, nobody enrolled, run by nobody here.
    """
    second = build.user(Role.facilitator, "second-facilitator")
    facilitators = [people.facilitator.id or 0, second.id or 0]
    cohort = build.cohort(START, name="Monday group", facilitators=facilitators)
    other = build.cohort(day(3), name="Thursday group")
    build.session(other, 1, day(3), "delivered")
    names = ["Zebedee", "Ermintrude", "Dougal"]
    children = [build.child(first_name=n, reference=f"REF-{i + 1}") for i, n in enumerate(names)]
    c1, c2, c3 = children
    build.enrol(c1, cohort, START)
    build.enrol(c2, cohort, START, day(23), withdrawn=True)
    build.enrol(c3, cohort, day(8))
    sessions = {
        "S1": build.session(cohort, 1, day(0), "delivered"),
        "S2": build.session(cohort, 2, day(7), "delivered"),
        "S3": build.session(cohort, 3, day(14), "cancelled"),
        "S4": build.session(cohort, 3, day(17), "delivered"),
        "S5": build.session(cohort, 4, day(21)),
        "S6": build.session(cohort, 5, day(24)),
        "S7": build.session(cohort, 6, day(28)),
    }
    s1, s2, s4 = sessions["S1"], sessions["S2"], sessions["S4"]
    build.present(s1, facilitators)
    build.present(s2, facilitators[:1])
    build.present(s4, facilitators)
    build.attendance(
        [
            (s1, c1, "present"),
            (s1, c2, "absent"),
            (s2, c1, "late"),
            (s2, c2, "absent"),
            (s4, c1, "present"),
            (s4, c2, "present"),
            (s4, c3, "absent"),
        ]
    )
    core1, core3 = build.lessons[1].core, build.lessons[3].core
    build.coverage(
        [(s1, a, "partial" if i == 0 else "delivered") for i, a in enumerate(core1)]
        + [(s4, a, "delivered") for a in core3]
    )
    mentor = people.mentor.id or 0
    task1, task2, task3 = (build.lessons[w].tasks[0] for w in (1, 2, 3))
    build.assignments(
        [
            (s1, c1, task1, "completed", mentor),
            (s1, c2, task1, "open", None),
            (s2, c1, task2, "practised", mentor),
            (s4, c1, task3, "completed", mentor),
        ]
    )
    match = build.match(c1, mentor, START)
    visit = {"match_id": match, "mentor_id": mentor, "child_id": c1}
    build.visits(
        [
            {**visit, "date": day(1), "minutes": 120, "status": "completed"},
            {**visit, "date": day(9), "minutes": 60, "status": "completed"},
            {**visit, "date": day(10), "minutes": 90, "status": "completed"},
            {**visit, "date": day(15), "minutes": 120, "status": "planned"},
            {**visit, "date": day(21), "minutes": 60, "status": "completed"},
        ]
    )
    db.commit()
    return Hand(
        cohort,
        other,
        children,
        names,
        sessions,
        {1: len(core1), 2: len(build.lessons[2].core), 3: len(core3)},
        mentor,
    )


def get(client: TestClient, as_of: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/fidelity", params={"as_of": as_of, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cohort_of(body: dict[str, Any], cohort_id: int) -> dict[str, Any]:
    found: dict[str, Any]
    (found,) = [c for c in body["cohorts"] if c["id"] == cohort_id]
    return found


def test_the_shape_of_api_md(lead_api: TestClient, hand: Hand) -> None:
    body = get(lead_api, "2026-09-28")
    assert body["as_of"] == "2026-09-28"
    assert set(body["metrics"]) >= {
        "delivery_rate",
        "attendance_rate",
        "core_coverage_rate",
        "two_facilitator_rate",
        "mentoring_hours_per_week",
        "weeks_with_visit_rate",
        "weeks_in_band_rate",
        "practice_completion_rate",
        "retention_rate",
    }
    for cohort in body["cohorts"]:
        assert {"id", "name", "metrics"} <= set(cohort)
        assert set(cohort["metrics"]) == set(body["metrics"])
    assert [c["name"] for c in body["cohorts"]] == ["Monday group", "Thursday group"]
    for child in body["children"]:
        assert {
            "child_id",
            "reference",
            "lessons_delivered",
            "lessons_attended",
            "dosage",
            "below_threshold",
        } <= set(child)
    assert body["flags"]
    for flag in body["flags"]:
        assert {"kind", "message", "href"} <= set(flag)
        assert flag["href"].startswith("/")
        assert set(flag) <= {
            "kind",
            "message",
            "href",
            "cohort_id",
            "child_id",
            "session_id",
            "mentor_id",
            "match_id",
            "acknowledgeable",
        }


def test_figures_worked_out_by_hand(lead_api: TestClient, hand: Hand) -> None:
    body = get(lead_api, "2026-09-28")
    m = cohort_of(body, hand.cohort)["metrics"]
    # Delivered S1, S2, S4; cancelled S3; S5 is on as_of itself, so not yet overdue.
    assert m["delivery_rate"] == pytest.approx(3 / 4)
    # Present or late: C1 three times, C2 once, of 7 register rows.
    assert m["attendance_rate"] == pytest.approx(4 / 7)
    # Week 1 all core delivered but one partial; week 2 nothing recorded; week 3 all.
    core = hand.core
    assert m["core_coverage_rate"] == pytest.approx(
        (core[1] - 0.5 + core[3]) / (core[1] + core[2] + core[3])
    )
    assert m["two_facilitator_rate"] == pytest.approx(2 / 3)
    # Match-weeks 7, 14 and 21 Sep (28 Sep holds as_of): 2 h, 2.5 h and 0 h.
    assert m["mentoring_hours_per_week"] == pytest.approx(4.5 / 3)
    assert m["weeks_with_visit_rate"] == pytest.approx(2 / 3)
    assert m["weeks_in_band_rate"] == pytest.approx(2 / 3)
    # Due: S1's two and S2's one (S4 + 7 days is not before 28 Sep); one completed.
    assert m["practice_completion_rate"] == pytest.approx(1 / 3)
    # C2's withdrawal on 30 Sep has not happened yet.
    assert m["retention_rate"] == 1.0

    children = {c["reference"]: c for c in body["children"]}
    assert (children["REF-1"]["lessons_delivered"], children["REF-1"]["lessons_attended"]) == (
        3,
        3,
    )
    assert children["REF-1"]["dosage"] == 1.0
    assert children["REF-2"]["dosage"] == pytest.approx(1 / 3)
    # Below 0.75, but only 3 lessons delivered: not yet below the threshold.
    assert children["REF-2"]["below_threshold"] is False
    # C3 joined on 15 Sep: S4 only.
    assert (children["REF-3"]["lessons_delivered"], children["REF-3"]["lessons_attended"]) == (
        1,
        0,
    )
    assert children["REF-3"]["dosage"] == 0.0

    # The Thursday group: one delivered session and nothing else.
    t = cohort_of(body, hand.other_cohort)["metrics"]
    assert t["delivery_rate"] == 1.0
    assert t["two_facilitator_rate"] == 0.0
    for name in ("attendance_rate", "mentoring_hours_per_week", "retention_rate"):
        assert t[name] is None
    # The organisation: both cohorts' sessions together.
    assert body["metrics"]["delivery_rate"] == pytest.approx(4 / 5)
    assert body["metrics"]["mentoring_hours_per_week"] == pytest.approx(1.5)


def test_as_of_moves_every_figure(lead_api: TestClient, hand: Hand) -> None:
    # 20 Sep: S1 and S2 only; later sessions do not exist yet.
    early = cohort_of(get(lead_api, "2026-09-20"), hand.cohort)["metrics"]
    assert early["delivery_rate"] == 1.0
    assert early["attendance_rate"] == pytest.approx(2 / 4)
    assert early["mentoring_hours_per_week"] == pytest.approx(2.0)  # one match-week, 7 Sep
    # 1 Oct: S5 (28 Sep) is now overdue; C2 was withdrawn on 30 Sep.
    later = get(lead_api, "2026-10-01")
    m = cohort_of(later, hand.cohort)["metrics"]
    assert m["delivery_rate"] == pytest.approx(3 / 5)
    assert m["retention_rate"] == pytest.approx(2 / 3)
    # C2's enrolment ended on 30 Sep: still 3 lessons; C3 still 1.
    children = {c["reference"]: c for c in later["children"]}
    assert children["REF-2"]["lessons_delivered"] == 3
    assert children["REF-3"]["lessons_delivered"] == 1
    # Before anything: nothing to divide by, never 0 and never an error.
    nothing = get(lead_api, "2026-09-01")
    assert set(nothing["metrics"].values()) == {None}
    assert nothing["children"] == []


@pytest.mark.awkward_days
def test_without_as_of_the_figures_are_todays_in_london(
    lead_api: TestClient, hand: Hand, clock: Clock
) -> None:
    today = clock.today.isoformat()
    body = lead_api.get("/api/v1/fidelity").json()
    assert body["as_of"] == today
    assert body == get(lead_api, today)
    csv_today = lead_api.get("/api/v1/fidelity.csv")
    assert csv_today.status_code == 200, csv_today.text
    assert csv_today.text == lead_api.get("/api/v1/fidelity.csv", params={"as_of": today}).text


def test_an_empty_organisation_is_all_null(signed: Signed, people: People, hand: Hand) -> None:
    body = get(signed.api(people.other_lead), "2026-09-28")
    assert set(body["metrics"].values()) == {None}
    assert body["cohorts"] == body["children"] == body["flags"] == []


def test_cohort_id_restricts(lead_api: TestClient, hand: Hand) -> None:
    body = get(lead_api, "2026-09-28", cohort_id=hand.other_cohort)
    assert [c["id"] for c in body["cohorts"]] == [hand.other_cohort]
    assert body["children"] == []
    assert body["metrics"]["delivery_rate"] == 1.0
    assert body["metrics"]["mentoring_hours_per_week"] is None  # no child, no match
    assert all(f.get("cohort_id") in (None, hand.other_cohort) for f in body["flags"])
    assert not any(f.get("child_id") in hand.children for f in body["flags"])
    mine = get(lead_api, "2026-09-28", cohort_id=hand.cohort)
    assert mine["metrics"] == cohort_of(mine, hand.cohort)["metrics"]
    assert {c["child_id"] for c in mine["children"]} == set(hand.children)


def test_a_facilitator_sees_their_own_cohorts(signed: Signed, people: People, hand: Hand) -> None:
    api = signed.api(people.facilitator)
    body = get(api, "2026-09-28")
    assert [c["id"] for c in body["cohorts"]] == [hand.cohort]
    assert body["metrics"]["delivery_rate"] == pytest.approx(3 / 4)
    assert get(api, "2026-09-28", cohort_id=hand.cohort)["cohorts"][0]["id"] == hand.cohort
    response = api.get("/api/v1/fidelity", params={"cohort_id": hand.other_cohort})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("as_of", ["2026-13-01", "yesterday", "2026-02-30", "", "2026-9-1x"])
def test_an_as_of_that_is_not_a_date_is_refused(
    lead_api: TestClient, hand: Hand, as_of: str
) -> None:
    for path in ("/api/v1/fidelity", "/api/v1/fidelity.csv"):
        response = lead_api.get(path, params={"as_of": as_of})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 422
        assert any("as_of" in e["loc"] for e in problem["errors"])


@pytest.mark.parametrize("cohort_id", ["0", "abc", str(2**31)])
def test_a_cohort_id_that_is_not_one_is_refused(
    lead_api: TestClient, hand: Hand, cohort_id: str
) -> None:
    response = lead_api.get("/api/v1/fidelity", params={"cohort_id": cohort_id})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_another_organisations_cohort_is_not_found(
    signed: Signed, people: People, lead_api: TestClient, hand: Hand
) -> None:
    response = signed.api(people.other_lead).get(
        "/api/v1/fidelity", params={"cohort_id": hand.cohort}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "REF-1" not in response.text
    assert lead_api.get("/api/v1/fidelity", params={"cohort_id": 999_999}).status_code == 404
    csv_response = signed.api(people.other_lead).get(
        "/api/v1/fidelity.csv", params={"cohort_id": hand.cohort}
    )
    assert csv_response.status_code == 404


def test_a_mentor_is_refused(signed: Signed, people: People, hand: Hand) -> None:
    api = signed.api(people.mentor)
    for path in ("/api/v1/fidelity", "/api/v1/fidelity.csv"):
        response = api.get(path)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


def test_signed_out_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/fidelity").status_code == 401
    assert client.get("/api/v1/fidelity.csv").status_code == 401


def test_the_csv(lead_api: TestClient, hand: Hand) -> None:
    response = lead_api.get("/api/v1/fidelity.csv", params={"as_of": "2026-09-28"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "fidelity-2026-09-28.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    header = next(csv.reader(io.StringIO(response.text)))
    assert {"level", "cohort_id", "child_reference", "delivery_rate", "dosage"} <= set(header)
    assert [r["level"] for r in rows] == ["cohort"] * 2 + ["child"] * 3
    monday = next(r for r in rows if r["level"] == "cohort" and r["cohort"] == "Monday group")
    assert float(monday["delivery_rate"]) == 0.75
    thursday = next(r for r in rows if r["cohort"] == "Thursday group")
    assert thursday["retention_rate"] == ""  # nothing to divide by
    assert sorted(r["child_reference"] for r in rows if r["level"] == "child") == [
        "REF-1",
        "REF-2",
        "REF-3",
    ]
    # Pseudonymous references only: no child's first name anywhere.
    for name in hand.first_names:
        assert name not in response.text
    one = lead_api.get("/api/v1/fidelity.csv", params={"cohort_id": hand.other_cohort})
    assert len(list(csv.DictReader(io.StringIO(one.text)))) == 1


def _grow(build: Builder, people: People, *, cohorts: int, children: int, weeks: int) -> None:
    """Cohorts with sessions, enrolled children, registers, coverage, practice, matches and
    visits: every table the dashboard reads."""
    mentor = people.mentor.id or 0
    for k in range(cohorts):
        cohort = build.cohort(START, facilitators=[people.facilitator.id or 0])
        kids = [build.child() for _ in range(children)]
        for kid in kids:
            build.enrol(kid, cohort, START)
        for week in range(1, weeks + 1):
            status = "delivered" if week % 5 else "cancelled"
            session = build.session(cohort, week, day(7 * (week - 1)), status)
            if status == "cancelled":
                continue
            build.present(session, [people.facilitator.id or 0])
            build.attendance([(session, kid, "present" if kid % 3 else "absent") for kid in kids])
            build.coverage([(session, a, "delivered") for a in build.lessons[week].core])
            tasks = build.lessons[week].tasks[:1]
            build.assignments([(session, kid, t, "open", None) for kid in kids for t in tasks])
        for kid in kids[:2]:
            match = build.match(kid, mentor, START)
            build.visits(
                [
                    {
                        "match_id": match,
                        "mentor_id": mentor,
                        "child_id": kid,
                        "date": day(7 * w + 2),
                        "minutes": 90,
                        "status": "completed",
                        "safeguarding_concern": w == k,
                    }
                    for w in range(weeks)
                ]
            )


def test_the_number_of_queries_does_not_grow_with_the_programme(
    build: Builder,
    people: People,
    db: Session,
    lead_api: TestClient,
    count_queries: Any,
) -> None:
    _grow(build, people, cohorts=1, children=2, weeks=3)
    db.commit()
    lead_api.get("/api/v1/fidelity", params={"as_of": "2026-12-01"})  # warm up
    with count_queries() as small:
        body = get(lead_api, "2026-12-01")
    assert len(body["cohorts"]) == 1
    _grow(build, people, cohorts=6, children=8, weeks=12)
    db.commit()
    with count_queries() as large:
        body = get(lead_api, "2026-12-01")
    assert len(body["cohorts"]) == 7
    assert len(body["children"]) == 2 + 6 * 8
    assert large.count == small.count, "\n\n".join(large.statements)
    with count_queries() as csv_large:
        assert lead_api.get("/api/v1/fidelity.csv", params={"as_of": "2026-12-01"}).is_success
    assert csv_large.count == large.count
