"""Fidelity by programme (issue 19): each match judged by its programme's band, monthly
bands, match length and early endings, against a plain-Python reading of DESIGN.md
("Second-wave definitions"); the API's programme_id; the query count whatever the number
of programmes; the flags."""

from __future__ import annotations

import calendar
import datetime as dt
import os
import statistics
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, literal, select
from sqlmodel import Session

from app.auth.models import Role
from app.fidelity import sql, summary
from app.programmes.models import BandPer, Programme, ProgrammeKind
from tests.support.builder import Builder
from tests.support.people import People

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def add_programme(
    db: Session,
    org_id: int,
    name: str,
    kind: ProgrammeKind = ProgrammeKind.independent_visitor,
    per: BandPer = BandPer.month,
    band: tuple[float, float] = (1, 3),
    months: int | None = None,
) -> int:
    programme = Programme(
        org_id=org_id,
        name=name,
        kind=kind,
        band_per=per,
        band_min_hours=band[0],
        band_max_hours=band[1],
        age_min=5,
        age_max=18,
        match_length_months=months,
        created_at=NOW,
    )
    db.add(programme)
    db.flush()
    return programme.id or 0


# The plain-Python reading ----------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """start + N calendar months, the day clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def reached_expected(start: dt.date, end: dt.date, months: int) -> bool:
    return end >= add_months(start, months)


def match_months(start: dt.date, end: dt.date | None, as_of: dt.date) -> list[tuple[int, int]]:
    """The calendar months of a match from its start month up to, not including, the month
    holding as_of, or up to and including its end month if that is earlier."""
    first = (start.year, start.month)
    now = (as_of.year, as_of.month)
    out = []
    y, m = first
    while (y, m) < now and (end is None or (y, m) <= (end.year, end.month)):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def share(n: float, d: float) -> float | None:
    return n / d if d else None


def monthly_oracle(
    matches: list[dict[str, Any]], visits: list[dict[str, Any]], band: tuple[float, float]
) -> dict[str, Any]:
    periods = minutes = with_visit = in_band = 0
    for match in matches:
        months = match_months(match["start"], match["end"], match["as_of"])
        periods += len(months)
        for month in months:
            got = sum(
                v["minutes"]
                for v in visits
                if v["match"] == match["i"]
                and v["status"] == "completed"
                and (v["date"].year, v["date"].month) == month
            )
            minutes += got
            with_visit += got > 0
            in_band += band[0] * 60 <= got <= band[1] * 60
    return {
        "mentoring_hours_per_month": share(minutes / 60, periods),
        "months_with_visit_rate": share(with_visit, periods),
        "months_in_band_rate": share(in_band, periods),
    }


def length_oracle(matches: list[dict[str, Any]], months: int | None) -> dict[str, Any]:
    lengths = []
    ended = reached = 0
    early: dict[str, int] = {}
    for m in matches:
        as_of = m["as_of"]
        done = m["end"] is not None and m["end"] <= as_of
        lengths.append(((m["end"] if done else as_of) - m["start"]).days)
        if done and months is not None:
            ended += 1
            if reached_expected(m["start"], m["end"], months):
                reached += 1
            else:
                key = m["ended_by"] or "not_given"
                early[key] = early.get(key, 0) + 1
    return {
        "match_length_median_days": float(statistics.median(lengths)) if lengths else None,
        "reached_expected_rate": share(reached, ended),
        "early_endings": None
        if months is None or not ended
        else {"total": sum(early.values()), "by": dict(sorted(early.items()))},
    }


def close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-9
    return bool(a == b)


# The SQL against the reading ---------------------------------------------------------------


