"""Issue 17: the outcomes report. No schema change: the report is computed on request from
the assessment, life_event, measure and attendance tables (i17_outcomes made them, with the
index on assessment (org_id, measure_key, timepoint) its one query of assessments uses), and
it stores nothing.

Revision ID: i17_report
Revises: i17_events
Create Date: 2026-12-01 03:10:00
"""

from collections.abc import Sequence

revision: str = "i17_report"
down_revision: str | Sequence[str] | None = "i17_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
