"""Filling in and posting the app's page forms, as a browser does without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from httpx2 import Response

from tests.support.people import PageClient


def post(client: PageClient, url: str, data: Mapping[str, str | list[str]], **kw: Any) -> Response:
    """Post a page form with the signed-in session's CSRF token, as the page's hidden field
    sends it; a list is a field posted once per value (checkboxes)."""
    return client.post(url, data={**data, "csrf_token": client.csrf_token}, **kw)


def date_fields(prefix: str, day: str) -> dict[str, str]:
    """A GOV.UK date input's three boxes for `day` (YYYY-MM-DD), each as written there."""
    y, m, d = day.split("-")
    return {f"{prefix}-day": d, f"{prefix}-month": m, f"{prefix}-year": y}
