"""Access-matrix rows for the outcomes report (issue 17): GET /api/v1/outcomes, the page
/outcomes and its printable version /outcomes/print.

Leads and admins read their organisation's report; facilitators and mentors are refused
(403): the report is the programme lead's. Another organisation's lead gets its own (empty)
report, and 404 for organisation A's cohort {cohort_id} (never 403, which would confirm it
exists). Anonymous: 401 from the API, a redirect to sign in (303) from the pages."""

from __future__ import annotations

from typing import Any

LEADS = {"admin": 200, "lead": 200, "facilitator": 403, "mentor": 403}
API = {"anonymous": 401, **LEADS, "other_org": 200}
PAGES = {"anonymous": 303, **LEADS, "other_org": 200}

ROWS: list[dict[str, Any]] = [
    {"method": "GET", "path": "/api/v1/outcomes", "expect": API},
    {
        "method": "GET",
        "path": "/api/v1/outcomes?cohort_id={cohort_id}&as_of=2026-11-26",
        "expect": {**API, "other_org": 404},
    },
    {"method": "GET", "path": "/outcomes", "pages": True, "expect": PAGES},
    {"method": "GET", "path": "/outcomes/print", "pages": True, "expect": PAGES},
    {
        "method": "GET",
        "path": "/outcomes?cohort_id={cohort_id}",
        "pages": True,
        "expect": {**PAGES, "other_org": 404},
    },
]
