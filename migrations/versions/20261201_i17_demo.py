"""Issue 17: the demo's and seed-scale's assessments and events (PLACEHOLDER: filled by its helper; if no schema change is needed, say why here)

Revision ID: i17_demo
Revises: i17_report
Create Date: 2026-12-01 03:10:00
"""

from collections.abc import Sequence

revision: str = "i17_demo"
down_revision: str | Sequence[str] | None = "i17_report"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
