"""Access-matrix rows for the fidelity JSON, CSV and XLSX exports.

Leads and admins read their organisation's figures; a facilitator reads those of the cohorts
they run (the world's {cohort_id} is people.facilitator's); a mentor is refused (403). The
caller "other_org", an admin of organisation B, gets B's own (empty) figures with none of
A's rows, and 404 for A's cohort.
"""

from __future__ import annotations

from typing import Any

READERS = {
    "anonymous": 401,
    "admin": 200,
    "lead": 200,
    "facilitator": 200,
    "mentor": 403,
    "other_org": 200,
}
ONE_COHORT = {**READERS, "other_org": 404}

ROWS: list[dict[str, Any]] = [
    {"method": "GET", "path": "/api/v1/fidelity", "expect": READERS},
    {"method": "GET", "path": "/api/v1/fidelity.csv", "expect": READERS},
    {"method": "GET", "path": "/api/v1/fidelity.xlsx", "expect": READERS},
    {
        "method": "GET",
        "path": "/api/v1/fidelity.xlsx?cohort_id={cohort_id}&as_of=2026-11-26",
        "expect": ONE_COHORT,
    },
    # One cohort: the world's is run by people.facilitator; another organisation's is 404.
    {"method": "GET", "path": "/api/v1/fidelity?cohort_id={cohort_id}", "expect": ONE_COHORT},
    {
        "method": "GET",
        "path": "/api/v1/fidelity.csv?cohort_id={cohort_id}&as_of=2026-11-26",
        "expect": ONE_COHORT,
    },
]
