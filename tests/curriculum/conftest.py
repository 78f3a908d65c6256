from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CURRICULUM


@pytest.fixture
def curriculum_copy(tmp_path: Path) -> Path:
    """An editable copy of the repo's curriculum folder (curriculum/tandem-skills)."""
    target = tmp_path / "curriculum" / "tandem-skills"
    shutil.copytree(CURRICULUM / "tandem-skills", target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
