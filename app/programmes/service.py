"""Programmes: the organisation's list, the default FHF-PT programme, and which programme a
new cohort or match goes in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import column, func, table, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Organisation, Role, User
from app.auth.service import organisation_created
from app.curriculum.models import Curriculum
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.programmes.models import (
    FHF_PT_AGES,
    FHF_PT_CASELOAD,
    FHF_PT_MATCH_MONTHS,
    FHF_PT_NAME,
    BandPer,
    Programme,
    ProgrammeKind,
)
from app.programmes.schemas import ProgrammeCreate, ProgrammePublic, ProgrammeUpdate, VisitBand


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, [{"loc": ["body", field], "msg": message}])


def public(p: Programme) -> ProgrammePublic:
    return ProgrammePublic(
        id=p.id or 0,
        name=p.name,
        kind=p.kind,
        has_groups=ProgrammeKind(p.kind).has_groups,
        curriculum_id=p.curriculum_id,
        caseload_max=p.caseload_max,
        visit_band=VisitBand(
            per=p.band_per, min_hours=p.band_min_hours, max_hours=p.band_max_hours
        ),
        age_min=p.age_min,
        age_max=p.age_max,
        match_length_months=p.match_length_months,
        archived_at=p.archived_at,
        version=p.version,
    )


@organisation_created.set
def create_default(db: Session, org: Organisation) -> Programme:
    """FHF-PT with the organisation's own band: every new organisation starts with it."""
    programme = Programme(
        org_id=org.id or 0,
        name=FHF_PT_NAME,
        kind=ProgrammeKind.group_and_mentoring,
        caseload_max=FHF_PT_CASELOAD,
        band_per=BandPer.week,
        band_min_hours=float(org.mentoring_hours_min),
        band_max_hours=float(org.mentoring_hours_max),
        age_min=FHF_PT_AGES[0],
        age_max=FHF_PT_AGES[1],
        match_length_months=FHF_PT_MATCH_MONTHS,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(programme)
    db.flush()
    return programme


def list_programmes(
    db: Session, org_id: int, *, include_archived: bool = False
) -> Sequence[Programme]:
    query = select(Programme).where(Programme.org_id == org_id)
    if not include_archived:
        query = query.where(col(Programme.archived_at).is_(None))
    return db.exec(query.order_by(col(Programme.id))).all()


def get_programme(db: Session, org_id: int, programme_id: int) -> Programme:
    programme = db.exec(
        select(Programme).where(Programme.id == programme_id, Programme.org_id == org_id)
    ).first()
    if programme is None:
        raise NotFound(f"There is no programme {programme_id}.")
    return programme


def resolve(
    db: Session,
    org_id: int,
    programme_id: int | None,
    *,
    needs_groups: bool | None = None,
    field: str = "programme_id",
) -> Programme:
    """The programme a new cohort or match goes in: the one named, or, when none is named,
    the organisation's only live programme (only live programme with groups, when
    `needs_groups`). 422 (naming `field`) when the id is not one of
    the organisation's live programmes, when none is named and there are several, or when
    `needs_groups` is True and its kind has no groups (a cohort in an Independent Visitor
    service, say)."""
    if programme_id is None:
        live = list_programmes(db, org_id)
        if needs_groups:
            # A cohort goes in the only programme with groups, whatever else is run beside it.
            live = [p for p in live if ProgrammeKind(p.kind).has_groups]
        if len(live) != 1:
            names = ", ".join(p.name for p in live) or "none"
            raise _invalid(field, f"Choose a programme: this organisation runs {names}")
        programme = live[0]
    else:
        found = db.exec(
            select(Programme).where(
                Programme.id == programme_id,
                Programme.org_id == org_id,
                col(Programme.archived_at).is_(None),
            )
        ).first()
        if found is None:
            raise _invalid(field, f"There is no programme {programme_id}")
        programme = found
    if needs_groups and not ProgrammeKind(programme.kind).has_groups:
        raise _invalid(
            field,
            f"{programme.name} has no groups: cohorts belong to a group-and-mentoring programme",
        )
    return programme


def _require_admin(actor: User) -> None:
    if actor.role != Role.admin:
        raise Forbidden("Only an admin can set up programmes.")


def curriculum_has_groups(curriculum: Curriculum) -> bool:
    """A curriculum whose header says `weeks: 0` is a guide for mentors or befrienders, with
    no group weeks (app/curriculum/source.py)."""
    return int(curriculum.programme.get("weeks", 30)) > 0


def _check_curriculum(db: Session, curriculum_id: int | None, kind: ProgrammeKind) -> None:
    if curriculum_id is None:
        return
    curriculum = db.get(Curriculum, curriculum_id)
    if curriculum is None:
        raise _invalid("curriculum_id", f"There is no curriculum {curriculum_id}")
    if kind.has_groups and not curriculum_has_groups(curriculum):
        raise _invalid(
            "curriculum_id",
            f"{curriculum.title} has no group weeks: a programme with groups needs a "
            "curriculum of weekly sessions",
        )


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    """Request fields to table columns (the band is three columns)."""
    out = {k: v for k, v in values.items() if k not in {"visit_band", "version"}}
    band = values.get("visit_band")
    if band is not None:
        out |= {
            "band_per": BandPer(band["per"]),
            "band_min_hours": float(band["min_hours"]),
            "band_max_hours": float(band["max_hours"]),
        }
    return out


def _audit_values(p: Programme) -> dict[str, object]:
    return public(p).model_dump(mode="json", exclude={"id", "version", "archived_at"})


def _stale(current: Programme) -> Conflict:
    return Conflict(
        "Someone else changed this programme: reload it and try again.",
        current_version=current.version,
        current=public(current).model_dump(mode="json"),
    )


def create_programme(db: Session, *, actor: User, data: ProgrammeCreate) -> Programme:
    _require_admin(actor)
    _check_curriculum(db, data.curriculum_id, data.kind)
    if db.exec(
        select(Programme.id).where(Programme.org_id == actor.org_id, Programme.name == data.name)
    ).first():
        raise Conflict(f"A programme called {data.name} already exists.")
    programme = Programme.model_validate(
        {
            **_fields(data.model_dump(mode="json")),
            "org_id": actor.org_id,
            "created_at": dt.datetime.now(dt.UTC),
        }
    )
    # Two admins creating the same name at once both pass the check above: the unique
    # constraint decides, and the loser gets the same 409 (the savepoint keeps the
    # transaction usable).
    try:
        with db.begin_nested():
            db.add(programme)
            db.flush()
    except IntegrityError:
        raise Conflict(f"A programme called {data.name} already exists.") from None
    audit.record(
        db,
        org_id=actor.org_id,
        actor=actor,
        action="create",
        entity="programme",
        entity_id=programme.id,
        changes=audit.changes_between({}, _audit_values(programme)),
    )
    return programme


def update_programme(
    db: Session, *, actor: User, programme_id: int, data: ProgrammeUpdate
) -> Programme:
    _require_admin(actor)
    programme = get_programme(db, actor.org_id, programme_id)
    if programme.version != data.version:
        raise _stale(programme)
    given = data.model_dump(mode="json", exclude_unset=True)
    _check_curriculum(db, given.get("curriculum_id"), ProgrammeKind(programme.kind))
    before = _audit_values(programme)
    values = _fields(given)
    age_min = int(values.get("age_min", programme.age_min))
    age_max = int(values.get("age_max", programme.age_max))
    if age_min > age_max:
        raise _invalid("age_min", f"age_min ({age_min}) is above age_max ({age_max})")
    name = values.get("name")
    if (
        name
        and name != programme.name
        and db.exec(
            select(func.count())
            .select_from(Programme)
            .where(Programme.org_id == actor.org_id, Programme.name == name)
        ).one()
    ):
        raise Conflict(f"A programme called {name} already exists.")
    # Claimed in one statement: of two saves of the same version, exactly one moves it on
    # (the version read above may be older than a save that committed since).
    claimed = db.execute(
        update(Programme)
        .where(col(Programme.id) == programme.id, col(Programme.version) == data.version)
        .values(**values, version=data.version + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise _stale(get_programme(db, actor.org_id, programme_id))
    db.refresh(programme)
    changes = audit.changes_between(before, _audit_values(programme))
    if changes:
        audit.record(
            db,
            org_id=actor.org_id,
            actor=actor,
            action="update",
            entity="programme",
            entity_id=programme.id,
            changes=changes,
        )
    return programme


# Tables of the domains above this one, named here only to read who works where: a
# programme's cohorts and matches are theirs, but "the programmes a person works in" is asked
# by the pages of every domain, so it lives here, as one query.
_COHORT = table(
    "cohort", column("id"), column("org_id"), column("programme_id"), column("archived_at")
)
_COHORT_FACILITATOR = table("cohort_facilitator", column("cohort_id"), column("user_id"))
_MATCH = table(
    "mentor_match",
    column("org_id"),
    column("programme_id"),
    column("mentor_id"),
    column("end_date"),
)


def programmes_of(db: Session, user: User) -> list[Programme]:
    """The live programmes a person works in, in the order they were set up: an admin or a
    lead, all of the organisation's; a facilitator, those of the cohorts they facilitate
    (archived cohorts left out); a mentor, those of their active matches. One query."""
    query = select(Programme).where(
        Programme.org_id == user.org_id, col(Programme.archived_at).is_(None)
    )
    if user.role == Role.facilitator:
        ids = (
            select(_COHORT.c.programme_id)
            .join(_COHORT_FACILITATOR, _COHORT_FACILITATOR.c.cohort_id == _COHORT.c.id)
            .where(
                _COHORT.c.org_id == user.org_id,
                _COHORT_FACILITATOR.c.user_id == user.id,
                _COHORT.c.archived_at.is_(None),
            )
        )
        query = query.where(col(Programme.id).in_(ids))
    elif user.role == Role.mentor:
        ids = select(_MATCH.c.programme_id).where(
            _MATCH.c.org_id == user.org_id,
            _MATCH.c.mentor_id == user.id,
            _MATCH.c.end_date.is_(None),
        )
        query = query.where(col(Programme.id).in_(ids))
    return list(db.exec(query.order_by(col(Programme.id))).all())
