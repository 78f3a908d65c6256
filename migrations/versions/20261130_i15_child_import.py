"""Issue 15: the children import (no schema change: it writes the existing tables; kept empty so the chain stays as released)

Revision ID: i15_child_import
Revises: i15_cohort_changes
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

revision: str = "i15_child_import"
down_revision: str | Sequence[str] | None = "i15_cohort_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
