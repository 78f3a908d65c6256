"""Issue 17: assessments: entry, corrections, due dates (PLACEHOLDER: filled by its helper; if no schema change is needed, say why here)

Revision ID: i17_assessments
Revises: i17_measures
Create Date: 2026-12-01 03:10:00
"""

from collections.abc import Sequence

revision: str = "i17_assessments"
down_revision: str | Sequence[str] | None = "i17_measures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
