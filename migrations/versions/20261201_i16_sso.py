"""Issue 16: single sign-on. sso_config, each organisation's OpenID Connect provider (issuer,
client id, email domains, button label, whether to trust its email addresses; the client
secret stays in the environment), and sso_login, the sign-ins under way (state and browser
cookie as SHA-256, the nonce, where to go after; ten minutes, one use)

Revision ID: i16_sso
Revises: i16_mfa
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i16_sso"
down_revision: str | Sequence[str] | None = "i16_mfa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sso_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("issuer", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("button_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("trust_provider_emails", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_sso_config_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_config")),
        sa.UniqueConstraint("org_id", name=op.f("uq_sso_config_org_id")),
    )
    op.create_table(
        "sso_login",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("browser_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_sso_login_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_login")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_sso_login_state_hash")),
    )
    with op.batch_alter_table("sso_login", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_login_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sso_login", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_login_org_id"))
    op.drop_table("sso_login")
    op.drop_table("sso_config")
