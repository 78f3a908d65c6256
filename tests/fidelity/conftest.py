from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.support.builder import Builder
from tests.support.people import People


@pytest.fixture
def build(db: Session, people: People, curriculum_id: int) -> Builder:
    """Rows for organisation A, inserted straight (tests/support/builder.py)."""
    return Builder(db, people, curriculum_id)
