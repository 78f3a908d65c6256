"""Issue 16: recovery codes kept as Argon2 hashes (recovery_code.code_hash widened to 255); codes
kept as SHA-256 before cannot be checked any more and are removed (their owners get a new set
on the two-step sign-in page)

Revision ID: i16_recovery_argon2
Revises: i16_sso_mfa
Create Date: 2026-12-01 03:05:00
"""

from collections.abc import Sequence

import sqlmodel
from alembic import op

revision: str = "i16_recovery_argon2"
down_revision: str | Sequence[str] | None = "i16_sso_mfa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM recovery_code")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.alter_column(
            "code_hash",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            type_=sqlmodel.sql.sqltypes.AutoString(length=255),
            existing_nullable=False,
        )


def downgrade() -> None:
    op.execute("DELETE FROM recovery_code")  # an Argon2 hash does not fit the old column
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.alter_column(
            "code_hash",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=255),
            type_=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_nullable=False,
        )
