"""Access-matrix rows for issue 16's accounts routes: invitation and reset links, "Forgot
your password?" (see tests/test_access_matrix.py for the callers and the world their ids
come from). {user_id} is organisation A's mentor; {token} is the facilitator's calendar
address, which is no set-password link: the link's routes answer as they would for any
unknown link, whoever asks."""

from __future__ import annotations

from typing import Any

ROLES = ("admin", "lead", "facilitator", "mentor")


def _everyone(status: int) -> dict[str, int]:
    return {"anonymous": status, "other_org": status, **dict.fromkeys(ROLES, status)}


def _admin(status: int, *, anonymous: int) -> dict[str, int]:
    """Admins of organisation A only: other roles 403, another organisation's admin 404."""
    return {
        "anonymous": anonymous,
        "other_org": 404,
        **{r: status if r == "admin" else 403 for r in ROLES},
    }


ROWS: list[dict[str, Any]] = [
    # Anyone, signed in or not: the same answer whatever the address.
    {
        "method": "POST",
        "path": "/api/v1/auth/forgot",
        "expect": _everyone(202),
        "json": {"email": "nobody@example.org"},
    },
    {
        "method": "POST",
        "path": "/api/v1/auth/reset",
        "expect": _everyone(422),  # the token is no link's
        "json": {"token": "not-a-link", "password": "a brand new passphrase"},
    },
    {
        "method": "POST",
        "path": "/api/v1/users/{user_id}/password-reset",
        "expect": _admin(202, anonymous=401),
    },
    {"method": "GET", "path": "/account/forgot", "pages": True, "expect": _everyone(200)},
    {
        "method": "POST",
        "path": "/account/forgot",
        "pages": True,
        "expect": _everyone(200),
        "form": {"email": "nobody@example.org"},
    },
    {"method": "GET", "path": "/account/reset/{token}", "pages": True, "expect": _everyone(400)},
    {
        "method": "POST",
        "path": "/account/reset/{token}",
        "pages": True,
        "expect": _everyone(400),
        "form": {"password": "a brand new passphrase"},
    },
    {
        "method": "POST",
        "path": "/admin/users/{user_id}/password-reset",
        "pages": True,
        "expect": _admin(303, anonymous=303),
        "form": {},
    },
]
