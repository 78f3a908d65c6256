"""The organisation's fidelity dashboard JSON at national scale, against its bare aggregate
SQL in the same run.

Setup (bench/harness.py `seed_organisations`): `tandem seed-scale` data for N cohorts
(TANDEM_BENCH_COHORTS, 1,000 by default: about 10,000 children, 30,000 sessions and 600,000
visits) in one organisation, and a second organisation of 10 cohorts. The real path is
`GET /api/v1/fidelity` through the whole app, signed in with a bearer token as the large
organisation's lead: auth, every grouped query, the flags, pydantic and JSON. The baseline
replays the very SQL statements that request ran (captured with their parameters) straight
on the driver connection and fetches every row: the aggregate queries alone, nothing else
(bench/harness.py `request_against_sql`, which also reports the statement count for N and
for 10 cohorts, which must be equal, and the peak memory of a request: goal under 300 MB).
"""

from __future__ import annotations

from sqlalchemy import Engine

from bench.harness import Result, request_against_sql, seed_organisations

NAME = "fidelity_dashboard"
GOAL = 1.5


def run(engine: Engine, *, rounds: int) -> Result:
    scaled = seed_organisations(engine)
    return request_against_sql(
        engine,
        scaled,
        name=NAME,
        goal=GOAL,
        path="/api/v1/fidelity",
        rounds=rounds,
        extra={"rows": scaled.big.rows},
    )
