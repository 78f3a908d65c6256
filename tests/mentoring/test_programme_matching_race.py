"""Two leads match at the same moment for a mentor's last free place in an Independent Visitor
service, while the mentor is full in FHF-PT: exactly one wins (201), the other gets 409, and
one row is stored. Real commits on a database of its own (PostgreSQL in CI's second run)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.programmes.models import BandPer, Programme, ProgrammeKind
from tests.mentoring.test_match_concurrency import (  # the race's database and clients
    Race,
    _active,
    _at_once,
    committed_engine,
    race,
)

__all__ = ["committed_engine", "race"]  # fixtures, used by name


def _independent_visitors(engine: Engine) -> tuple[int, int]:
    """(FHF-PT's id, a new Independent Visitor programme's id, caseload 1) in the race's
    organisation, committed."""
    with Session(engine) as db:
        fhf = db.exec(select(Programme)).one()
        iv = Programme(
            org_id=fhf.org_id,
            name="Independent Visitors",
            kind=ProgrammeKind.independent_visitor,
            caseload_max=1,
            band_per=BandPer.month,
            band_min_hours=1,
            band_max_hours=6,
            age_min=5,
            age_max=17,
            created_at=dt.datetime.now(dt.UTC),
        )
        db.add(iv)
        db.commit()
        return fhf.id or 0, iv.id or 0


@pytest.mark.serial  # real threads racing: alone
def test_two_matches_for_the_last_place_in_a_programme(
    race: Race, committed_engine: Engine
) -> None:
    fhf, iv = _independent_visitors(committed_engine)
    mentor = race.mentors[0]
    for child in race.children[:2]:  # full in FHF-PT (their own limit is 2)
        made = race.leads[0].post(
            "/api/v1/matches",
            json={
                "child_id": child,
                "mentor_id": mentor,
                "start_date": str(race.today),
                "programme_id": fhf,
            },
        )
        assert made.status_code == 201, made.text
    bodies = [
        {
            "child_id": child,
            "mentor_id": mentor,
            "start_date": str(race.today),
            "programme_id": iv,
            "child_agreed_on": str(race.today),
            "child_agreed_how": "asked their social worker",
        }
        for child in race.children[2:4]
    ]
    results = _at_once(race, bodies)
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    winner = bodies[[r.status_code for r in results].index(201)]
    stored = _active(committed_engine, mentor_id=mentor, programme_id=iv)
    assert [m.child_id for m in stored] == [winner["child_id"]]
    assert len(_active(committed_engine, mentor_id=mentor)) == 3
