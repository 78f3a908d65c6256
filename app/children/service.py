"""Children: registering, finding and correcting them (everything held on one, for a
subject access request, is app/records: it reads every later domain's rows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import service as audit
from app.auth.models import Role, User
from app.auth.service import STAFF_ROLES, require_staff
from app.children.models import Child
from app.children.schemas import ChildCreate, ChildPublic, ChildUpdate
from app.exceptions import Conflict, Invalid, NotFound
from app.hooks import Hook

MIN_AGE, MAX_AGE = 4, 18
STAFF = STAFF_ROLES


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_of(child: Child, day: date) -> int | None:
    """The child's age on `day`; None once their record is anonymised (no date of birth)."""
    return None if child.date_of_birth is None else age_on(child.date_of_birth, day)


ChildIds = Callable[[User], SelectOfScalar[int]]

SEEN_BY_FACILITATOR: Hook[ChildIds] = Hook("a facilitator's children", "app.cohorts.enrolments")
"""Those enrolled in the facilitator's cohorts (cohorts knows: app/cohorts/enrolments.py)."""
SEEN_BY_MENTOR: Hook[ChildIds] = Hook("a mentor's children", "app.mentoring.matching.service")
"""The mentor's active mentees (mentoring knows: app/mentoring/matching/service.py)."""


def visible(actor: User) -> ColumnElement[bool]:
    """The children this user may see: all of the organisation's for staff; a facilitator,
    those enrolled in their cohorts; a mentor, their active mentees."""
    in_org = col(Child.org_id) == actor.org_id
    if actor.role in STAFF:
        return in_org & true()
    if actor.role == Role.facilitator:
        return in_org & col(Child.id).in_(SEEN_BY_FACILITATOR()(actor))
    if actor.role == Role.mentor:
        return in_org & col(Child.id).in_(SEEN_BY_MENTOR()(actor))
    return false()


def check_dates(
    date_of_birth: date, consent_given_on: date | None, today: date, *, check_age: bool = True
) -> None:
    errors: list[dict[str, Any]] = []
    if not check_age:
        pass
    elif date_of_birth > today:
        errors.append(
            {"loc": ["body", "date_of_birth"], "msg": "Date of birth must be in the past"}
        )
    elif not MIN_AGE <= age_on(date_of_birth, today) <= MAX_AGE:
        errors.append(
            {
                "loc": ["body", "date_of_birth"],
                "msg": f"The child must be aged {MIN_AGE} to {MAX_AGE}",
            }
        )
    if consent_given_on is not None and consent_given_on > today:
        errors.append(
            {"loc": ["body", "consent_given_on"], "msg": "Consent date must be today or earlier"}
        )
    if errors:
        raise Invalid("; ".join(e["msg"] for e in errors), errors)


def _flush_unique(db: Session, reference: str) -> None:
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        raise Conflict(f"A child with the reference {reference} already exists.") from None


def create_child(db: Session, *, actor: User, data: ChildCreate, today: date) -> Child:
    require_staff(actor)
    check_dates(data.date_of_birth, data.consent_given_on, today)
    exists = db.exec(
        select(Child.id).where(Child.org_id == actor.org_id, Child.reference == data.reference)
    ).first()
    if exists is not None:
        raise Conflict(f"A child with the reference {data.reference} already exists.")
    stamp = datetime.now(UTC)
    child = Child(
        org_id=actor.org_id,
        **data.model_dump(exclude={"preferences"}),
        preferences=data.preferences.model_dump(exclude_none=True),
        created_at=stamp,
        updated_at=stamp,
    )
    db.add(child)
    _flush_unique(db, data.reference)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="child",
        entity_id=child.id,
        changes=audit.changes_between({}, data.model_dump(mode="json")),
    )
    return child


def refuse_if_anonymised(child: Child) -> None:
    """An anonymised record (app/records/retention.py) is kept for the figures only."""
    if child.anonymised_at is not None:
        raise Conflict(
            f"{child.reference}'s record was anonymised after the retention period: "
            "it cannot be changed."
        )


def get_child(db: Session, *, actor: User, child_id: int) -> Child:
    child = db.exec(select(Child).where(Child.id == child_id, visible(actor))).first()
    if child is None:
        raise NotFound(f"There is no child {child_id}.")
    return child


def list_children(db: Session, *, actor: User, q: str | None = None) -> list[Child]:
    stmt = select(Child).where(visible(actor))
    if q:
        # What people type is text, not a LIKE pattern: % and _ match only themselves.
        text = q.strip().lower()
        for special in ("!", "%", "_"):
            text = text.replace(special, "!" + special)
        pattern = f"%{text}%"
        stmt = stmt.where(
            or_(
                func.lower(Child.reference).like(pattern, escape="!"),
                func.lower(Child.first_name).like(pattern, escape="!"),
            )
        )
    return list(db.exec(stmt.order_by(col(Child.first_name), col(Child.reference))).all())


def update_child(
    db: Session, *, actor: User, child_id: int, data: ChildUpdate, today: date
) -> Child:
    require_staff(actor)
    child = get_child(db, actor=actor, child_id=child_id)
    refuse_if_anonymised(child)
    changes = data.model_dump(exclude_unset=True, mode="python")
    if "preferences" in changes:
        # Sent as null, the lists and preferences are cleared (their columns hold no null).
        prefs = data.preferences
        changes["preferences"] = prefs.model_dump(exclude_none=True) if prefs else {}
    for listed in ("languages", "interests"):
        if listed in changes and changes[listed] is None:
            changes[listed] = []
    for field in (
        "reference",
        "first_name",
        "date_of_birth",
        "placement_type",
        "consent_given_by",
        "consent_given_on",
    ):
        if field in changes and changes[field] is None:
            raise Invalid(
                f"{field} cannot be empty", [{"loc": ["body", field], "msg": "cannot be empty"}]
            )
    before = ChildPublic.model_validate(child).model_dump(mode="json")
    # Dates are checked only when they change: a child who has since turned 19 can still
    # have another detail corrected.
    new_birth = changes.get("date_of_birth")
    if new_birth is not None and new_birth != child.date_of_birth:
        check_dates(new_birth, changes.get("consent_given_on"), today)
    elif changes.get("consent_given_on") is not None and child.date_of_birth is not None:
        check_dates(child.date_of_birth, changes["consent_given_on"], today, check_age=False)
    if "reference" in changes and changes["reference"] != child.reference:
        taken = db.exec(
            select(Child.id).where(
                Child.org_id == actor.org_id, Child.reference == changes["reference"]
            )
        ).first()
        if taken is not None:
            raise Conflict(f"A child with the reference {changes['reference']} already exists.")
    for field, value in changes.items():
        setattr(child, field, value)
    after = ChildPublic.model_validate(child).model_dump(mode="json")
    diff = audit.changes_between(
        {k: v for k, v in before.items() if k != "updated_at"},
        {k: v for k, v in after.items() if k != "updated_at"},
    )
    if not diff:
        return child
    child.updated_at = datetime.now(UTC)
    db.add(child)
    _flush_unique(db, child.reference)
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="update",
        entity="child",
        entity_id=child.id,
        changes=diff,
    )
    return child
