"""Issue 15: flag_acknowledgement, a lead's note on a past flag that takes it off the flags

Revision ID: i15_flag_acknowledgements
Revises: i15_concern_reviews
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i15_flag_acknowledgements"
down_revision: str | Sequence[str] | None = "i15_concern_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flag_acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["user_account.id"],
            name=op.f("fk_flag_acknowledgement_acknowledged_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], name=op.f("fk_flag_acknowledgement_cohort_id_cohort")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_flag_acknowledgement_org_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["group_session.id"],
            name=op.f("fk_flag_acknowledgement_session_id_group_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_acknowledgement")),
        sa.UniqueConstraint(
            "org_id", "kind", "subject", name=op.f("uq_flag_acknowledgement_org_id_kind_subject")
        ),
    )


def downgrade() -> None:
    op.drop_table("flag_acknowledgement")
