"""Issue 15: concern reviews (a placeholder in the chain until its change lands; empty is a no-op)

Revision ID: i15_concern_reviews
Revises: i15_child_import
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

revision: str = "i15_concern_reviews"
down_revision: str | Sequence[str] | None = "i15_child_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
