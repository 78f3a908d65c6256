"""Issue 16: two-step sign-in. On user_account the TOTP secret (pending until confirmed),
when it was confirmed, the last accepted time step, when the organisation's requirement
first applied to the person and the end of their grace period; on web_session how the
person signed in (password or single sign-on); the recovery_code table (SHA-256 of each
single-use code); the sign_in_challenge table (a sign-in waiting for its code); on
organisation require_mfa_for (roles, existing organisations get admin and lead) and
mfa_grace_days (14).

Revision ID: i16_mfa
Revises: i16_account_links
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i16_mfa"
down_revision: str | Sequence[str] | None = "i16_account_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "require_mfa_for", sa.JSON(), server_default='["admin", "lead"]', nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("mfa_grace_days", sa.Integer(), server_default="14", nullable=False)
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mfa_secret", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("mfa_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("mfa_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("mfa_required_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("mfa_setup_due", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "method",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="password",
                nullable=False,
            )
        )

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_recovery_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sign_in_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("csrf_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_sign_in_challenge_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_challenge")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_challenge_token_hash")),
    )
    with op.batch_alter_table("sign_in_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_challenge_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_challenge_user_id"))
    op.drop_table("sign_in_challenge")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))
    op.drop_table("recovery_code")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_column("method")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("mfa_setup_due")
        batch_op.drop_column("mfa_required_since")
        batch_op.drop_column("mfa_last_step")
        batch_op.drop_column("mfa_enabled_at")
        batch_op.drop_column("mfa_secret")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("mfa_grace_days")
        batch_op.drop_column("require_mfa_for")
