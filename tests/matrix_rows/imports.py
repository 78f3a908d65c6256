"""Access-matrix rows for issue 15's imports routes (see tests/test_access_matrix.py for
the callers and the world their ids come from). The matrix sends no file: leads and admins
get the 422 that says a file is needed, everyone else is refused before the body is read."""

from __future__ import annotations

from typing import Any

IMPORTERS = {"admin": 422, "lead": 422}
PAGE_READERS = {"admin": 200, "lead": 200}
NOT_ALLOWED = dict.fromkeys(
    ("anonymous", "admin", "lead", "facilitator", "mentor", "other_org"), 405
)


def _api(allowed: dict[str, int]) -> dict[str, int]:
    out = {"anonymous": 401, "other_org": allowed.get("lead", 403)}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, 403)
    return out


def _pages(allowed: dict[str, int]) -> dict[str, int]:
    out = {"anonymous": 303, "other_org": allowed.get("lead", 403)}
    for role in ("admin", "lead", "facilitator", "mentor"):
        out[role] = allowed.get(role, 403)
    return out


ROWS: list[dict[str, Any]] = [
    {"method": "POST", "path": "/api/v1/children/import", "expect": _api(IMPORTERS)},
    {"method": "POST", "path": "/api/v1/closures/import", "expect": _api(IMPORTERS)},
    # Other methods answer 405, whoever asks ("import" is not a child's id).
    *(
        {"method": method, "path": "/api/v1/children/import", "expect": NOT_ALLOWED}
        for method in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
    ),
    {"method": "GET", "path": "/children/import", "pages": True, "expect": _pages(PAGE_READERS)},
    {
        "method": "GET",
        "path": "/children/import/template.csv",
        "pages": True,
        "expect": _pages(PAGE_READERS),
    },
    # No file: leads and admins get the page back with the error beside the file input.
    {
        "method": "POST",
        "path": "/children/import",
        "pages": True,
        "form": {},
        "expect": _pages(IMPORTERS),
    },
    {
        "method": "POST",
        "path": "/children/import/confirm",
        "pages": True,
        "form": {},
        "expect": _pages(IMPORTERS),
    },
    {
        "method": "POST",
        "path": "/closures/import/preview",
        "pages": True,
        "form": {},
        "expect": _pages(IMPORTERS),
    },
    {
        "method": "POST",
        "path": "/closures/import/confirm",
        "pages": True,
        "form": {},
        "expect": _pages(IMPORTERS),
    },
]
