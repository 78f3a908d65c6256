"""Validating curriculum files: every rule, with the file, line and key of each problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.curriculum.source import CurriculumError, read_all, read_curriculum
from tests.support.databases import CURRICULUM
from tests.support.files import edit


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(CurriculumError) as caught:
        read_all(folder)
    return [str(p) for p in caught.value.problems]


def test_repo_curriculum_is_valid_and_follows_the_programme() -> None:
    (source,), warnings = read_all(CURRICULUM)
    assert warnings == []
    assert source.slug == "tandem-skills"
    assert [w.week for w in source.weeks] == list(range(1, 31))
    assert source.programme.weeks == 30
    unit_keys = [u.key for u in source.units]
    assert len(unit_keys) == 10
    # Units run in the declared order, each in one block of weeks.
    order = [w.unit for w in source.weeks]
    blocks = [u for i, u in enumerate(order) if i == 0 or order[i - 1] != u]
    assert blocks == unit_keys
    for week in source.weeks:
        assert 3 <= len(week.activities) <= 6
        assert 1 <= len(week.practice_tasks) <= 3
        assert any(a.core for a in week.activities)
        assert 50 <= sum(a.minutes for a in week.activities) <= 70


def test_missing_week_file_is_reported(curriculum_copy: Path) -> None:
    (curriculum_copy / "weeks" / "week-17.yaml").unlink()
    (problem,) = problems_of(curriculum_copy)
    assert "expected weeks 1 to 30, found 29 week files; missing [17]" in problem


def test_extra_week_is_reported(curriculum_copy: Path) -> None:
    extra = curriculum_copy / "weeks" / "week-31.yaml"
    extra.write_text(
        (curriculum_copy / "weeks" / "week-30.yaml")
        .read_text()
        .replace("week: 30", "week: 31")
        .replace("key: ", "key: x31-"),
    )
    (problem,) = problems_of(curriculum_copy)
    assert "found 31 week files; unexpected [31]" in problem


def test_same_week_number_twice(curriculum_copy: Path) -> None:
    edit(curriculum_copy / "weeks" / "week-05.yaml", "week: 5", "week: 4")
    found = problems_of(curriculum_copy)
    assert any("week-05.yaml:1: week: week 4 is also in" in p for p in found)


def test_duplicate_yaml_key_names_line(curriculum_copy: Path) -> None:
    path = curriculum_copy / "weeks" / "week-02.yaml"
    edit(path, "title:", "title: First title\ntitle:")
    (problem,) = problems_of(curriculum_copy)
    assert f"{path}:4:" in problem
    assert "duplicate key 'title' (first given on line 3)" in problem


def test_duplicate_activity_key_across_weeks(curriculum_copy: Path) -> None:
    week1 = read_curriculum(curriculum_copy)[0].weeks[0]
    first_key = week1.activities[0].key
    path = curriculum_copy / "weeks" / "week-09.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("- key:"))
    lines[index] = f"  - key: {first_key}"
    path.write_text("\n".join(lines) + "\n")
    (problem,) = problems_of(curriculum_copy)
    assert f"week-09.yaml:{index + 1}: activities[0].key: duplicate key {first_key!r}" in problem
    assert "week-01.yaml" in problem


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0", "must be a positive whole number (got 0)"),
        ("-5", "must be a positive whole number (got -5)"),
        ("12.5", "must be a whole number (got 12.5)"),
        ("ten", "must be a whole number (got 'ten')"),
        ('"10"', "must be a whole number (got '10')"),
    ],
)
def test_minutes_must_be_positive_integer(curriculum_copy: Path, bad: str, message: str) -> None:
    path = curriculum_copy / "weeks" / "week-03.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("minutes:"))
    lines[index] = f"    minutes: {bad}"
    path.write_text("\n".join(lines) + "\n")
    found = problems_of(curriculum_copy)
    assert f"{path}:{index + 1}: activities[0].minutes: {message}" in found


def test_missing_field(curriculum_copy: Path) -> None:
    path = curriculum_copy / "weeks" / "week-06.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("core:"))
    del lines[index]
    path.write_text("\n".join(lines) + "\n")
    (problem,) = problems_of(curriculum_copy)
    assert "week-06.yaml:" in problem
    assert "activities[0].core: missing field" in problem


def test_unknown_field_is_a_typo(curriculum_copy: Path) -> None:
    edit(curriculum_copy / "weeks" / "week-07.yaml", "summary:", "sumary:")
    (problem,) = problems_of(curriculum_copy)
    assert "week-07.yaml:4: sumary: unknown field" in problem


def test_week_without_core_activity(curriculum_copy: Path) -> None:
    path = curriculum_copy / "weeks" / "week-10.yaml"
    path.write_text(path.read_text().replace("core: true", "core: false"))
    (problem,) = problems_of(curriculum_copy)
    assert "week-10.yaml:" in problem
    assert "activities: no core activity" in problem


def test_too_few_activities_and_tasks(curriculum_copy: Path) -> None:
    path = curriculum_copy / "weeks" / "week-11.yaml"
    text = path.read_text()
    head, _tasks = text.split("practice_tasks:")
    path.write_text(head + "practice_tasks: []\n")
    (problem,) = problems_of(curriculum_copy)
    assert "practice_tasks: this list should have at least 1 item" in problem.lower()


def test_unknown_unit(curriculum_copy: Path) -> None:
    edit(curriculum_copy / "weeks" / "week-12.yaml", "unit: anger", "unit: angr")
    (problem,) = problems_of(curriculum_copy)
    assert "week-12.yaml:2: unit: unknown unit 'angr'" in problem


def test_bad_key_format(curriculum_copy: Path) -> None:
    edit(curriculum_copy / "weeks" / "week-13.yaml", "- key: ", "- key: Bad Key ")
    (problem,) = problems_of(curriculum_copy)
    assert "activities[0].key: use lowercase letters, digits and hyphens" in problem


def test_invalid_yaml_gives_line(curriculum_copy: Path) -> None:
    path = curriculum_copy / "weeks" / "week-14.yaml"
    path.write_text("week: 14\nunit: [identity\ntitle: x\n")
    (problem,) = problems_of(curriculum_copy)
    assert str(path) in problem
    assert "not valid YAML" in problem


def test_file_that_is_not_a_mapping(curriculum_copy: Path) -> None:
    (curriculum_copy / "weeks" / "week-15.yaml").write_text("- just\n- a list\n")
    found = problems_of(curriculum_copy)
    assert any("week-15.yaml:1: must be a mapping" in p for p in found)


def test_header_errors(curriculum_copy: Path) -> None:
    edit(curriculum_copy / "curriculum.yaml", "weeks: 30", "weeks: zero")
    found = problems_of(curriculum_copy)
    assert any(
        "curriculum.yaml:" in p and "programme.weeks: must be a whole number" in p for p in found
    )


def test_every_problem_is_reported_at_once(curriculum_copy: Path) -> None:
    edit(curriculum_copy / "weeks" / "week-01.yaml", "minutes: ", "minutes: -", 1)
    edit(curriculum_copy / "weeks" / "week-20.yaml", "title:", "titel:", 1)
    found = problems_of(curriculum_copy)
    assert len(found) >= 2
    assert any("week-01.yaml" in p for p in found)
    assert any("week-20.yaml" in p for p in found)


def test_minutes_far_from_target_is_a_warning(curriculum_copy: Path) -> None:
    path = curriculum_copy / "weeks" / "week-21.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("minutes:"))
    lines[index] = "    minutes: 90"
    path.write_text("\n".join(lines) + "\n")
    _, warnings = read_all(curriculum_copy)
    assert len(warnings) == 1
    assert "target is 60" in str(warnings[0])


def test_not_a_curriculum_folder(tmp_path: Path) -> None:
    assert "no curriculum here" in problems_of(tmp_path)[0]
    assert "no such file or folder" in problems_of(tmp_path / "missing")[0]
