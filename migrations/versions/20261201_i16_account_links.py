"""Issue 16: invitation and reset links (PLACEHOLDER: filled by its helper; if no schema change is needed, say why here)

Revision ID: i16_account_links
Revises: i16_outbox
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

revision: str = "i16_account_links"
down_revision: str | Sequence[str] | None = "i16_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
