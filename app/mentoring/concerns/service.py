"""Safeguarding concerns raised in visits and a lead's reviews of them.

A concern stays open (the lead's flag, app/fidelity/flags.py, and the home page's list read
`mentor_visit.concern_reviewed_at`) until a review exists: the first review sets it, in the
same transaction, so the column and the reviews never disagree. Later reviews are
follow-ups (a referral's outcome, a call back from the police): safeguarding work goes on
after the first look, and its trail belongs with the concern rather than somewhere else.

Who sees what: leads and admins see every review in full. The match's mentor sees that the
concern was reviewed, by whom and when, but not what was decided nor the note: those are
the safeguarding lead's, shared with a volunteer only as they need to know."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.audit import service as audit
from app.auth.models import Role, User
from app.children.models import Child
from app.exceptions import Conflict, Forbidden, NotFound
from app.mentoring.models import ConcernReview, MentorVisit, ReviewAction
from app.mentoring.schemas import ConcernReviewCreate
from app.mentoring.visits.service import get_visit

ACTION_WORDS = {
    ReviewAction.discussed_with_social_worker: "Discussed with the child's social worker",
    ReviewAction.referred_to_mash: "Referred to the MASH (multi-agency safeguarding hub)",
    ReviewAction.reported_to_police: "Reported to the police",
    ReviewAction.no_further_action: "No further action",
    ReviewAction.other: "Other",
}
LEGACY_NOTE = "Marked as reviewed with the one-click button, without a note."


def require_reviewer(actor: User) -> None:
    if actor.role not in (Role.lead, Role.admin):
        raise Forbidden("Only a programme lead can review a safeguarding concern.")


@dataclass(frozen=True)
class Review:
    """A review as the viewer may see it (`action`, `note`, `escalated`: None for a
    mentor)."""

    id: int
    visit_id: int
    reviewed_by: int | None
    reviewed_by_name: str | None
    reviewed_at: dt.datetime
    action: ReviewAction | None
    note: str | None
    escalated: bool | None
    follow_up: bool

    @property
    def action_words(self) -> str | None:
        return ACTION_WORDS[self.action] if self.action is not None else None


def _concern_visit(db: Session, *, actor: User, visit_id: int) -> MentorVisit:
    """The visit, if the caller may see it and it raised a concern (else 404)."""
    visit = get_visit(db, actor=actor, visit_id=visit_id)
    if not visit.safeguarding_concern:
        raise NotFound(f"Visit {visit_id} raised no safeguarding concern.")
    return visit


def _add(
    db: Session,
    *,
    actor: User,
    visit: MentorVisit,
    data: ConcernReviewCreate,
    now: dt.datetime,
) -> ConcernReview:
    now = now.astimezone(dt.UTC)
    follow_up = visit.concern_reviewed_at is not None
    review = ConcernReview(
        org_id=visit.org_id,
        visit_id=visit.id or 0,
        action=data.action,
        note=data.note,
        escalated=data.escalated,
        reviewed_by=actor.id,
        reviewed_at=now,
    )
    db.add(review)
    if not follow_up:
        visit.concern_reviewed_at = now
        visit.concern_reviewed_by = actor.id
        db.add(visit)
    db.flush()
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="review_concern",
        entity="visit",
        entity_id=visit.id,
        changes={
            "review_id": [None, review.id],
            "action": [None, data.action.value],
            # The note is the safeguarding record's, not the audit trail's.
            "note": "written",
            "escalated": [None, data.escalated],
            **({} if follow_up else {"concern_reviewed": [False, True]}),
        },
    )
    return review


def review_concern(
    db: Session, *, actor: User, visit_id: int, data: ConcernReviewCreate, now: dt.datetime
) -> ConcernReview:
    """A lead's review (201). The first closes the concern; a later one is a follow-up."""
    require_reviewer(actor)
    visit = _concern_visit(db, actor=actor, visit_id=visit_id)
    return _add(db, actor=actor, visit=visit, data=data, now=now)


def mark_reviewed(db: Session, *, actor: User, visit_id: int, now: dt.datetime) -> MentorVisit:
    """The one-click "reviewed" of earlier clients (POST .../concern-reviewed): a minimal
    review ("other", saying so) when the concern has none yet; nothing when it has one.
    409 for a visit without a concern, as before."""
    require_reviewer(actor)
    visit = get_visit(db, actor=actor, visit_id=visit_id)
    if not visit.safeguarding_concern:
        raise Conflict("This visit has no safeguarding concern.")
    if visit.concern_reviewed_at is None:
        data = ConcernReviewCreate(action=ReviewAction.other, note=LEGACY_NOTE)
        _add(db, actor=actor, visit=visit, data=data, now=now)
    return visit


def reviews_of(db: Session, *, actor: User, visit_ids: list[int]) -> dict[int, list[Review]]:
    """{visit id: its reviews, oldest first}, as `actor` may see them: one query. The caller
    has already checked that the actor may see these visits."""
    out: dict[int, list[Review]] = {v: [] for v in visit_ids}
    if not visit_ids:
        return out
    full = actor.role in (Role.lead, Role.admin)
    rows = db.execute(
        sa_select(ConcernReview, col(User.name))
        .outerjoin(User, col(User.id) == col(ConcernReview.reviewed_by))
        .where(
            col(ConcernReview.org_id) == actor.org_id,
            col(ConcernReview.visit_id).in_(visit_ids),
        )
        .order_by(col(ConcernReview.reviewed_at), col(ConcernReview.id))
    ).all()
    for review, name in rows:
        earlier = out[review.visit_id]
        out[review.visit_id].append(
            Review(
                id=review.id or 0,
                visit_id=review.visit_id,
                reviewed_by=review.reviewed_by,
                reviewed_by_name=name,
                reviewed_at=review.reviewed_at,
                action=review.action if full else None,
                note=review.note if full else None,
                escalated=review.escalated if full else None,
                follow_up=bool(earlier),
            )
        )
    return out


def list_reviews(db: Session, *, actor: User, visit_id: int) -> list[Review]:
    """The reviews of one visit's concern (404 for a visit the caller cannot see or one
    without a concern)."""
    visit = _concern_visit(db, actor=actor, visit_id=visit_id)
    return reviews_of(db, actor=actor, visit_ids=[visit.id or 0])[visit.id or 0]


def get_review(db: Session, *, actor: User, review: ConcernReview) -> Review:
    """A review just made, as its author sees it."""
    return next(
        r for r in list_reviews(db, actor=actor, visit_id=review.visit_id) if r.id == review.id
    )


def concerns(db: Session, *, actor: User) -> list[Any]:
    """Visits with a safeguarding concern that no lead has reviewed yet (for the flag):
    (visit id, date, child id, first name, reference, mentor's name, match id)."""
    if actor.role not in (Role.lead, Role.admin):
        return []
    return list(
        db.execute(
            sa_select(
                col(MentorVisit.id),
                col(MentorVisit.date),
                col(MentorVisit.child_id),
                col(Child.first_name),
                col(Child.reference),
                col(User.name),
                col(MentorVisit.match_id),
            )
            .join(Child, col(Child.id) == col(MentorVisit.child_id))
            .join(User, col(User.id) == col(MentorVisit.mentor_id))
            .where(
                col(MentorVisit.org_id) == actor.org_id,
                col(MentorVisit.safeguarding_concern).is_(True),
                col(MentorVisit.concern_reviewed_at).is_(None),
            )
            .order_by(col(MentorVisit.date).desc())
        ).all()
    )
