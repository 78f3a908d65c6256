"""group_session.closure_id: the closure that cancelled a session

Revision ID: d7265ad5f22a
Revises: 5c1e0a7d2b91
Create Date: 2026-11-30 10:59:18.026114
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7265ad5f22a"
down_revision: str | Sequence[str] | None = "5c1e0a7d2b91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Until now a closure left only its words on the sessions it cancelled: a cancel reason of
# "Closure: " and its reason (cut to the column's 200 characters). A session so cancelled,
# dated inside a closure of its organisation whose scope (every cohort, or its own) and
# reason match, was cancelled by the first such closure: a later one finds it cancelled
# already and leaves it alone. A session cancelled by hand with other words keeps no link.
BACKFILL = """
UPDATE group_session SET closure_id = (
    SELECT MIN(closure.id) FROM closure
    WHERE closure.org_id = group_session.org_id
      AND (closure.cohort_id IS NULL OR closure.cohort_id = group_session.cohort_id)
      AND closure.start_date <= group_session.date
      AND closure.end_date >= group_session.date
      AND SUBSTR('Closure: ' || closure.reason, 1, 200) = group_session.cancel_reason
)
WHERE status = 'cancelled' AND cancel_reason LIKE 'Closure: %'
"""


def upgrade() -> None:
    with op.batch_alter_table("group_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closure_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_group_session_org_id_closure_id"), ["org_id", "closure_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_group_session_closure_id_closure"),
            "closure",
            ["closure_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("group_session", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_group_session_closure_id_closure"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_group_session_org_id_closure_id"))
        batch_op.drop_column("closure_id")
