"""Access-matrix rows for issue 16's single sign-on: the settings (admins of the
organisation, API and page) and the sign-in steps (anyone; a signed-in person's sign-in
form post fails its double-submit check, as a forged one would)."""

from __future__ import annotations

from typing import Any

ROLES = ("admin", "lead", "facilitator", "mentor")


def _admins(status: int, *, anonymous: int) -> dict[str, int]:
    """Each organisation's admin sees and sets its own settings; other roles are refused."""
    return {
        "anonymous": anonymous,
        "other_org": status,
        **{r: status if r == "admin" else 403 for r in ROLES},
    }


def _everyone(status: int, *, anonymous: int) -> dict[str, int]:
    return {"anonymous": anonymous, "other_org": status, **dict.fromkeys(ROLES, status)}


SETTINGS = {
    "enabled": False,
    "issuer": "https://idp.example.org",
    "client_id": "matrix-client",
    "domains": ["matrix.example.org"],
}

ROWS: list[dict[str, Any]] = [
    {"method": "GET", "path": "/api/v1/organisation/sso", "expect": _admins(200, anonymous=401)},
    {
        "method": "PUT",
        "path": "/api/v1/organisation/sso",
        "expect": _admins(200, anonymous=401),
        "json": SETTINGS,
    },
    {"method": "GET", "path": "/admin/sso", "pages": True, "expect": _admins(200, anonymous=303)},
    {
        "method": "POST",
        "path": "/admin/sso",
        "pages": True,
        "expect": _admins(303, anonymous=303),
        "form": {
            "enabled": "no",
            "issuer": "https://idp.example.org",
            "client_id": "matrix-client",
            "domains": "matrix.example.org",
        },
    },
    {
        "method": "GET",
        "path": "/admin/sso/check",
        "pages": True,
        "expect": _admins(200, anonymous=303),
    },
    # The sign-in steps: a signed-in person is sent on.
    {"method": "GET", "path": "/login/sso", "pages": True, "expect": _everyone(303, anonymous=200)},
    {
        "method": "POST",
        "path": "/login/sso",
        "pages": True,
        "expect": _everyone(403, anonymous=400),  # no single sign-on for the domain
        "form": {"email": "someone@matrix.example.org"},
    },
    # No sign-in under way: back to the sign-in page, whoever asks.
    {
        "method": "GET",
        "path": "/login/sso/callback",
        "pages": True,
        "expect": _everyone(303, anonymous=303),
    },
]