days = st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=days, length=st.integers(0, 800), months=st.integers(1, 24))
@example(start=dt.date(2027, 1, 31), length=28, months=1)  # 28 February: clamped, reached
@example(start=dt.date(2027, 1, 31), length=27, months=1)  # 27 February: not yet
@example(start=dt.date(2028, 1, 31), length=29, months=1)  # 29 February 2028 (leap)
@example(start=dt.date(2027, 3, 31), length=30, months=1)  # 30 April
@example(start=dt.date(2027, 1, 15), length=31, months=1)
def test_reached_length_in_sql_agrees_with_python(
    db: Session, start: dt.date, length: int, months: int
) -> None:
    end = start + dt.timedelta(days=length)
    got = db.execute(
        select(sql.reached_length(literal(start, Date), literal(end, Date), months))
    ).scalar_one()
    assert bool(got) is reached_expected(start, end, months), (start, end, months)


@pytest.mark.parametrize(
    "day",
    [dt.date(2027, 1, 1), dt.date(2026, 12, 31), dt.date(2028, 2, 29), dt.date(1999, 1, 31)],
)
def test_month_index_agrees_with_python(db: Session, day: dt.date) -> None:
    got = db.execute(select(sql.month_index(literal(day, Date)))).scalar_one()
    assert got == sql.month_number(day)
    assert sql.month_first(sql.month_number(day)) == day.replace(day=1)


@st.composite
def monthly_worlds(draw: st.DrawFn) -> dict[str, Any]:
    as_of = draw(st.dates(dt.date(2026, 3, 1), dt.date(2027, 6, 30)))
    low = draw(st.sampled_from([0.0, 1.0, 1.5, 2.0]))
    high = low + draw(st.sampled_from([0.0, 1.0, 2.5]))
    months = draw(st.sampled_from([None, 1, 3, 12]))
    matches: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 4))):
        start = draw(st.dates(dt.date(2025, 10, 1), as_of))
        end = draw(st.none() | st.dates(start, as_of + dt.timedelta(days=60)))
        ended_by = draw(st.sampled_from([None, "mentor", "young_person", "carer"]))
        matches.append({"i": i, "start": start, "end": end, "ended_by": ended_by if end else None})
    visits = []
    for match in matches:
        for _ in range(draw(st.integers(0, 6))):
            day = draw(st.dates(match["start"], as_of + dt.timedelta(days=40)))
            visits.append(
                {
                    "match": match["i"],
                    "date": day,
                    "minutes": draw(st.sampled_from([30, 60, 90, 120, 180])),
                    "status": draw(st.sampled_from(["completed", "completed", "missed"])),
                }
            )
    return {"as_of": as_of, "band": (low, high), "months": months, "m": matches, "v": visits}


EDGE = {
    # A match starting on the 31st, as_of on the 1st, a match ending in the as_of month.
    "as_of": dt.date(2027, 3, 1),
    "band": (1.0, 2.0),
    "months": 1,
    "m": [
        {"i": 0, "start": dt.date(2027, 1, 31), "end": None, "ended_by": None},
        {"i": 1, "start": dt.date(2026, 12, 31), "end": dt.date(2027, 1, 30), "ended_by": "carer"},
        {"i": 2, "start": dt.date(2027, 1, 31), "end": dt.date(2027, 2, 28), "ended_by": "mentor"},
        {"i": 3, "start": dt.date(2026, 11, 5), "end": dt.date(2027, 3, 1), "ended_by": None},
    ],
    "v": [
        {"match": 0, "date": dt.date(2027, 1, 31), "minutes": 60, "status": "completed"},
        {"match": 0, "date": dt.date(2027, 2, 1), "minutes": 180, "status": "completed"},
        {"match": 1, "date": dt.date(2027, 1, 2), "minutes": 90, "status": "completed"},
        {"match": 3, "date": dt.date(2027, 3, 1), "minutes": 60, "status": "completed"},
    ],
}


