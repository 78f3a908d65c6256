"""Property: every fidelity figure, computed a second way in plain Python straight from
DESIGN.md ("Fidelity") over the rows of a random programme, agrees with the SQL aggregates
of app.fidelity.service, for the organisation, each cohort, each child and each mentor, and
for a facilitator's and a single cohort's scope.

The oracle below is written from the text of the definitions, one figure at a time, row by
row and week by week; it shares nothing with the SQL but the rows. Where DESIGN.md leaves a
choice open, it follows the service's docstrings, each noted where it is used:

- a match belongs to a cohort's (and a cohort scope's) mentoring figures when its child has
  an enrolment in that cohort that started on or before as_of (`_match_cohorts`); the
  organisation counts every match once;
- retention counts the enrolments started by as_of; one withdrawn on or before as_of is not
  retained (a withdrawal dated later has not happened yet) (`_retention_sums`);
- a child's dosage is per cohort enrolled in (by as_of), and only lessons delivered while
  actively enrolled (start <= date <= end) count, attended ones included;
- "attendance rows that count" (DESIGN.md, second wave): a register row counts only when
  its child was enrolled in the session's cohort on the session's date; a child with no
  row (joined after the save) counts nowhere for that session, dosage included; so do
  their practice assignments of sessions outside their enrolment;
- a mentor's practice completion counts the assignments assigned to them.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.auth.models import Role
from app.fidelity import service, sql, summary
from app.programmes.models import Programme
from tests.support.builder import Builder
from tests.support.people import People

BASE = dt.date(2026, 1, 5)  # a Monday
ATTENDED = {"present", "late"}
N_CHILDREN = 5
N_MENTORS = 3
N_FACILITATORS = 4
MAX_ACTIVITIES = 8
MAX_TASKS = 2

# Programmes, as plain data ------------------------------------------------------------------


@dataclass
class SessionSpec:
    cohort: int
    week: int
    day: dt.date
    status: str
    present: int  # how many of the facilitators pool were there (delivered only)
    coverage: list[str | None] = field(default_factory=list)  # by activity position


@dataclass
class Spec:
    cohort_starts: list[dt.date]
    facilitator_runs: list[int]  # the cohorts people.facilitator runs
    sessions: list[SessionSpec]
    # (child, cohort, start, end, withdrawn)
    enrolments: list[tuple[int, int, dt.date, dt.date | None, bool]]
    # (session index, child) -> status; only for children on a delivered session's register
    attendance: dict[tuple[int, int], str]
    # (session index, child, task position, status, mentor or None)
    assignments: list[tuple[int, int, int, str, int | None]]
    # (child, mentor, start, end)
    matches: list[tuple[int, int, dt.date, dt.date | None]]
    # (match index, date, minutes, status)
    visits: list[tuple[int, dt.date, int, str]]
    as_of: dt.date
    threshold: float
    band: tuple[int, int]
    one_cohort: int


def _enrolled(
    enrolments: list[tuple[int, int, dt.date, dt.date | None, bool]],
    child: int,
    cohort: int,
    day: dt.date,
) -> bool:
    return any(
        c == child and k == cohort and start <= day and (end is None or day <= end)
        for c, k, start, end, _ in enrolments
    )


@st.composite
def programmes(draw: st.DrawFn) -> Spec:
    n_cohorts = draw(st.integers(1, 3))
    starts = [BASE + dt.timedelta(days=draw(st.integers(0, 21))) for _ in range(n_cohorts)]
    runs = sorted(draw(st.sets(st.integers(0, n_cohorts - 1), min_size=1)))
    sessions: list[SessionSpec] = []
    for k, start in enumerate(starts):
        live_week = 0
        for day, status in draw(
            st.lists(
                st.tuples(
                    st.integers(0, 90),
                    st.sampled_from(["delivered", "delivered", "cancelled", "scheduled"]),
                ),
                max_size=7,
            )
        ):
            if status == "cancelled":  # cancelled rows may share a week with anything
                week = draw(st.integers(1, 30))
            else:  # one live session per cohort and lesson week
                live_week += 1
                week = live_week
            coverage: list[str | None] = []
            present = 0
            if status == "delivered":
                present = draw(st.integers(0, 3))
                coverage = draw(
                    st.lists(
                        st.sampled_from([None, "delivered", "delivered", "partial", "skipped"]),
                        min_size=MAX_ACTIVITIES,
                        max_size=MAX_ACTIVITIES,
                    )
                )
            sessions.append(
                SessionSpec(k, week, start + dt.timedelta(days=day), status, present, coverage)
            )
    enrolments: list[tuple[int, int, dt.date, dt.date | None, bool]] = []
    for child in range(N_CHILDREN):
        active = False
        for _ in range(draw(st.integers(0, 2))):
            cohort = draw(st.integers(0, n_cohorts - 1))
            start = starts[cohort] + dt.timedelta(days=draw(st.integers(0, 60)))
            length = draw(st.none() | st.integers(0, 60))
            withdrawn = draw(st.booleans()) or active  # at most one active enrolment a child
            if withdrawn and length is None:
                length = draw(st.integers(0, 60))  # a withdrawal always has its date
            end = None if length is None else start + dt.timedelta(days=length)
            active = active or not withdrawn
            enrolments.append((child, cohort, start, end, withdrawn))
    attendance: dict[tuple[int, int], str] = {}
    assignments: list[tuple[int, int, int, str, int | None]] = []
    statuses = st.sampled_from([None, "present", "present", "late", "absent", "excused"])
    for i, s in enumerate(sessions):
        if s.status != "delivered":
            continue
        for child in range(N_CHILDREN):
            expected = _enrolled(enrolments, child, s.cohort, s.day)
            # Now and then a register row outside the enrolment (a back-dated withdrawal).
            if expected or draw(st.integers(0, 9)) == 0:
                mark = draw(statuses)
                if mark is not None:
                    attendance[(i, child)] = mark
            if expected:
                for task in range(MAX_TASKS):
                    if draw(st.booleans()):
                        assignments.append(
                            (
                                i,
                                child,
                                task,
                                draw(st.sampled_from(["open", "practised", "completed"])),
                                draw(st.none() | st.integers(0, N_MENTORS - 1)),
                            )
                        )
    matches: list[tuple[int, int, dt.date, dt.date | None]] = []
    for child in range(N_CHILDREN):
        count = draw(st.integers(0, 2))
        for n in range(count):
            start = BASE + dt.timedelta(days=draw(st.integers(0, 100)))
            length = draw(st.none() | st.integers(0, 70))
            if length is None and n < count - 1:  # at most one active match a child
                length = draw(st.integers(0, 70))
            end = None if length is None else start + dt.timedelta(days=length)
            matches.append((child, draw(st.integers(0, N_MENTORS - 1)), start, end))
    visits: list[tuple[int, dt.date, int, str]] = []
    minutes = st.sampled_from([15, 60, 119, 120, 180, 240, 241, 480]) | st.integers(15, 480)
    for m, (_, _, start, _) in enumerate(matches):
        for _ in range(draw(st.integers(0, 6))):
            visits.append(
                (
                    m,
                    start + dt.timedelta(days=draw(st.integers(-7, 80))),
                    draw(minutes),
                    draw(st.sampled_from(["completed", "completed", "planned", "missed"])),
                )
            )
    return Spec(
        cohort_starts=starts,
        facilitator_runs=runs,
        sessions=sessions,
        enrolments=enrolments,
        attendance=attendance,
        assignments=assignments,
        matches=matches,
        visits=visits,
        as_of=BASE + dt.timedelta(days=draw(st.integers(0, 150))),
        threshold=draw(st.sampled_from([0.5, 0.75, 0.8])),
        band=draw(st.sampled_from([(2, 4), (0, 1), (1, 3), (2, 2)])),
        one_cohort=draw(st.integers(0, n_cohorts - 1)),
    )


# The rows, as inserted, in plain Python -----------------------------------------------------


@dataclass
class Rows:
    cohorts: list[int]
    sessions: list[dict[str, Any]]
    enrolments: list[dict[str, Any]]
    attendance: dict[tuple[int, int], str]  # (session id, child id) -> status
    coverage: dict[tuple[int, int], str]  # (session id, activity id) -> status
    present: dict[int, int]  # session id -> facilitators present
    assignments: list[dict[str, Any]]
    matches: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    core: dict[int, tuple[int, ...]]  # lesson week -> core activity ids


def insert(build: Builder, pool: Pool, spec: Spec) -> Rows:
    cohorts = []
    for k, start in enumerate(spec.cohort_starts):
        runs = [pool.facilitator] if k in spec.facilitator_runs else []
        cohorts.append(build.cohort(start, facilitators=runs))
    sessions: list[dict[str, Any]] = []
    coverage: dict[tuple[int, int], str] = {}
    present: dict[int, int] = {}
    for s in spec.sessions:
        sid = build.session(cohorts[s.cohort], s.week, s.day, s.status)
        sessions.append(
            {
                "id": sid,
                "cohort": cohorts[s.cohort],
                "week": s.week,
                "date": s.day,
                "status": s.status,
            }
        )
        if s.status == "delivered":
            build.present(sid, pool.facilitators[: s.present])
            present[sid] = s.present
            activities = build.lessons[s.week].activities
            recorded = [
                (sid, activity, status)
                for (activity, _), status in zip(activities, s.coverage, strict=False)
                if status is not None
            ]
            build.coverage(recorded)
            coverage.update({(sid, activity): status for _, activity, status in recorded})
    enrolments = []
    for child, cohort, start, end, withdrawn in spec.enrolments:
        build.enrol(pool.children[child], cohorts[cohort], start, end, withdrawn=withdrawn)
        enrolments.append(
            {
                "child": pool.children[child],
                "cohort": cohorts[cohort],
                "start": start,
                "end": end,
                "withdrawn": withdrawn,
            }
        )
    attendance = {
        (sessions[i]["id"], pool.children[child]): status
        for (i, child), status in spec.attendance.items()
    }
    build.attendance([(s, c, status) for (s, c), status in attendance.items()])
    assignments = []
    for i, child, task, status, mentor in spec.assignments:
        session = sessions[i]
        tasks = build.lessons[session["week"]].tasks
        if task >= len(tasks):
            continue
        assignments.append(
            {
                "session": session["id"],
                "date": session["date"],
                "cohort": session["cohort"],
                "child": pool.children[child],
                "task": tasks[task],
                "status": status,
                "mentor": None if mentor is None else pool.mentors[mentor],
            }
        )
    build.assignments(
        [(a["session"], a["child"], a["task"], a["status"], a["mentor"]) for a in assignments]
    )
    matches = []
    for child, mentor, start, end in spec.matches:
        mid = build.match(pool.children[child], pool.mentors[mentor], start, end)
        matches.append(
            {
                "id": mid,
                "child": pool.children[child],
                "mentor": pool.mentors[mentor],
                "start": start,
                "end": end,
            }
        )
    visits = [
        {
            "match_id": matches[m]["id"],
            "mentor_id": matches[m]["mentor"],
            "child_id": matches[m]["child"],
            "date": day,
            "minutes": minutes,
            "status": status,
        }
        for m, day, minutes, status in spec.visits
    ]
    build.visits(visits)
    build.db.flush()
    return Rows(
        cohorts=cohorts,
        sessions=sessions,
        enrolments=enrolments,
        attendance=attendance,
        coverage=coverage,
        present=present,
        assignments=assignments,
        matches=matches,
        visits=visits,
        core={week: lesson.core for week, lesson in build.lessons.items()},
    )


# The oracle: DESIGN.md, "Fidelity", read a second time --------------------------------------


def share(numerator: float, denominator: float) -> float | None:
    """A denominator of 0 gives null, never 0 and never an error."""
    return None if denominator == 0 else numerator / denominator


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def match_weeks(match: dict[str, Any], as_of: dt.date) -> list[dt.date]:
    """The Mondays of the ISO weeks from the week of the start up to, not including, the week
    holding as_of; or up to and including the week of the end date, if that is earlier."""
    stop = monday(as_of)  # exclusive
    if match["end"] is not None:
        stop = min(stop, monday(match["end"]) + dt.timedelta(days=7))
    out = []
    week = monday(match["start"])
    while week < stop:
        out.append(week)
        week += dt.timedelta(days=7)
    return out


def oracle(
    rows: Rows,
    *,
    as_of: dt.date,
    band: tuple[int, int],
    sessions: list[dict[str, Any]],
    enrolments: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
    matches: list[dict[str, Any]],
) -> dict[str, float | None]:
    # Sessions dated after as_of do not exist.
    existing = [s for s in sessions if s["date"] <= as_of]
    delivered = [s for s in existing if s["status"] == "delivered"]
    cancelled = [s for s in existing if s["status"] == "cancelled"]
    overdue = [s for s in existing if s["status"] == "scheduled" and s["date"] < as_of]
    delivered_ids = {s["id"] for s in delivered}

    by_id = {s["id"]: s for s in sessions}
    register = [
        st_
        for (sid, child), st_ in rows.attendance.items()
        if sid in delivered_ids and on_register(rows, child, by_id[sid])
    ]

    core_score = 0.0
    core_items = 0
    for s in delivered:
        for activity in rows.core[s["week"]]:
            core_items += 1
            core_score += {"delivered": 1.0, "partial": 0.5}.get(
                rows.coverage.get((s["id"], activity), "not recorded"), 0.0
            )

    two = sum(1 for s in delivered if rows.present.get(s["id"], 0) >= 2)

    minutes = weeks = visited = in_band = 0
    low, high = band
    for m in matches:
        if m["start"] > as_of:  # a match that has not started: no weeks yet
            continue
        for week in match_weeks(m, as_of):
            done = sum(
                v["minutes"]
                for v in rows.visits
                if v["match_id"] == m["id"]
                and v["status"] == "completed"
                and week <= v["date"] <= week + dt.timedelta(days=6)
            )
            weeks += 1
            minutes += done
            visited += done > 0
            in_band += low <= done / 60 <= high

    due = [
        a
        for a in assignments
        if a["date"] + dt.timedelta(days=7) < as_of
        and on_register(rows, a["child"], {"cohort": a["cohort"], "date": a["date"]})
    ]
    completed = [a for a in due if a["status"] == "completed"]

    started = [e for e in enrolments if e["start"] <= as_of]
    kept = [e for e in started if not (e["withdrawn"] and e["end"] <= as_of)]

    return {
        "delivery_rate": share(len(delivered), len(delivered) + len(cancelled) + len(overdue)),
        "attendance_rate": share(sum(1 for x in register if x in ATTENDED), len(register)),
        "core_coverage_rate": share(core_score, core_items),
        "two_facilitator_rate": share(two, len(delivered)),
        "mentoring_hours_per_week": share(minutes / 60, weeks),
        "weeks_with_visit_rate": share(visited, weeks),
        "weeks_in_band_rate": share(in_band, weeks),
        "practice_completion_rate": share(len(completed), len(due)),
        "retention_rate": share(len(kept), len(started)),
    }


def on_register(rows: Rows, child: int, session: dict[str, Any]) -> bool:
    """Enrolled in the session's cohort on its date (DESIGN.md, "Attendance rows that
    count")."""
    return any(
        e["child"] == child
        and e["cohort"] == session["cohort"]
        and e["start"] <= session["date"]
        and (e["end"] is None or session["date"] <= e["end"])
        for e in rows.enrolments
    )


