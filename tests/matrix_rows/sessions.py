"""Access-matrix rows for issue 16's signed-in browsers (app/auth/devices.py; see
tests/test_access_matrix.py for the callers and the world their ids come from). Everyone
signed in has their own list; {missing_id} is nobody's browser or token (404 once signed
in); signing out everywhere else without a password is refused (422), whoever asks; an
admin signs {user_id} (organisation A's mentor) out, another organisation's admin meets
404."""

from __future__ import annotations

from typing import Any

SIGNED_IN = ("admin", "lead", "facilitator", "mentor", "other_org")


def everyone(status: int, *, anonymous: int) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def admins(status: int, *, anonymous: int) -> dict[str, int]:
    refused = {"lead": 403, "facilitator": 403, "mentor": 403}
    return {"anonymous": anonymous, "admin": status, "other_org": 404, **refused}


ROWS: list[dict[str, Any]] = [
    # API
    {"method": "GET", "path": "/api/v1/me/sessions", "expect": everyone(200, anonymous=401)},
    {
        "method": "DELETE",
        "path": "/api/v1/me/sessions/{missing_id}",
        "expect": everyone(404, anonymous=401),
    },
    {
        "method": "DELETE",
        "path": "/api/v1/me/tokens/{missing_id}",
        "expect": everyone(404, anonymous=401),
    },
    {
        "method": "POST",
        "path": "/api/v1/me/sessions/end-others",
        "expect": everyone(422, anonymous=401),
        "json": {},
    },
    {
        "method": "POST",
        "path": "/api/v1/users/{user_id}/sign-out",
        "expect": admins(204, anonymous=401),
    },
    # Pages
    {
        "method": "GET",
        "path": "/account/sessions",
        "expect": everyone(200, anonymous=303),
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/account/sessions/{missing_id}/end",
        "expect": everyone(404, anonymous=303),
        "form": {},
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/account/sessions/end-others",
        "expect": everyone(422, anonymous=303),
        "form": {},
        "pages": True,
    },
    {
        "method": "POST",
        "path": "/admin/users/{user_id}/sign-out",
        "expect": admins(303, anonymous=303),
        "form": {},
        "pages": True,
    },
]
