"""Issue 18: records from consent to erasure. The organisation's retention period (6 years
after the last involvement) and privacy notice; a child's legal hold, anonymisation time and
age at the first session (their date of birth may then be removed); a user's anonymisation
time; record_view, who looked at a child's record.

Revision ID: i18_records
Revises: i17_demo
Create Date: 2026-12-01 05:21:11.609054
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i18_records"
down_revision: str | Sequence[str] | None = "i17_demo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_record_view_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_record_view_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_record_view_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_view")),
    )
    with op.batch_alter_table("record_view", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_view_org_id_at"), ["org_id", "at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_view_org_id_child_id_at"),
            ["org_id", "child_id", "at"],
            unique=False,
        )

    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("legal_hold", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "legal_hold_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
            )
        )
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("age_at_first_session", sa.Integer(), nullable=True))
        batch_op.alter_column("date_of_birth", existing_type=sa.DATE(), nullable=True)

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "retention_years_after_last_involvement",
                sa.Integer(),
                server_default="6",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("privacy_notice", sa.Text(), nullable=True))

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("privacy_notice")
        batch_op.drop_column("retention_years_after_last_involvement")

    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.alter_column("date_of_birth", existing_type=sa.DATE(), nullable=False)
        batch_op.drop_column("age_at_first_session")
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("legal_hold_reason")
        batch_op.drop_column("legal_hold")

    with op.batch_alter_table("record_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_view_org_id_child_id_at"))
        batch_op.drop_index(batch_op.f("ix_record_view_org_id_at"))

    op.drop_table("record_view")
