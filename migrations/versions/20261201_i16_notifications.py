"""Issue 16: reminders and the calendar feed's stand-in for a child (PLACEHOLDER: filled by its helper; if no schema change is needed, say why here)

Revision ID: i16_notifications
Revises: i16_sso
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

revision: str = "i16_notifications"
down_revision: str | Sequence[str] | None = "i16_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
