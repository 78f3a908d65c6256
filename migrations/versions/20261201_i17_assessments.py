"""Issue 17: assessments: entry, corrections, due dates. No schema change: i17_outcomes made
the assessment table (with its unique child/measure/informant/timepoint constraint, which
refuses a second one under a race, and its version for corrections) and the organisation's
three window widths; the windows and what is due are worked out from the sessions on read.

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
