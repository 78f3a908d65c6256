"""The organisation's fidelity dashboard JSON at national scale, against its bare aggregate
SQL in the same run.

Setup (bench/harness.py `seed_organisations`): `tandem seed-scale` data for N cohorts
(TANDEM_BENCH_COHORTS, 1,000 by default: about 10,000 children, 30,000 sessions and 600,000
visits) in one organisation, and a second organisation of 10 cohorts; each has two
programmes, FHF-PT and an Independent Visitor service (about one child in ten visited
monthly). The real path is `GET /api/v1/fidelity` through the whole app, signed in with a
bearer token as the large organisation's lead: auth, every grouped query (each programme's
figures too), the flags, pydantic and JSON. The baseline replays the very SQL statements
that request ran (captured with their parameters) straight on the driver connection and
fetches every row: the aggregate queries alone, nothing else (bench/harness.py
`request_against_sql`, which also reports the statement count for N and for 10 cohorts,
asserted equal here, and the peak memory of a request: goal under 300 MB). That the count
does not grow with the number of programmes is tests/fidelity/test_programme_figures.py's.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from app.programmes.models import Programme
from bench.harness import Result, request_against_sql, seed_organisations, table

NAME = "fidelity_dashboard"
GOAL = 1.5


def run(engine: Engine, *, rounds: int) -> Result:
    scaled = seed_organisations(engine)
    programme = table(Programme)
    with engine.connect() as conn:
        programmes = conn.execute(
            select(func.count())
            .select_from(programme)
            .where(programme.c.org_id == scaled.big.organisations[0][0])
        ).scalar_one()
    assert programmes == 2, programmes  # FHF-PT and Independent Visitors
    result = request_against_sql(
        engine,
        scaled,
        name=NAME,
        goal=GOAL,
        path="/api/v1/fidelity",
        rounds=rounds,
        extra={"rows": scaled.big.rows, "programmes": programmes},
    )
    # The same statements for 1,000 cohorts as for 10: nothing is queried row by row.
    assert result.extra["statements_at_10_cohorts"] == result.queries, result.extra
    return result
