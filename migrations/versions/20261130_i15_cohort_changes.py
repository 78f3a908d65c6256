"""Issue 15: cohort changes: cohort.archived_at and session_staffing (who runs a session)

A session with no session_staffing rows is run by its cohort's facilitators, so existing
sessions need no rows: nothing to backfill.

Revision ID: i15_cohort_changes
Revises: 1b082ae64fe2
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i15_cohort_changes"
down_revision: str | Sequence[str] | None = "1b082ae64fe2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "session_staffing",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_session_staffing_org_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["group_session.id"],
            name=op.f("fk_session_staffing_session_id_group_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_session_staffing_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_session_staffing")),
    )
    with op.batch_alter_table("session_staffing", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_staffing_org_id_user_id"), ["org_id", "user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_staffing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_staffing_org_id_user_id"))
    op.drop_table("session_staffing")
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
