"""Panels that later domains add to an earlier domain's page, wired as the app is assembled
(app/main.py calls `register`): the lower domain keeps a registry and never imports the
higher one (docs/architecture.md, "The order of the domains")."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.auth.models import Organisation, Role, User
from app.auth.service import STAFF_ROLES
from app.children.models import Child
from app.children.panels import CHILD_PANELS
from app.clock import today_for
from app.cohorts import enrolments
from app.mentoring.matching import service as mentoring
from app.outcomes.assessments import due as outcomes
from app.outcomes.assessments.service import ENTERERS
from app.outcomes.events import service as life_events
from app.outcomes.events.schemas import KIND_WORDS
from app.programmes import service as programmes
from app.records import retention


def child_enrolments(db: Session, actor: User, child: Child) -> Any:
    assert child.id is not None
    return enrolments.active_enrolments_of(db, actor=actor, child_id=child.id)


def child_mentoring(db: Session, actor: User, child: Child) -> dict[str, Any]:
    """The child's active matches, for staff (two queries): one in each programme at most,
    each named by its programme when the organisation runs more than one."""
    if actor.role not in STAFF_ROLES:
        return {"staff": False, "current": None}
    current = mentoring.list_matches(db, actor=actor, child_id=child.id, active=True)
    several = len(programmes.list_programmes(db, actor.org_id)) > 1
    return {
        "staff": True,
        "current": current[0] if current else None,
        "matches": current if several else [],
    }


def child_life_events(db: Session, actor: User, child: Child) -> dict[str, Any] | None:
    """The child's life events, for leads and admins (None: the section is not shown)."""
    if actor.role not in STAFF_ROLES or child.id is None:
        return None
    events = life_events.list_events(db, actor=actor, child_id=child.id)
    return {"events": events, "words": KIND_WORDS}


def child_outcomes(db: Session, actor: User, child: Child) -> dict[str, Any] | None:
    """Each measure's timepoints for the child (due, done, not yet), for those who enter
    assessments: leads, admins and the child's facilitators."""
    if actor.role not in ENTERERS:
        return None
    return {"lines": outcomes.child_plan(db, actor=actor, child=child, as_of=today_for(db, actor))}


def child_retention(db: Session, actor: User, child: Child) -> dict[str, Any] | None:
    """When the record will be anonymised, and its legal hold, for leads and admins."""
    if actor.role not in STAFF_ROLES:
        return None
    org = db.get(Organisation, child.org_id)
    assert org is not None
    return {
        "anonymised": child.anonymised_at is not None,
        "legal_hold": child.legal_hold,
        "kept": retention.kept_until(db, child=child, org=org),
        "years": org.retention_years_after_last_involvement,
    }


def child_records(db: Session, actor: User, child: Child) -> dict[str, bool]:
    """What a person may do with the child's whole record: leads and admins read the
    printable subject access page; admins may erase a record made in error."""
    return {"export": actor.role in STAFF_ROLES, "erase": actor.role == Role.admin}


def register() -> None:
    CHILD_PANELS.update(
        enrolments=child_enrolments,
        mentoring=child_mentoring,
        life_events=child_life_events,
        outcomes=child_outcomes,
        retention=child_retention,
        records=child_records,
    )
