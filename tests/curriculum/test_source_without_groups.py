"""A curriculum without group weeks (issue 19): a guide for mentors or befrienders whose
header says `weeks: 0` and which has no weeks folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.curriculum.source import CurriculumError, read_all, read_curriculum
from tests.support.files import edit


def _guide(curriculum_copy: Path) -> Path:
    """The repo's curriculum turned into a guide: weeks: 0 and no week files."""
    edit(curriculum_copy / "curriculum.yaml", "weeks: 30", "weeks: 0")
    edit(curriculum_copy / "curriculum.yaml", "slug: tandem-skills", "slug: befriending-guide")
    shutil.rmtree(curriculum_copy / "weeks")
    return curriculum_copy


def test_a_curriculum_whose_header_says_no_weeks_loads_without_a_weeks_folder(
    curriculum_copy: Path,
) -> None:
    source, warnings = read_curriculum(_guide(curriculum_copy))
    assert source.slug == "befriending-guide"
    assert source.programme.weeks == 0
    assert source.weeks == []
    assert warnings == []
    assert len(source.units) == 10


def test_an_empty_weeks_folder_is_no_week_files_either(curriculum_copy: Path) -> None:
    guide = _guide(curriculum_copy)
    (guide / "weeks").mkdir()
    (source,), _ = read_all(guide)
    assert source.weeks == []


def test_week_files_beside_weeks_0_are_refused(curriculum_copy: Path) -> None:
    edit(curriculum_copy / "curriculum.yaml", "weeks: 30", "weeks: 0")
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(curriculum_copy)
    (problem,) = [str(p) for p in caught.value.problems]
    assert "programme.weeks is 0 (no group weeks) but there are 30 week files" in problem


def test_a_curriculum_with_weeks_and_no_week_files_is_still_refused(
    curriculum_copy: Path,
) -> None:
    shutil.rmtree(curriculum_copy / "weeks")
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(curriculum_copy)
    (problem,) = [str(p) for p in caught.value.problems]
    assert "no week files (*.yaml)" in problem


def test_a_negative_number_of_weeks_is_refused_with_its_line(curriculum_copy: Path) -> None:
    edit(curriculum_copy / "curriculum.yaml", "weeks: 30", "weeks: -1")
    with pytest.raises(CurriculumError) as caught:
        read_curriculum(curriculum_copy)
    found = [str(p) for p in caught.value.problems]
    assert any(
        "curriculum.yaml:11: programme.weeks: must be 0 or a positive whole number (got -1)" in p
        for p in found
    ), found
