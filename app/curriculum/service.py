"""Curriculum: loading versions from files, and reading them back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.curriculum.models import Activity, Curriculum, CurriculumWeek, PracticeTask
from app.curriculum.schemas import ActivityPublic, PracticeTaskPublic, WeekPublic
from app.curriculum.source import CurriculumSource, Warning_, read_all
from app.exceptions import NotFound


@dataclass(frozen=True)
class LoadResult:
    slug: str
    version: int
    created: bool  # False: the content was already loaded as this version


def _latest(db: Session, slug: str) -> Curriculum | None:
    stmt = (
        select(Curriculum)
        .where(Curriculum.slug == slug)
        .order_by(col(Curriculum.version).desc())
        .limit(1)
    )
    return db.exec(stmt).first()


def _insert(db: Session, source: CurriculumSource, version: int, content_hash: str) -> Curriculum:
    curriculum = Curriculum(
        slug=source.slug,
        version=version,
        title=source.title,
        description=source.description,
        content_hash=content_hash,
        programme=source.programme.model_dump(),
        units=[u.model_dump() for u in source.units],
        loaded_at=datetime.now(UTC),
    )
    for w in source.weeks:
        week = CurriculumWeek(week=w.week, unit=w.unit, title=w.title, summary=w.summary)
        week.activities = [
            Activity(
                position=i,
                key=a.key,
                title=a.title,
                minutes=a.minutes,
                core=a.core,
                guidance=a.guidance,
            )
            for i, a in enumerate(w.activities, start=1)
        ]
        week.practice_tasks = [
            PracticeTask(position=i, key=t.key, title=t.title, description=t.description)
            for i, t in enumerate(w.practice_tasks, start=1)
        ]
        curriculum.weeks.append(week)
    db.add(curriculum)
    db.flush()
    return curriculum


def load_sources(db: Session, sources: list[CurriculumSource]) -> list[LoadResult]:
    """Store each source as a new version unless its latest version holds the same content."""
    results = []
    for source in sources:
        content_hash = source.content_hash()
        latest = _latest(db, source.slug)
        if latest is not None and latest.content_hash == content_hash:
            results.append(LoadResult(source.slug, latest.version, created=False))
            continue
        version = 1 if latest is None else latest.version + 1
        _insert(db, source, version, content_hash)
        results.append(LoadResult(source.slug, version, created=True))
    return results


def load_path(db: Session, path: Path) -> tuple[list[LoadResult], list[Warning_]]:
    """Validate every curriculum under `path` first; load them only if all are valid."""
    sources, warnings = read_all(path)
    return load_sources(db, sources), warnings


# Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurriculumSummary:
    curriculum: Curriculum
    weeks: int
    latest: bool


def list_curricula(db: Session) -> list[CurriculumSummary]:
    """Every version of every curriculum, newest version of each slug flagged `latest`."""
    week_count = (
        select(func.count(col(CurriculumWeek.id)))
        .where(CurriculumWeek.curriculum_id == Curriculum.id)
        .scalar_subquery()
    )
    rows = db.exec(
        select(Curriculum, week_count).order_by(
            col(Curriculum.slug), col(Curriculum.version).desc()
        )
    ).all()
    out: list[CurriculumSummary] = []
    previous_slug = None
    for curriculum, weeks in rows:
        out.append(CurriculumSummary(curriculum, int(weeks), curriculum.slug != previous_slug))
        previous_slug = curriculum.slug
    return out


def get_curriculum(db: Session, curriculum_id: int) -> Curriculum:
    curriculum = db.get(Curriculum, curriculum_id)
    if curriculum is None:
        raise NotFound(f"There is no curriculum {curriculum_id}.")
    return curriculum


def latest_curricula(db: Session) -> list[Curriculum]:
    """The newest version of each curriculum."""
    newest = (
        select(Curriculum.slug, func.max(Curriculum.version).label("version"))
        .group_by(col(Curriculum.slug))
        .subquery()
    )
    stmt = (
        select(Curriculum)
        .join(
            newest,
            (col(Curriculum.slug) == newest.c.slug) & (col(Curriculum.version) == newest.c.version),
        )
        .order_by(col(Curriculum.title))
    )
    return list(db.exec(stmt).all())


def list_weeks(db: Session, curriculum_id: int) -> list[CurriculumWeek]:
    """The weeks of one curriculum in order, without their activities."""
    get_curriculum(db, curriculum_id)
    stmt = (
        select(CurriculumWeek)
        .where(CurriculumWeek.curriculum_id == curriculum_id)
        .order_by(col(CurriculumWeek.week))
    )
    return list(db.exec(stmt).all())


def week_contents(db: Session, curriculum_id: int) -> list[WeekPublic]:
    """Every week with its activities and practice tasks, in three queries of plain rows:
    the largest read of reference data, so no ORM objects are built for it."""
    get_curriculum(db, curriculum_id)
    in_curriculum = col(CurriculumWeek.curriculum_id) == curriculum_id
    weeks = db.execute(
        select(CurriculumWeek.__table__).where(in_curriculum).order_by(col(CurriculumWeek.week))  # type: ignore[attr-defined]
    ).mappings()
    activities: dict[int, list[ActivityPublic]] = defaultdict(list)
    for row in db.execute(
        select(Activity.__table__)  # type: ignore[attr-defined]
        .join(CurriculumWeek)
        .where(in_curriculum)
        .order_by(col(Activity.week_id), col(Activity.position))
    ).mappings():
        activities[row["week_id"]].append(ActivityPublic.model_validate(row))
    tasks: dict[int, list[PracticeTaskPublic]] = defaultdict(list)
    for row in db.execute(
        select(PracticeTask.__table__)  # type: ignore[attr-defined]
        .join(CurriculumWeek)
        .where(in_curriculum)
        .order_by(col(PracticeTask.week_id), col(PracticeTask.position))
    ).mappings():
        tasks[row["week_id"]].append(PracticeTaskPublic.model_validate(row))
    return [
        WeekPublic(
            week=w["week"],
            unit=w["unit"],
            title=w["title"],
            summary=w["summary"],
            activities=activities[w["id"]],
            practice_tasks=tasks[w["id"]],
        )
        for w in weeks
    ]


def get_week(db: Session, curriculum_id: int, week: int) -> CurriculumWeek:
    stmt = (
        select(CurriculumWeek)
        .where(CurriculumWeek.curriculum_id == curriculum_id, CurriculumWeek.week == week)
        .options(
            selectinload(CurriculumWeek.activities),  # type: ignore[arg-type]
            selectinload(CurriculumWeek.practice_tasks),  # type: ignore[arg-type]
            selectinload(CurriculumWeek.curriculum),  # type: ignore[arg-type]
        )
    )
    found = db.exec(stmt).first()
    if found is None:
        raise NotFound(f"Curriculum {curriculum_id} has no week {week}.")
    return found
