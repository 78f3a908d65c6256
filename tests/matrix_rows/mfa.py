"""Access-matrix rows for issue 16's two-step sign-in (see tests/test_access_matrix.py for
the callers and the world their ids come from). Nobody in the world has two-step sign-in on
or being set up, so confirming, turning off, new recovery codes and an admin's reset of
{user_id} (organisation A's mentor) meet 409 once access is granted; the code step of
signing in has no sign-in waiting for it (403, whoever asks)."""

from __future__ import annotations

from typing import Any

SIGNED_IN = ("admin", "lead", "facilitator", "mentor", "other_org")
CODE = {"code": "000000"}


def everyone(status: int, *, anonymous: int) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def admins(status: int, *, anonymous: int, other_org: int) -> dict[str, int]:
    refused = {"lead": 403, "facilitator": 403, "mentor": 403}
    return {"anonymous": anonymous, "admin": status, "other_org": other_org, **refused}


ROWS: list[dict[str, Any]] = [
    # API
    {"method": "GET", "path": "/api/v1/me/mfa", "expect": everyone(200, anonymous=401)},
    {"method": "POST", "path": "/api/v1/me/mfa", "expect": everyone(200, anonymous=401)},
    {
        "method": "POST",
        "path": "/api/v1/me/mfa/confirm",
        "expect": everyone(409, anonymous=401),
        "json": CODE,
    },
    {
        "method": "DELETE",
        "path": "/api/v1/me/mfa",
        "expect": everyone(409, anonymous=401),
        "json": CODE,
    },
    {
        "method": "POST",
        "path": "/api/v1/me/mfa/recovery-codes",
        "expect": everyone(409, anonymous=401),
        "json": CODE,
    },
    {
        "method": "DELETE",
        "path": "/api/v1/users/{user_id}/mfa",
        "expect": admins(409, anonymous=401, other_org=404),
    },
    # Pages
    {"method": "GET", "path": "/login/code", "expect": everyone(200, anonymous=200), "pages": True},
    {
        "method": "POST",
        "path": "/login/code",
        "expect": everyone(403, anonymous=403),
        "form": {"code": "123456"},
        "pages": True,
    },
    {
        "method": "GET",
        "path": "/account/security",
        "expect": everyone(200, anonymous=303),
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/account/security/setup",
        "expect": everyone(303, anonymous=303),
        "form": {},
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/account/security/confirm",
        "expect": everyone(409, anonymous=303),
        "form": CODE,
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/account/security/recovery-codes",
        "expect": everyone(409, anonymous=303),
        "form": {"renew_code": "000000"},
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/account/security/turn-off",
        "expect": everyone(409, anonymous=303),
        "form": {"off_code": "000000"},
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/admin/users/{user_id}/mfa-reset",
        "expect": admins(409, anonymous=303, other_org=404),
        "form": {},
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/admin/organisation/two-step",
        "expect": admins(303, anonymous=303, other_org=303),
        "form": {"require_mfa_for": "admin", "mfa_grace_days": "14"},
        "pages": True,
    },
]
