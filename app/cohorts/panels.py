"""What later domains show on a cohort's page (how each delivered session went).

Cohorts come before sessions in the order of the domains, so they never import them: the
sessions domain registers its panel here (app/sessions/views.py) and the cohort page shows
whatever is registered, by the name its template uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from app.auth.models import User
from app.cohorts.models import Cohort

CohortPanel = Callable[[Session, User, Cohort], Any]

COHORT_PANELS: dict[str, CohortPanel] = {}