def in_cohorts(rows: Rows, cohorts: set[int], as_of: dt.date) -> dict[str, Any]:
    """The rows of some cohorts: a match counts when its child has an enrolment in one of
    them that started by as_of (the service's `_match_cohorts`)."""
    children = {
        e["child"] for e in rows.enrolments if e["cohort"] in cohorts and e["start"] <= as_of
    }
    return {
        "sessions": [s for s in rows.sessions if s["cohort"] in cohorts],
        "enrolments": [e for e in rows.enrolments if e["cohort"] in cohorts],
        "assignments": [a for a in rows.assignments if a["cohort"] in cohorts],
        "matches": [m for m in rows.matches if m["child"] in children],
    }


def children_oracle(
    rows: Rows, *, as_of: dt.date, threshold: float
) -> dict[tuple[int, int], tuple[int, int, float | None, bool]]:
    out = {}
    pairs = {(e["child"], e["cohort"]) for e in rows.enrolments if e["start"] <= as_of}
    for child, cohort in pairs:
        spans = [e for e in rows.enrolments if e["child"] == child and e["cohort"] == cohort]
        lessons = [
            s
            for s in rows.sessions
            if s["cohort"] == cohort
            and s["status"] == "delivered"
            and s["date"] <= as_of
            and any(
                e["start"] <= s["date"] and (e["end"] is None or s["date"] <= e["end"])
                for e in spans
            )
            # No row: the child joined after the save, and the lesson is not in their dosage.
            and (s["id"], child) in rows.attendance
        ]
        attended = [s for s in lessons if rows.attendance.get((s["id"], child)) in ATTENDED]
        dosage = share(len(attended), len(lessons))
        below = dosage is not None and dosage < threshold and len(lessons) >= 4
        out[(child, cohort)] = (len(lessons), len(attended), dosage, below)
    return out


