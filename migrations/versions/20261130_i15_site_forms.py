"""Issue 15: kept form entries (no schema change: they wait in cookies; kept empty so the chain stays as released)

Revision ID: i15_site_forms
Revises: i15_audit_trail
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

revision: str = "i15_site_forms"
down_revision: str | Sequence[str] | None = "i15_audit_trail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
