"""The organisation's fidelity dashboard JSON at national scale, against its bare aggregate
SQL in the same run.

Setup: `tandem seed-scale` data for N cohorts (TANDEM_BENCH_COHORTS, 1,000 by default:
about 10,000 children, 30,000 sessions and 600,000 visits) in one organisation, and a
second organisation of 10 cohorts. The real path is `GET /api/v1/fidelity` through the
whole app, signed in with a bearer token as the large organisation's lead: auth, every
grouped query, the flags, pydantic and JSON. The baseline replays the very SQL statements
that request ran (captured with their parameters) straight on the driver connection and
fetches every row: the aggregate queries alone, nothing else.

Also reported: the statement count for N and for 10 cohorts (they must be equal), and the
peak memory of the process during a dashboard request (goal under 300 MB).
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
from sqlalchemy import Engine, event
from sqlmodel import Session

from app.curriculum.service import load_path
from app.db import get_db
from app.demo.scale import seed_scale
from app.main import create_app
from bench.harness import ROOT, Result, backend

NAME = "fidelity_dashboard"
GOAL = 1.5
AS_OF = dt.date(2026, 11, 26)
PASSWORD = "bench scale password"


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
    big = seed_scale(engine, cohorts=cohorts, seed=1, as_of=AS_OF, password=PASSWORD)
    small = seed_scale(engine, cohorts=10, seed=2, as_of=AS_OF, password=PASSWORD)
    client = _client(engine)
    url = f"/api/v1/fidelity?as_of={AS_OF.isoformat()}"
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
            "python_peak_mb_during_request": round(peak / 2**20, 1),
            "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "seed_seconds": round(big.seconds, 1),
            "rows": big.rows,
        },
    )
