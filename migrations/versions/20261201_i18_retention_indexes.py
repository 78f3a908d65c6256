"""Issue 18: retention's selection asks, for every child, whether any enrolment of theirs
(or a session on its register) is later than the cutoff; enrolment had no index that
starts with the child (only the partial unique one on active enrolments), so each child's
NOT EXISTS read every enrolment of the organisation. An index on enrolment (org_id,
child_id) makes it a lookup.

Revision ID: i18_retention_indexes
Revises: i18_records
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "i18_retention_indexes"
down_revision: str | Sequence[str] | None = "i18_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrolment_org_id_child_id"), ["org_id", "child_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_org_id_child_id"))
