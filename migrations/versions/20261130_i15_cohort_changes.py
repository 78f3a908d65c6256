"""Issue 15: cohort changes (a placeholder in the chain until its change lands; empty is a no-op)

Revision ID: i15_cohort_changes
Revises: 1b082ae64fe2
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

revision: str = "i15_cohort_changes"
down_revision: str | Sequence[str] | None = "1b082ae64fe2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
