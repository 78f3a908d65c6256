"""What later domains show on a child's page (the child's cohorts, their mentor).

Children comes before cohorts and mentoring in the order of the domains, so it never imports
them: each panel is registered here where the app is assembled (app/site/panels.py), and
the child's page renders whatever is registered, by the name its template uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from app.auth.models import User
from app.children.models import Child

ChildPanel = Callable[[Session, User, Child], Any]

CHILD_PANELS: dict[str, ChildPanel] = {}
