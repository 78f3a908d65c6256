"""Loading curricula into the database: versions, no-ops, and nothing on a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from app.curriculum.models import Activity, Curriculum, CurriculumWeek, PracticeTask
from app.curriculum.service import latest_curricula, load_path
from app.curriculum.source import CurriculumError
from tests.support.files import edit


def counts(db: Session) -> tuple[int, ...]:
    return tuple(
        db.exec(select(func.count()).select_from(model)).one()
        for model in (Curriculum, CurriculumWeek, Activity, PracticeTask)
    )


def test_suite_database_holds_version_1(db: Session) -> None:
    (curriculum,) = latest_curricula(db)
    assert (curriculum.slug, curriculum.version) == ("tandem-skills", 1)
    assert curriculum.programme["weeks"] == 30
    assert len(curriculum.weeks) == 30


def test_unchanged_content_is_a_no_op(db: Session, curriculum_copy: Path) -> None:
    before = counts(db)
    (result,), _ = load_path(db, curriculum_copy.parent)
    assert (result.version, result.created) == (1, False)
    assert counts(db) == before


def test_changed_content_creates_a_new_version(db: Session, curriculum_copy: Path) -> None:
    edit(curriculum_copy / "weeks" / "week-04.yaml", "title: ", "title: Revised ", 1)
    before = counts(db)
    (result,), _ = load_path(db, curriculum_copy)
    assert (result.version, result.created) == (2, True)
    after = counts(db)
    assert after[0] == before[0] + 1
    assert after[1] == before[1] + 30
    (latest,) = latest_curricula(db)
    assert latest.version == 2
    assert latest.weeks[3].title.startswith("Revised ")
    # Version 1 is kept untouched for the sessions that used it.
    v1 = db.exec(select(Curriculum).where(Curriculum.version == 1)).one()
    assert not v1.weeks[3].title.startswith("Revised ")
    # Loading the same changed content again is a no-op.
    (again,), _ = load_path(db, curriculum_copy)
    assert (again.version, again.created) == (2, False)


def test_bad_file_loads_nothing(db: Session, curriculum_copy: Path) -> None:
    edit(curriculum_copy / "weeks" / "week-04.yaml", "title: ", "title: Revised ", 1)
    edit(curriculum_copy / "weeks" / "week-08.yaml", "minutes: ", "minutes: 0 #", 1)
    before = counts(db)
    with pytest.raises(CurriculumError):
        load_path(db, curriculum_copy)
    assert counts(db) == before


def test_activities_keep_file_order_and_fields(db: Session) -> None:
    (curriculum,) = latest_curricula(db)
    week = curriculum.weeks[0]
    assert [a.position for a in week.activities] == list(range(1, len(week.activities) + 1))
    assert all(a.minutes > 0 and a.guidance for a in week.activities)
    assert all(t.description for t in week.practice_tasks)
