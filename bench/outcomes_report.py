"""The organisation's outcomes report JSON at seed-scale size, against its bare SQL in the
same run.

Setup: the measures under outcomes/ when that loader is present, else one synthetic measure
(two informants, a subscale pair and their total, with made-up norms and a high band); then
`tandem seed-scale` data for N cohorts (TANDEM_BENCH_COHORTS, 1,000 by default: about
10,000 children, each with assessments at the timepoints whose dates have passed, and life
events) in one organisation, and a second organisation of 10 cohorts. The real path is
`GET /api/v1/outcomes` through the whole app as the large organisation's lead: auth, the
queries, the pairing, the statistics for every measure x informant x scale x comparison x
dosage group, the due list, the event rates, pydantic and JSON. The baseline replays the SQL
statements that request ran (captured with their parameters) on the driver connection and
fetches every row (bench/harness.py `request_against_sql`, which also reports the statement
count for N and for 10 cohorts, which must be equal, and the memory of a request).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlmodel import Session, col

from app.outcomes.models import Measure
from bench.harness import Result, request_against_sql, seed_organisations

NAME = "outcomes_report"
GOAL = 1.5

_SOURCE = {"citation": "Synthetic norms for the benchmark only, not for use"}
_NORMS = {
    "sd": 4.0,
    "reliability": 0.8,
    "source": _SOURCE,
    "bands": [
        {"name": "Typical", "min": 0, "max": 13},
        {"name": "High", "min": 14, "max": 40, "high": True},
    ],
}
BENCH_MEASURE: dict[str, Any] = {
    "key": "bench_measure",
    "version": 1,
    "name": "Benchmark measure",
    "licence": {"name": "Synthetic", "item_text_allowed": False},
    "informants": {"carer": "Carer", "teacher": "Teacher"},
    "entry": "scores",
    "scales": [
        {
            "key": "first",
            "name": "First",
            "min": 0,
            "max": 20,
            "higher_is": "worse",
            "norms": {"carer": {**_NORMS, "bands": []}, "teacher": {**_NORMS, "bands": []}},
        },
        {
            "key": "second",
            "name": "Second",
            "min": 0,
            "max": 20,
            "higher_is": "worse",
            "norms": {"carer": {**_NORMS, "bands": []}, "teacher": {**_NORMS, "bands": []}},
        },
        {
            "key": "total",
            "name": "Total",
            "min": 0,
            "max": 40,
            "higher_is": "worse",
            "derived": "sum_of_scales",
            "from_scales": ["first", "second"],
            "norms": {"carer": _NORMS, "teacher": _NORMS},
        },
    ],
}


def _measures(engine: Engine) -> None:
    """The measures of outcomes/ if a loader is there, else the synthetic one."""
    with Session(engine) as db:
        if db.execute(select(col(Measure.id))).first() is not None:
            return
        db.execute(
            insert(Measure).values(
                key=BENCH_MEASURE["key"],
                version=1,
                name=BENCH_MEASURE["name"],
                content_hash="0" * 64,
                definition=BENCH_MEASURE,
                loaded_at=dt.datetime.now(dt.UTC),
            )
        )
        db.commit()


def run(engine: Engine, *, rounds: int) -> Result:
    _measures(engine)  # before the seeding, which assesses children on the measures there
    scaled = seed_organisations(engine)
    return request_against_sql(
        engine,
        scaled,
        name=NAME,
        goal=GOAL,
        path="/api/v1/outcomes",
        rounds=rounds,
        extra={
            "assessments": scaled.big.counts.get("assessment", 0),
            "life_events": scaled.big.counts.get("life_event", 0),
        },
    )
