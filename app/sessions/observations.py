"""A lead's observations of a delivered session (adherence and quality, with comments), and
how each delivered session of a cohort went: checklist ticks and the mean observer
scores (the panel on the cohort's page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.cohorts import service as cohorts
from app.cohorts.models import GroupSession, SessionStatus
from app.exceptions import Conflict, Forbidden
from app.sessions.models import SessionObservation, SessionRecord
from app.sessions.schemas import ObservationIn


def observe(
    db: Session, *, actor: User, session_id: int, data: ObservationIn
) -> SessionObservation:
    if actor.role not in (Role.lead, Role.admin):
        raise Forbidden("Only a programme lead can add an observation.")
    session = cohorts.get_session(db, actor=actor, session_id=session_id)
    if session.status != SessionStatus.delivered:
        raise Conflict("Only a delivered session can be observed.")
    observation = SessionObservation(
        org_id=actor.org_id,
        session_id=session.id or 0,
        observer_id=actor.id or 0,
        adherence=data.adherence,
        quality=data.quality,
        comments=data.comments or None,
        observed_at=dt.datetime.now(dt.UTC),
    )
    db.add(observation)
    db.flush()
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="observe",
        entity="session",
        entity_id=session.id,
        changes={"adherence": [None, data.adherence], "quality": [None, data.quality]},
    )
    return observation


def observations_of(db: Session, session_id: int) -> list[SessionObservation]:
    return list(
        db.exec(
            select(SessionObservation)
            .where(SessionObservation.session_id == session_id)
            .order_by(col(SessionObservation.observed_at))
        ).all()
    )


def quality_by_session(db: Session, *, actor: User, cohort_id: int) -> dict[int, dict[str, Any]]:
    """Per delivered session of the cohort: checklist ticks and the mean observer scores
    (two queries). The caller has checked the actor may see the cohort."""
    out: dict[int, dict[str, Any]] = {}
    for session_id, checklist in db.exec(
        select(SessionRecord.session_id, SessionRecord.checklist)
        .join(GroupSession, col(GroupSession.id) == col(SessionRecord.session_id))
        .where(GroupSession.cohort_id == cohort_id, GroupSession.org_id == actor.org_id)
    ).all():
        out[session_id] = {"ticked": sum(1 for v in checklist.values() if v)}
    for session_id, adherence, quality in db.exec(
        select(
            SessionObservation.session_id,
            func.avg(SessionObservation.adherence),
            func.avg(SessionObservation.quality),
        )
        .join(GroupSession, col(GroupSession.id) == col(SessionObservation.session_id))
        .where(GroupSession.cohort_id == cohort_id, GroupSession.org_id == actor.org_id)
        .group_by(col(SessionObservation.session_id))
    ).all():
        out.setdefault(session_id, {})["observed"] = (
            round(float(adherence), 1),
            round(float(quality), 1),
        )
    return out
