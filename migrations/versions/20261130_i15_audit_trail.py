"""Issue 15: audit trail: an index for the "who made the change" filter

The readable audit trail filters by the person who made a change (newest first, within the
organisation); the index (org_id, actor_id, at) serves that filter as the two existing
indexes serve the date and the record filters.

Revision ID: i15_audit_trail
Revises: i15_controlled_lists
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "i15_audit_trail"
down_revision: str | Sequence[str] | None = "i15_controlled_lists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_event_org_id_actor_id_at"),
            ["org_id", "actor_id", "at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_org_id_actor_id_at"))
