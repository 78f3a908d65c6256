"""Access-matrix rows for issue 16's outbox (the admin's email page and its API; see
tests/test_access_matrix.py for the callers). Only admins see their organisation's email;
another organisation's admin sees its own (none of organisation A's). Trying again a
message that does not exist ({missing_id}) is 404 once access is granted: the world holds
no failed message; tests/mail/test_admin.py covers trying one again."""

from __future__ import annotations

from typing import Any

ROLES = ("admin", "lead", "facilitator", "mentor")


def _expect(admin: int, *, anonymous: int, other_org: int) -> dict[str, int]:
    return {
        "anonymous": anonymous,
        "other_org": other_org,
        **{role: admin if role == "admin" else 403 for role in ROLES},
    }


ROWS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/api/v1/outbox",
        "expect": _expect(200, anonymous=401, other_org=200),
    },
    {
        "method": "POST",
        "path": "/api/v1/outbox/{missing_id}/retry",
        "expect": _expect(404, anonymous=401, other_org=404),
    },
    {
        "method": "GET",
        "path": "/admin/email",
        "pages": True,
        "expect": _expect(200, anonymous=303, other_org=200),
    },
    {
        "method": "POST",
        "path": "/admin/email/{missing_id}/retry",
        "pages": True,
        "expect": _expect(404, anonymous=303, other_org=404),
        "form": {},
    },
]
