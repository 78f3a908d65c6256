"""Issue 16: sso_config.trust_provider_mfa, whether a sign-in through the organisation's provider
counts as two-step when its ID token does not say so (off for existing settings)

Revision ID: i16_sso_mfa
Revises: i16_notifications
Create Date: 2026-12-01 02:37:02.832925
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i16_sso_mfa"
down_revision: str | Sequence[str] | None = "i16_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sso_config", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("trust_provider_mfa", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sso_config", schema=None) as batch_op:
        batch_op.drop_column("trust_provider_mfa")
