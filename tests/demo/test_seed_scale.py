"""`tandem seed-scale`: the synthetic national-scale data set, checked at a small N on a
fresh database (SQLite, or PostgreSQL when TANDEM_DATABASE_URL names a server)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.auth.service import get_or_create_organisation
from app.db import create_db_engine
from app.demo.scale import ScaleResult, seed_scale
from app.demo.scale.rows import ID_TABLES
from app.models import metadata
from tests.support.cli import tandem
from tests.support.databases import DatabaseFactory

AS_OF = dt.date(2026, 3, 4)
COHORTS = 3
PASSWORD = "scale test password"


def _as_date(value: str | dt.date | None) -> dt.date | None:
    """A date from a raw SQL row (SQLite gives text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _as_day(value: str | dt.date) -> dt.date:
    """A date from a NOT NULL column of a raw SQL row (SQLite gives text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class Seeded:
    engine: Engine
    first: ScaleResult
    second: ScaleResult

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def one(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()


@pytest.fixture(scope="module")
def seeded(databases: DatabaseFactory) -> Iterator[Seeded]:
    """Two runs with the same seed on one database: two organisations, the same data."""
    engine = create_db_engine(databases.migrated("seed_scale"))
    first = seed_scale(engine, cohorts=COHORTS, seed=7, as_of=AS_OF, password=PASSWORD)
    second = seed_scale(engine, cohorts=COHORTS, seed=7, as_of=AS_OF, password=PASSWORD)
    yield Seeded(engine, first, second)
    engine.dispose()


def test_counts_are_in_the_expected_ranges(seeded: Seeded) -> None:
    org_id = seeded.first.organisations[0][0]
    counts = seeded.first.counts
    assert counts["organisation"] == 1
    assert counts["programme"] == 2  # FHF-PT and Independent Visitors
    assert counts["cohort"] == COHORTS
    assert 8 * COHORTS <= counts["enrolment"] <= 10 * COHORTS
    fhf, iv = _programmes(seeded, org_id)
    # Every FHF-PT child has one match in FHF-PT; the children of the Independent Visitor
    # programme only have no enrolment.
    in_fhf = seeded.one(
        "SELECT count(*) FROM mentor_match WHERE org_id = :o AND programme_id = :p", o=org_id, p=fhf
    )
    visited = seeded.one(
        "SELECT count(*) FROM mentor_match WHERE org_id = :o AND programme_id = :p", o=org_id, p=iv
    )
    iv_only = seeded.one(
        "SELECT count(*) FROM child c WHERE org_id = :o"
        " AND NOT EXISTS (SELECT 1 FROM enrolment e WHERE e.child_id = c.id)",
        o=org_id,
    )
    assert counts["enrolment"] == in_fhf
    assert counts["child"] == counts["enrolment"] + iv_only
    assert counts["mentor_match"] == in_fhf + visited
    assert 1 <= iv_only < visited
    assert counts["audit_event"] == 1
    # What the summary says is what the database holds, for this organisation.
    for table in ("child", "cohort", "enrolment", "group_session", "mentor_match"):
        held = seeded.one(f"SELECT count(*) FROM {table} WHERE org_id = :o", o=org_id)
        assert held == counts[table], table
    for table in ("attendance", "coverage", "practice_assignment", "mentor_visit"):
        held = seeded.one(f"SELECT count(*) FROM {table} WHERE org_id = :o", o=org_id)
        assert held == counts[table] > 0, table

    # Children 8 to 10 a cohort; one lead, two facilitators a cohort (some shared), a
    # mentor with a ready profile for every two children.
    sizes = seeded.rows(
        "SELECT cohort_id, count(*) FROM enrolment WHERE org_id = :o GROUP BY cohort_id",
        o=org_id,
    )
    assert all(8 <= n <= 10 for _c, n in sizes)
    roles = dict(
        seeded.rows(
            "SELECT role, count(*) FROM user_account WHERE org_id = :o GROUP BY role", o=org_id
        )
    )
    assert roles["lead"] == 1
    assert 2 <= roles["facilitator"] <= 2 * COHORTS
    volunteers_only = seeded.one(
        "SELECT count(DISTINCT mentor_id) FROM mentor_match m WHERE programme_id = :iv"
        " AND NOT EXISTS (SELECT 1 FROM mentor_match f WHERE f.mentor_id = m.mentor_id"
        "  AND f.programme_id = :fhf)",
        iv=iv,
        fhf=fhf,
    )
    assert (
        roles["mentor"]
        == sum((n + 1) // 2 for _c, n in sizes) + volunteers_only
        == counts["mentor_profile"]
    )
    assert (
        seeded.one(
            "SELECT count(*) FROM mentor_profile WHERE org_id = :o AND barred_list_checked"
            " AND references_checked AND interviewed_on IS NOT NULL"
            " AND training_completed_on IS NOT NULL AND dbs_checked_on > :old",
            o=org_id,
            old=AS_OF - dt.timedelta(days=3 * 365),
        )
        == roles["mentor"]
    )
    facilitators = seeded.rows(
        "SELECT cohort_id, count(*) FROM cohort_facilitator WHERE org_id = :o GROUP BY cohort_id",
        o=org_id,
    )
    assert sorted(n for _c, n in facilitators) == [2] * COHORTS
    # Mentors have at most two matches in each programme.
    per_mentor = seeded.rows(
        "SELECT mentor_id, programme_id, count(*) FROM mentor_match WHERE org_id = :o"
        " GROUP BY mentor_id, programme_id",
        o=org_id,
    )
    assert max(n for _m, _p, n in per_mentor) <= 2


def test_thirty_live_lessons_a_cohort_and_nothing_delivered_after_as_of(seeded: Seeded) -> None:
    sessions = [
        (c, w, _as_day(d), s)
        for c, w, d, s in seeded.rows("SELECT cohort_id, week, date, status FROM group_session")
    ]
    live: dict[int, list[int]] = defaultdict(list)
    for cohort_id, week, _day, status in sessions:
        if status != "cancelled":
            live[cohort_id].append(week)
    assert len(live) == 2 * COHORTS
    assert all(sorted(weeks) == list(range(1, 31)) for weeks in live.values())

    statuses = Counter(status for *_x, status in sessions)
    assert statuses["delivered"] > 0
    assert statuses["scheduled"] > 0
    assert all(day <= AS_OF for _c, _w, day, status in sessions if status == "delivered")
    # A lesson whose occurrence was cancelled is delivered on a later date, once.
    dates = {(c, w): d for c, w, d, status in sessions if status != "cancelled"}
    for cohort_id, week, day, status in sessions:
        if status == "cancelled":
            assert dates[cohort_id, week] > day
    # Cohorts at every stage: over, part-way through, (and here) not started.
    per_cohort: dict[int, Counter[str]] = defaultdict(Counter)
    for cohort_id, _w, _d, status in sessions:
        per_cohort[cohort_id][status] += 1
    delivered = sorted(c["delivered"] for c in per_cohort.values())
    assert delivered[-1] >= 28
    assert any(0 < n < 28 for n in delivered) or delivered[0] == 0


def test_registers_match_who_was_enrolled(seeded: Seeded) -> None:
    expected = seeded.one(
        "SELECT count(*) FROM group_session s JOIN enrolment e ON e.cohort_id = s.cohort_id"
        " WHERE s.status = 'delivered' AND e.start_date <= s.date"
        " AND (e.end_date IS NULL OR e.end_date >= s.date)"
    )
    attendance = seeded.one("SELECT count(*) FROM attendance")
    assert attendance == expected > 0
    strays = seeded.one(
        "SELECT count(*) FROM attendance a JOIN group_session s ON s.id = a.session_id"
        " WHERE s.status != 'delivered' OR NOT EXISTS (SELECT 1 FROM enrolment e"
        "  WHERE e.child_id = a.child_id AND e.cohort_id = s.cohort_id"
        "  AND e.start_date <= s.date AND (e.end_date IS NULL OR e.end_date >= s.date))"
    )
    assert strays == 0
    statuses = Counter(s for (s,) in seeded.rows("SELECT status FROM attendance"))
    attended = (statuses["present"] + statuses["late"]) / attendance
    assert 0.75 <= attended <= 0.95
    assert set(statuses) <= {"present", "late", "absent", "excused"}

    # Coverage: every activity of the week; practice: every task for every child on the
    # register, regular if they came and catch-up if not.
    coverage = seeded.one(
        "SELECT count(*) FROM group_session s JOIN cohort c ON c.id = s.cohort_id"
        " JOIN curriculum_week w ON w.curriculum_id = c.curriculum_id AND w.week = s.week"
        " JOIN curriculum_activity a ON a.week_id = w.id WHERE s.status = 'delivered'"
    )
    assert seeded.one("SELECT count(*) FROM coverage") == coverage
    tasks = seeded.one(
        "SELECT count(*) FROM attendance t JOIN group_session s ON s.id = t.session_id"
        " JOIN cohort c ON c.id = s.cohort_id"
        " JOIN curriculum_week w ON w.curriculum_id = c.curriculum_id AND w.week = s.week"
        " JOIN curriculum_practice_task p ON p.week_id = w.id"
    )
    assert seeded.one("SELECT count(*) FROM practice_assignment") == tasks
    wrong_kind = seeded.one(
        "SELECT count(*) FROM practice_assignment p JOIN attendance t"
        " ON t.session_id = p.session_id AND t.child_id = p.child_id"
        " WHERE (p.kind = 'regular') != (t.status IN ('present', 'late'))"
    )
    assert wrong_kind == 0
    # Each delivered session has its record and one or two facilitators present.
    delivered = seeded.one("SELECT count(*) FROM group_session WHERE status = 'delivered'")
    assert seeded.one("SELECT count(*) FROM session_record") == delivered
    present = seeded.rows(
        "SELECT session_id, count(*) FROM session_facilitator GROUP BY session_id"
    )
    assert len(present) == delivered
    assert {n for _s, n in present} <= {1, 2}


def _programmes(seeded: Seeded, org_id: int) -> tuple[int, int]:
    """The organisation's FHF-PT programme and its Independent Visitor programme."""
    kinds = dict(seeded.rows("SELECT kind, id FROM programme WHERE org_id = :o", o=org_id))
    assert set(kinds) == {"group_and_mentoring", "independent_visitor"}
    return kinds["group_and_mentoring"], kinds["independent_visitor"]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def test_about_two_visits_a_match_week(seeded: Seeded) -> None:
    """In FHF-PT (the Independent Visitors' monthly visits: test_independent_visitors)."""
    fhf = " AND programme_id IN (SELECT id FROM programme WHERE kind = 'group_and_mentoring')"
    matches = [
        (m, _as_day(s), _as_date(e))
        for m, s, e in seeded.rows(
            "SELECT id, start_date, end_date FROM mentor_match WHERE 1=1" + fhf
        )
    ]
    visits = [
        (m, _as_day(d), s, n)
        for m, d, s, n in seeded.rows(
            "SELECT match_id, date, status, minutes FROM mentor_visit WHERE 1=1" + fhf
        )
    ]
    by_match: dict[int, list[dt.date]] = defaultdict(list)
    for match_id, day, _status, _minutes in visits:
        by_match[match_id].append(day)
    this_week = _monday(AS_OF)
    weeks = counted = 0
    for match_id, start, end in matches:
        stop = this_week if end is None else min(this_week, _monday(end) + dt.timedelta(days=7))
        first = _monday(start)
        if stop > first:
            weeks += (stop - first).days // 7
            counted += sum(first <= day < stop for day in by_match[match_id])
    assert weeks > 0
    assert 1.6 <= counted / weeks <= 2.05

    for _m, day, status, minutes in visits:
        if day >= AS_OF:
            assert status == "planned"
        else:
            assert status in ("completed", "missed", "cancelled")
        if status == "completed":
            assert 45 <= minutes <= 120
    statuses = Counter(status for _m, _d, status, _x in visits)
    assert statuses["completed"] > 0.75 * (len(visits) - statuses["planned"])
    # Visits (in any programme) never fall on the child's group day, and a mentor's two
    # mentees in a programme are visited on different days.
    clash = seeded.one(
        "SELECT count(*) FROM mentor_visit v JOIN enrolment e ON e.child_id = v.child_id"
        " JOIN group_session s ON s.cohort_id = e.cohort_id AND s.date = v.date"
    )
    assert clash == 0
    double = seeded.rows(
        "SELECT mentor_id, programme_id, date FROM mentor_visit"
        " GROUP BY mentor_id, programme_id, date HAVING count(*) > 1"
    )
    assert double == []


def test_practice_goes_to_the_mentor_of_the_day(seeded: Seeded) -> None:
    wrong = seeded.one(
        "SELECT count(*) FROM practice_assignment p JOIN group_session s ON s.id = p.session_id"
        " JOIN cohort c ON c.id = s.cohort_id"
        " LEFT JOIN mentor_match m ON m.child_id = p.child_id AND m.start_date <= s.date"
        "  AND (m.end_date IS NULL OR m.end_date >= s.date) AND m.programme_id = c.programme_id"
        " WHERE (p.mentor_id IS NULL) != (m.id IS NULL) OR p.mentor_id != m.mentor_id"
    )
    assert wrong == 0
    late = seeded.one(
        "SELECT count(*) FROM practice_assignment p JOIN group_session s ON s.id = p.session_id"
        " WHERE p.status = 'completed' AND s.date > :day",
        day=AS_OF,
    )
    assert late == 0


def test_every_foreign_key_points_at_a_row(seeded: Seeded) -> None:
    checked = 0
    for table in metadata.sorted_tables:
        for fk in table.foreign_keys:
            child, parent = fk.parent, fk.column
            missing = seeded.one(
                f"SELECT count(*) FROM {table.name} c LEFT JOIN {parent.table.name} p"
                f" ON p.{parent.name} = c.{child.name}"
                f" WHERE c.{child.name} IS NOT NULL AND p.{parent.name} IS NULL"
            )
            assert missing == 0, f"{table.name}.{child.name} -> {parent.table.name}"
            checked += 1
    assert checked > 40


def test_a_second_run_adds_a_second_organisation_with_the_same_data(seeded: Seeded) -> None:
    (first_id, first_name), (second_id, second_name) = (
        seeded.first.organisations[0],
        seeded.second.organisations[0],
    )
    assert first_name == "Scale test 3"
    assert second_name == "Scale test 3 (run 2)"
    assert seeded.second.counts == seeded.first.counts
    # Deterministic: the same seed and date give the same sessions, registers and visits.
    for sql in (
        "SELECT c.name, s.week, s.date, s.status FROM group_session s"
        " JOIN cohort c ON c.id = s.cohort_id WHERE s.org_id = :o ORDER BY c.name, s.date",
        "SELECT c.reference, a.status FROM attendance a JOIN child c ON c.id = a.child_id"
        " WHERE a.org_id = :o ORDER BY a.id",
        "SELECT date, status, minutes FROM mentor_visit WHERE org_id = :o ORDER BY id",
    ):
        assert seeded.rows(sql, o=first_id) == seeded.rows(sql, o=second_id)
    events = seeded.rows("SELECT org_id, action FROM audit_event ORDER BY id")
    assert events == [(first_id, "seed_scale"), (second_id, "seed_scale")]


def test_the_database_hands_out_new_ids_after_the_seeded_ones(seeded: Seeded) -> None:
    """Ids were assigned by the generator; on PostgreSQL each sequence was moved past them
    (SQLite takes the next rowid from the table itself), so the app can insert again."""
    for name in ID_TABLES:
        top = seeded.one(f"SELECT max(id) FROM {name}")
        if seeded.engine.dialect.name == "postgresql":
            following = seeded.one(f"SELECT nextval(pg_get_serial_sequence('{name}', 'id'))")
        else:
            following = top + 1
        assert following > top, name
    with Session(seeded.engine) as db:
        organisation, created = get_or_create_organisation(db, "After the seed")
        db.commit()
        new_id = organisation.id
    assert created
    assert new_id is not None
    assert new_id > max(org_id for org_id, _n in seeded.second.organisations)


def test_organisations_share_the_cohorts(databases: DatabaseFactory) -> None:
    engine = create_db_engine(databases.migrated("seed_orgs"))
    try:
        result = seed_scale(
            engine, cohorts=5, organisations=2, seed=3, as_of=AS_OF, password=PASSWORD
        )
        assert [name for _id, name in result.organisations] == [
            "Scale test 5, 1 of 2",
            "Scale test 5, 2 of 2",
        ]
        with engine.connect() as conn:
            per_org: dict[int, int] = dict(
                conn.execute(text("SELECT org_id, count(*) FROM cohort GROUP BY org_id")).all()
            )
            leads = conn.execute(
                text("SELECT count(*) FROM user_account WHERE role = 'lead'")
            ).scalar_one()
            # Nothing links rows of one organisation to another's.
            crossed = conn.execute(
                text(
                    "SELECT count(*) FROM attendance a JOIN child c ON c.id = a.child_id"
                    " JOIN group_session s ON s.id = a.session_id"
                    " WHERE c.org_id != a.org_id OR s.org_id != a.org_id"
                )
            ).scalar_one()
        assert sorted(per_org.values()) == [2, 3]
        assert leads == 2
        assert crossed == 0
    finally:
        engine.dispose()


def test_independent_visitors_beside_fhf_pt(databases: DatabaseFactory) -> None:
    """Each organisation's second programme: about one child in ten has a visitor (FHF-PT
    children among them, and children of that programme only), FHF-PT mentors among the
    volunteers, one match a child in each programme, the programme's caseload kept, and a
    visit on a Saturday of each month, the next one planned; a few matches ended early."""
    engine = create_db_engine(databases.migrated("seed_iv"))
    try:
        result = seed_scale(
            engine, cohorts=24, organisations=2, seed=11, as_of=AS_OF, password=PASSWORD
        )
        seeded = Seeded(engine, result, result)
        early: list[str] = []  # who ended the matches that ended early
        for org_id, _name in result.organisations:
            fhf, iv = _programmes(seeded, org_id)
            row = seeded.rows(
                "SELECT band_per, band_min_hours, band_max_hours, age_min, age_max,"
                " caseload_max, match_length_months, curriculum_id FROM programme WHERE id = :p",
                p=iv,
            )
            assert [tuple(row[0])] == [("month", 1.0, 8.0, 5, 17, 2, 24, None)]
            children = seeded.one("SELECT count(*) FROM child WHERE org_id = :o", o=org_id)
            matches = [
                (m, c, v, _as_day(s), _as_date(e), by, why)
                for m, c, v, s, e, by, why in seeded.rows(
                    "SELECT id, child_id, mentor_id, start_date, end_date, ended_by, end_reason"
                    " FROM mentor_match WHERE org_id = :o AND programme_id = :p",
                    o=org_id,
                    p=iv,
                )
            ]
            assert 0.05 <= len(matches) / children <= 0.15
            # One match a child in each programme; FHF-PT children and IV-only ones.
            assert len({c for _m, c, *_x in matches}) == len(matches)
            enrolled = {c for (c,) in seeded.rows("SELECT child_id FROM enrolment")}
            both = [c for _m, c, *_x in matches if c in enrolled]
            assert 1 <= len(both) < len(matches)
            # FHF-PT mentors among the volunteers; each programme's caseload kept.
            in_fhf = {
                v
                for (v,) in seeded.rows(
                    "SELECT mentor_id FROM mentor_match WHERE programme_id = :p", p=fhf
                )
            }
            volunteers = Counter(v for _m, _c, v, *_x in matches)
            assert 1 <= len(in_fhf.intersection(volunteers)) < len(volunteers)
            assert max(volunteers.values()) <= 2
            assert all(volunteers[v] == 1 for v in in_fhf.intersection(volunteers))
            # Endings: a few early, with who ended it; every ended match says who and why.
            assert all((e is None) == (by is None) == (why is None) for *_x, e, by, why in matches)
            early += [by for *_x, e, by, why in matches if why not in (None, "planned")]
            # IV-only children are 5 to 17 when their visits start.
            ages = seeded.rows(
                "SELECT m.start_date, c.date_of_birth FROM mentor_match m"
                " JOIN child c ON c.id = m.child_id WHERE m.programme_id = :p"
                " AND c.reference LIKE 'IV%'",
                p=iv,
            )
            assert ages
            for start, born in ages:
                years = (_as_day(start) - _as_day(born)).days / 365.25
                assert 5 <= years < 18
            # Monthly visits on the match's Saturday, each in the programme of its match.
            visits: dict[int, list[tuple[dt.date, str, int]]] = defaultdict(list)
            for m, day, status, minutes, p in seeded.rows(
                "SELECT v.match_id, v.date, v.status, v.minutes, v.programme_id"
                " FROM mentor_visit v JOIN mentor_match m ON m.id = v.match_id"
                " WHERE m.programme_id = :p",
                p=iv,
            ):
                assert p == iv
                visits[m].append((_as_day(day), status, minutes))
            assert set(visits) == {m for m, *_x in matches}
            statuses: Counter[str] = Counter()
            for m, _c, _v, start, end, _by, _why in matches:
                days = sorted(d for d, _s, _n in visits[m])
                assert all(d.isoweekday() == 6 and d >= start for d in days)
                assert end is None or days[-1] <= end
                gaps = {(b - a).days for a, b in pairwise(days)}
                assert gaps <= {28, 35}
                planned = [d for d, s, _n in visits[m] if s == "planned"]
                assert planned == ([] if end is not None else [days[-1]])
                assert all(d >= AS_OF for d in planned)
                statuses.update(s for _d, s, _n in visits[m])
                assert all(60 <= n <= 240 for _d, s, n in visits[m] if s == "completed")
            past = sum(statuses.values()) - statuses["planned"]
            assert statuses["completed"] > 0.75 * past
            assert statuses["missed"] > 0
            assert statuses["cancelled"] > 0
        assert early
        assert "programme" not in early
        # No match of one programme in the other's organisation.
        crossed = seeded.one(
            "SELECT count(*) FROM mentor_match m JOIN programme p ON p.id = m.programme_id"
            " WHERE p.org_id != m.org_id"
        )
        assert crossed == 0
    finally:
        engine.dispose()


def test_command_prints_a_summary(databases: DatabaseFactory) -> None:
    url = databases.migrated("seed_cli")
    done = tandem(
        "seed-scale", "--cohorts", "2", "--seed", "5", "--as-of", "2026-03-04",
        database_url=url, TANDEM_PASSWORD_HASH_FAST="true", TANDEM_SCALE_PASSWORD=PASSWORD,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Added 'Scale test 2': 2 cohorts as of 2026-03-04"
    table_lines = {line.split()[0]: line.split()[1] for line in lines[1:-1]}
    assert table_lines["cohort"] == "2"
    assert table_lines["group_session"] != "0"
    assert lines[-2].strip().startswith("total")
    assert lines[-2].rstrip().endswith(" s")
    assert f"(password: {PASSWORD})" in lines[-1]
    assert "2/2" in done.stderr  # the progress bar


def test_command_refuses_without_a_curriculum(databases: DatabaseFactory) -> None:
    url = databases.migrated("seed_empty", curriculum=False)
    done = tandem("seed-scale", "--cohorts", "2", database_url=url)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: no curriculum is loaded: run `tandem curriculum load` first"
    )
    bad = tandem("seed-scale", "--cohorts", "2", "--as-of", "soon", database_url=url)
    assert bad.returncode == 2
    assert "--as-of 'soon' is not a date" in bad.stderr
