"""Issue 17: the demo's assessments and life events. No schema change: `tandem demo`
(app/demo/outcomes.py) writes rows into the assessment and life_event tables that
i17_outcomes created, with the columns they already have; nothing of the demo lives in the
schema.

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