@settings(
    max_examples=int(os.environ.get("FIDELITY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=monthly_worlds())
@example(world=EDGE)
def test_monthly_and_length_figures_agree_with_the_definitions(
    db: Session, people: People, build: Builder, world: dict[str, Any]
) -> None:
    nested = db.begin_nested()
    try:
        org_id = people.org.id or 0
        programme = add_programme(db, org_id, "IV", band=world["band"], months=world["months"])
        mentor = people.mentor.id or 0
        ids = {}
        for m in world["m"]:
            child = build.child()
            ids[m["i"]] = build.match(
                child, mentor, m["start"], m["end"], programme_id=programme, ended_by=m["ended_by"]
            )
            m["child"], m["as_of"] = child, world["as_of"]
        by_i = {m["i"]: m for m in world["m"]}
        build.visits(
            [
                {
                    "match_id": ids[v["match"]],
                    "mentor_id": mentor,
                    "child_id": by_i[v["match"]]["child"],
                    "date": v["date"],
                    "minutes": v["minutes"],
                    "status": v["status"],
                }
                for v in world["v"]
            ]
        )
        db.flush()
        report = summary.fidelity(
            db, actor=people.lead, as_of=world["as_of"], programme_id=programme
        )
        got = report.metrics.model_dump()
        # Only the matches started by as_of exist for the figures.
        started = [m for m in world["m"] if m["start"] <= world["as_of"]]
        wanted = {
            **monthly_oracle(started, world["v"], world["band"]),
            **length_oracle(started, world["months"]),
        }
        for key, value in wanted.items():
            assert close(got[key], value), (key, got[key], value)
        # No groups and no weekly band: null, with the reason, never 0.
        for key in ("delivery_rate", "attendance_rate", "retention_rate", "weeks_in_band_rate"):
            assert got[key] is None
            assert key in report.not_applicable
        # The whole organisation: FHF-PT has nothing, so the same monthly figures, and the
        # IV programme's own entry agrees.
        whole = summary.fidelity(db, actor=people.lead, as_of=world["as_of"])
        assert whole.programmes is not None
        (iv,) = [p for p in whole.programmes if p.id == programme]
        for key in ("months_with_visit_rate", "months_in_band_rate", "reached_expected_rate"):
            assert close(whole.metrics.model_dump()[key], wanted[key]), key
            assert close(iv.metrics.model_dump()[key], wanted[key]), key
    finally:
        nested.rollback()


# The API -------------------------------------------------------------------------------------


def test_programme_id_bad_input(
    db: Session, people: People, build: Builder, lead_api: TestClient
) -> None:
    iv = add_programme(db, people.org.id or 0, "Independent Visitors")
    other = add_programme(db, people.other_org.id or 0, "Their IV")
    cohort = build.cohort(dt.date(2026, 9, 7))
    db.commit()
    url = "/api/v1/fidelity"
    assert lead_api.get(url, params={"programme_id": iv}).status_code == 200
    assert lead_api.get(url, params={"programme_id": other}).status_code == 404
    assert lead_api.get(url, params={"programme_id": 999999}).status_code == 404
    for bad in ("0", "x", "-1", str(2**31)):
        response = lead_api.get(url, params={"programme_id": bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
    mismatch = lead_api.get(url, params={"programme_id": iv, "cohort_id": cohort})
    assert mismatch.status_code == 422
    assert mismatch.headers["content-type"].startswith("application/problem+json")
    fhf = build.programme_id
    same = lead_api.get(url, params={"programme_id": fhf, "cohort_id": cohort})
    assert same.status_code == 200
    assert lead_api.get("/fidelity", params={"programme_id": other}).status_code == 404
    assert lead_api.get("/fidelity", params={"programme_id": "x"}).status_code == 404


def test_one_programme_adds_no_list(lead_api: TestClient) -> None:
    body = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-10-01"}).json()
    assert body["programmes"] is None
    assert body["programme_id"] is None
    assert body["not_applicable"] == {}


def _world(db: Session, people: People, build: Builder, programmes: int) -> None:
    for n in range(programmes - 1):
        per = BandPer.month if n % 2 == 0 else BandPer.week
        programme = add_programme(db, people.org.id or 0, f"P{n}", per=per, months=6)
        child = build.child()
        match = build.match(
            child, people.mentor.id or 0, dt.date(2026, 1, 5), None, programme_id=programme
        )
        build.visits(
            [
                {
                    "match_id": match,
                    "mentor_id": people.mentor.id or 0,
                    "child_id": child,
                    "date": dt.date(2026, 2, 3),
                    "minutes": 60,
                    "status": "completed",
                }
            ]
        )
    cohort = build.cohort(dt.date(2026, 1, 5))
    child = build.child()
    build.enrol(child, cohort, dt.date(2026, 1, 5), None)
    build.match(
        child, people.mentor.id or 0, dt.date(2026, 1, 5), dt.date(2026, 2, 1), ended_by="mentor"
    )
    db.commit()


def test_the_query_count_is_the_same_for_one_and_three_programmes(
    db: Session, people: People, build: Builder, lead_api: TestClient, count_queries: Any
) -> None:
    _world(db, people, build, 1)
    lead_api.get("/api/v1/fidelity", params={"as_of": "2026-06-01"})
    with count_queries() as one_api:
        one = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-06-01"}).json()
    with count_queries() as one_page:
        assert lead_api.get("/fidelity", params={"as_of": "2026-06-01"}).status_code == 200
    assert one["programmes"] is None
    _world(db, people, build, 3)
    with count_queries() as three_api:
        three = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-06-01"}).json()
    with count_queries() as three_page:
        page = lead_api.get("/fidelity", params={"as_of": "2026-06-01"})
    assert len(three["programmes"]) == 3
    assert three_api.count == one_api.count, "\n\n".join(three_api.statements)
    assert three_page.count == one_page.count
    assert "All programmes" in page.text
    assert 'id="programmes"' in page.text
    assert "What the figures mean" in page.text
    # One programme without groups: its page shows no group sections.
    iv = next(p for p in three["programmes"] if not p["has_groups"])
    only = lead_api.get("/fidelity", params={"as_of": "2026-06-01", "programme_id": iv["id"]})
    assert only.status_code == 200
    assert 'id="cohorts"' not in only.text
    assert 'id="dosage"' not in only.text
    assert 'aria-current="page"' in only.text
    # Each world's FHF-PT match ended after 27 days of 6 expected months, by the mentor.
    fhf = next(p for p in three["programmes"] if p["has_groups"])
    assert fhf["metrics"]["early_endings"] == {"total": 2, "by": {"mentor": 2}}
    assert fhf["metrics"]["reached_expected_rate"] == 0.0
    assert three["metrics"]["early_endings"] == {"total": 2, "by": {"mentor": 2}}


# Flags ---------------------------------------------------------------------------------------


def test_match_ended_early_is_flagged_and_acknowledgeable(
    db: Session, people: People, build: Builder, lead_api: TestClient
) -> None:
    iv = add_programme(db, people.org.id or 0, "Befriending", months=12)
    child = build.child()
    early = build.match(
        child,
        people.mentor.id or 0,
        dt.date(2026, 1, 31),
        dt.date(2026, 5, 1),
        programme_id=iv,
        ended_by="carer",
    )
    old = build.match(
        build.child(),
        people.mentor.id or 0,
        dt.date(2025, 1, 5),
        dt.date(2025, 6, 1),
        programme_id=iv,
    )
    full = build.match(
        build.child(),
        people.mentor.id or 0,
        dt.date(2025, 1, 31),
        dt.date(2026, 1, 31),
        programme_id=iv,
    )
    db.commit()
    body = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-06-01"}).json()
    found = [f for f in body["flags"] if f["kind"] == "match_ended_early"]
    assert [f["match_id"] for f in found] == [early]
    assert found[0]["href"] == f"/matches/{early}"
    assert found[0]["acknowledgeable"] is True
    assert old not in {f.get("match_id") for f in body["flags"]}
    assert full not in {f.get("match_id") for f in body["flags"]}
    # 90 days on, it is gone.
    later = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-07-31"}).json()
    assert not [f for f in later["flags"] if f["kind"] == "match_ended_early"]


@pytest.mark.clock("2026-06-01T10:00")
def test_acknowledging_an_early_ending(
    db: Session, people: People, build: Builder, lead_api: TestClient
) -> None:
    iv = add_programme(db, people.org.id or 0, "Befriending", months=12)
    early = build.match(
        build.child(),
        people.mentor.id or 0,
        dt.date(2026, 1, 31),
        dt.date(2026, 5, 1),
        programme_id=iv,
        ended_by="carer",
    )
    db.commit()
    ack = "/api/v1/flags/acknowledgements"
    missing = lead_api.post(ack, json={"kind": "match_ended_early", "note": "Closure held"})
    assert missing.status_code == 422
    done = lead_api.post(
        ack, json={"kind": "match_ended_early", "match_id": early, "note": "Closure held"}
    )
    assert done.status_code == 201, done.text
    body = lead_api.get("/api/v1/fidelity").json()
    assert not [f for f in body["flags"] if f["kind"] == "match_ended_early"]
    assert [a["match_id"] for a in body["acknowledged"]] == [early]


def test_a_monthly_band_flags_no_visit_in_the_last_full_month(
    db: Session, people: People, build: Builder, lead_api: TestClient
) -> None:
    iv = add_programme(db, people.org.id or 0, "IV")
    mentor = people.mentor.id or 0
    quiet, busy = build.child(), build.child()
    m_quiet = build.match(quiet, mentor, dt.date(2026, 1, 10), None, programme_id=iv)
    m_busy = build.match(busy, mentor, dt.date(2026, 1, 10), None, programme_id=iv)
    build.visits(
        [
            {
                "match_id": m_quiet,
                "mentor_id": mentor,
                "child_id": quiet,
                "date": dt.date(2026, 3, 31),
                "minutes": 60,
                "status": "completed",
            },
            {
                "match_id": m_busy,
                "mentor_id": mentor,
                "child_id": busy,
                "date": dt.date(2026, 4, 1),
                "minutes": 60,
                "status": "completed",
            },
        ]
    )
    db.commit()
    # As of 20 May: April is the last full month. Three weeks without a visit is fine for
    # a monthly band; the quiet match has had none since 31 March.
    body = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-05-20"}).json()
    flagged = {f["match_id"] for f in body["flags"] if f["kind"] == "no_visit_two_weeks"}
    assert flagged == {m_quiet}


@pytest.mark.clock("2026-06-01T10:00")
def test_a_running_out_dbs_check_is_flagged_where_the_mentor_serves(
    db: Session, people: People, build: Builder, lead_api: TestClient
) -> None:
    """The organisation's dashboard and the FHF-PT one name a mentor whose DBS check runs
    out; the Independent Visitors' one does not, for they have no match there."""
    iv = add_programme(db, people.org.id or 0, "Independent Visitors")
    mentor = build.user(Role.mentor, "dbsmentor")
    build.profile(mentor.id or 0, dt.date(2023, 6, 20))  # 3 years on: within 60 days
    fhf_pt = build.programme_id
    build.match(build.child(), mentor.id or 0, dt.date(2026, 1, 5))
    db.commit()

    def named(**params: Any) -> bool:
        body = lead_api.get("/api/v1/fidelity", params={"as_of": "2026-06-01", **params})
        assert body.status_code == 200, body.text
        return any(
            f["kind"] == "dbs_expiring" and f.get("mentor_id") == mentor.id
            for f in body.json()["flags"]
        )

    assert named()
    assert named(programme_id=fhf_pt)
    assert not named(programme_id=iv)
