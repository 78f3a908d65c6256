"""Issue 17: life events and the evaluators' file. No schema change: the life_event table, its
(org_id, child_id, date) index and the organisation's pseudonym_key come with i17_outcomes;
the evaluators' file is computed from existing tables, and a correction edits the row in
place (the audit trail keeps what changed), so no column is added.

Revision ID: i17_events
Revises: i17_assessments
Create Date: 2026-12-01 03:10:00
"""

from collections.abc import Sequence

revision: str = "i17_events"
down_revision: str | Sequence[str] | None = "i17_assessments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