def same(actual: float | None, expected: float | None) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)


def assert_metrics(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    for name, value in expected.items():
        assert same(actual[name], value), f"{where} {name}: {actual[name]} != {value}"


# The test ----------------------------------------------------------------------------------


@dataclass
class Pool:
    facilitator: int
    facilitators: list[int]
    mentors: list[int]
    children: list[int]


@pytest.fixture
def pool(build: Builder, people: People) -> Pool:
    facilitators = [people.facilitator.id or 0] + [
        build.user(Role.facilitator, f"fid-facilitator{n}").id or 0
        for n in range(1, N_FACILITATORS)
    ]
    mentors = [people.mentor.id or 0] + [
        build.user(Role.mentor, f"fid-mentor{n}").id or 0 for n in range(1, N_MENTORS)
    ]
    children = [build.child() for _ in range(N_CHILDREN)]
    build.db.commit()
    return Pool(people.facilitator.id or 0, facilitators, mentors, children)


@settings(
    max_examples=int(os.environ.get("FIDELITY_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=programmes())
def test_sql_figures_agree_with_the_definitions(
    db: Session, people: People, build: Builder, pool: Pool, spec: Spec
) -> None:
    nested = db.begin_nested()  # each example's rows vanish with it
    try:
        rows = insert(build, pool, spec)
        org = people.org
        org.dosage_threshold = spec.threshold
        org.mentoring_hours_min, org.mentoring_hours_max = spec.band
        db.add(org)
        # The programme's band is the one its figures use (issue 19): FHF-PT's, here.
        programme = db.get(Programme, build.programme_id)
        assert programme is not None
        programme.band_min_hours, programme.band_max_hours = map(float, spec.band)
        db.add(programme)
        db.flush()
        check(db, people, rows, spec)
    finally:
        nested.rollback()


def check(db: Session, people: People, rows: Rows, spec: Spec) -> None:
    as_of, band = spec.as_of, spec.band
    report = summary.fidelity(db, actor=people.lead, as_of=as_of)

    # The organisation: everything, every match once.
    expected = oracle(
        rows,
        as_of=as_of,
        band=band,
        sessions=rows.sessions,
        enrolments=rows.enrolments,
        assignments=rows.assignments,
        matches=rows.matches,
    )
    assert_metrics(report.metrics.model_dump(), expected, "organisation")

    # Each cohort.
    assert sorted(c.id for c in report.cohorts) == sorted(rows.cohorts)
    for cohort in report.cohorts:
        mine = in_cohorts(rows, {cohort.id}, as_of)
        assert_metrics(
            cohort.metrics.model_dump(),
            oracle(rows, as_of=as_of, band=band, **mine),
            f"cohort {cohort.id}",
        )

    # Each child, in each cohort they were enrolled in by as_of.
    expected_children = children_oracle(rows, as_of=as_of, threshold=spec.threshold)
    got = {
        (c.child_id, c.cohort_id): (c.lessons_delivered, c.lessons_attended, c.dosage)
        for c in report.children
    }
    assert set(got) == set(expected_children)
    for child in report.children:
        n, attended, dosage, below = expected_children[(child.child_id, child.cohort_id)]
        where = f"child {child.child_id} in cohort {child.cohort_id}"
        assert (child.lessons_delivered, child.lessons_attended) == (n, attended), where
        assert same(child.dosage, dosage), where
        assert child.below_threshold is below, where

    # Each mentor: their matches, and the assignments assigned to them.
    mentors = {m.mentor_id: m for m in report.mentors}
    expected_mentors = {m["mentor"] for m in rows.matches if m["start"] <= as_of} | {
        a["mentor"]
        for a in rows.assignments
        if a["mentor"] is not None and a["date"] + dt.timedelta(days=7) < as_of
    }
    assert set(mentors) == expected_mentors
    for mentor_id, figures in mentors.items():
        wanted = oracle(
            rows,
            as_of=as_of,
            band=band,
            sessions=[],
            enrolments=[],
            assignments=[a for a in rows.assignments if a["mentor"] == mentor_id],
            matches=[m for m in rows.matches if m["mentor"] == mentor_id],
        )
        assert_metrics(
            figures.model_dump(),
            {key: wanted[key] for key in summary.MENTOR_METRICS},
            f"mentor {mentor_id}",
        )

    # A facilitator: the cohorts they run, each match of their children once.
    runs = {rows.cohorts[k] for k in spec.facilitator_runs}
    theirs = summary.fidelity(db, actor=people.facilitator, as_of=as_of)
    assert {c.id for c in theirs.cohorts} == runs
    assert_metrics(
        theirs.metrics.model_dump(),
        oracle(rows, as_of=as_of, band=band, **in_cohorts(rows, runs, as_of)),
        "facilitator's cohorts",
    )

    # One cohort, asked for by a lead: the organisation's figures are that cohort's.
    one = rows.cohorts[spec.one_cohort]
    single = service.report(
        db, service.scope_for(db, actor=people.lead, as_of=as_of, cohort_id=one)
    )
    assert_metrics(
        single.organisation,
        oracle(rows, as_of=as_of, band=band, **in_cohorts(rows, {one}, as_of)),
        f"scope of cohort {one}",
    )
    assert {c.cohort_id for c in single.children} <= {one}


# Week numbering, the one piece of SQL arithmetic every mentoring figure rests on.


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 1, 4),  # a Sunday
        dt.date(2026, 1, 5),  # the next day, a Monday
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 1),
        dt.date(2024, 2, 29),
        dt.date(1970, 1, 5),
    ],
)
def test_week_index_agrees_with_python(db: Session, day: dt.date) -> None:
    from sqlalchemy import Date, literal, select

    got = db.execute(select(sql.week_index(literal(day, Date)))).scalar_one()
    assert got == sql.week_number(day)
    assert sql.week_number(day) == sql.week_number(monday(day))
    assert sql.week_number(monday(day) + dt.timedelta(days=6)) == sql.week_number(day)
