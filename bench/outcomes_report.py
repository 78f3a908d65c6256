"""The organisation's outcomes report JSON at seed-scale size, against its bare SQL in the
same run.

Setup: the measures under outcomes/ when that loader is present, else one synthetic measure
(two informants, a subscale pair and their total, with made-up norms and a high band); then
`tandem seed-scale` data for N cohorts (TANDEM_BENCH_COHORTS, 1,000 by default: about
10,000 children, each with assessments at the timepoints whose dates have passed, and life
events) in one organisation, and a second organisation of 10 cohorts. The real path is
`GET /api/v1/outcomes` through the whole app as the large organisation's lead: auth, the
queries, the pairing, the statistics for every measure x informant x scale x comparison x
dosage group, pydantic and JSON. The baseline replays the SQL statements that request ran
(captured with their parameters) on the driver connection and fetches every row.

Also reported: the statement count for N and for 10 cohorts (they must be equal), and the
peak memory of the process during a request.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import time
import tracemalloc
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, insert, select
from sqlmodel import Session, col

from app.curriculum.service import load_path
from app.db import get_db
from app.demo.scale import seed_scale
from app.main import create_app
from app.outcomes.models import Measure
from bench.harness import ROOT, Result, backend

NAME = "outcomes_report"
GOAL = 1.5
AS_OF = dt.date(2026, 11, 26)
PASSWORD = "bench scale password"

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


def _client(engine: Engine) -> TestClient:
    app = create_app()

    def _db() -> Any:
        with Session(engine, expire_on_commit=False) as db:
            try:
                yield db
                db.commit()
            except BaseException:
                db.rollback()
                raise

    app.dependency_overrides[get_db] = _db
    return TestClient(app)


def _token(client: TestClient, email: str) -> str:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def run(engine: Engine, *, rounds: int) -> Result:
    cohorts = int(os.environ.get("TANDEM_BENCH_COHORTS", "1000"))
    with Session(engine) as db:
        load_path(db, ROOT / "curriculum")
        db.commit()
    _measures(engine)
    big = seed_scale(engine, cohorts=cohorts, seed=1, as_of=AS_OF, password=PASSWORD)
    small = seed_scale(engine, cohorts=10, seed=2, as_of=AS_OF, password=PASSWORD)
    client = _client(engine)
    url = f"/api/v1/outcomes?as_of={AS_OF.isoformat()}"
    big_auth = {"Authorization": f"Bearer {_token(client, big.lead_emails[0])}"}
    small_auth = {"Authorization": f"Bearer {_token(client, small.lead_emails[0])}"}

    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    def request(auth: dict[str, str]) -> list[tuple[str, Any]]:
        captured.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            response = client.get(url, headers=auth)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert response.status_code == 200, response.text
        return list(captured)

    statements = request(big_auth)
    small_statements = request(small_auth)

    def baseline() -> None:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            raw.rollback()
        finally:
            raw.close()

    def real() -> None:
        response = client.get(url, headers=big_auth)
        assert response.status_code == 200

    real()
    baseline()
    base_times, real_times = [], []
    for _ in range(max(3, rounds // 3)):
        start = time.perf_counter()
        baseline()
        base_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        real()
        real_times.append(time.perf_counter() - start)
    tracemalloc.start()
    real()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Result(
        NAME,
        cohorts,
        GOAL,
        statistics.median(real_times),
        statistics.median(base_times),
        len(statements),
        backend(engine),
        extra={
            "statements_at_10_cohorts": len(small_statements),
            "assessments": big.counts.get("assessment", 0),
            "life_events": big.counts.get("life_event", 0),
            "python_peak_mb_during_request": round(peak / 2**20, 1),
            "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "seed_seconds": round(big.seconds, 1),
        },
    )
