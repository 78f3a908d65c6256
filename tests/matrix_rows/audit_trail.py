"""Access-matrix rows for issue 15's audit trail routes (see tests/test_access_matrix.py for
the callers and the world their ids come from). Leads and admins read their organisation's
trail; another organisation's admin reads its own (never organisation A's: the matrix
checks no org A address appears); facilitators and mentors are refused."""

from __future__ import annotations

from typing import Any

READERS = {"admin": 200, "lead": 200}


def _expect(allowed: dict[str, int], *, anonymous: int) -> dict[str, int]:
    out = {"anonymous": anonymous, "other_org": 200}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, 403)
    return out


API = _expect(READERS, anonymous=401)
PAGES = _expect(READERS, anonymous=303)
# The world's child, by record: another organisation's id is simply no events of its own.
CHILD = "entity=child&entity_id={child_id}"

ROWS: list[dict[str, Any]] = [
    {"method": "GET", "path": "/api/v1/audit.csv", "expect": API},
    {"method": "GET", "path": "/api/v1/audit.csv?" + CHILD, "expect": API},
    {"method": "GET", "path": "/api/v1/audit?kind=sign_ins&" + CHILD, "expect": API},
    {"method": "GET", "path": "/audit/sign-ins", "pages": True, "expect": PAGES},
    {"method": "GET", "path": "/audit?" + CHILD, "pages": True, "expect": PAGES},
]
