"""Issue 16: TOTP MFA and recovery codes, the organisation's MFA settings (PLACEHOLDER: filled by its helper; if no schema change is needed, say why here)

Revision ID: i16_mfa
Revises: i16_account_links
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

revision: str = "i16_mfa"
down_revision: str | Sequence[str] | None = "i16_account_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
