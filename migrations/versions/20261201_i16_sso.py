"""Issue 16: single sign-on settings per organisation (PLACEHOLDER: filled by its helper; if no schema change is needed, say why here)

Revision ID: i16_sso
Revises: i16_mfa
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

revision: str = "i16_sso"
down_revision: str | Sequence[str] | None = "i16_mfa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
