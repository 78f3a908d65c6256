"""Issue 17: the measures' loader. No schema change: the measure table (key, version, name,
content_hash, definition JSON, loaded_at; unique key and version) made by i17_outcomes holds
everything `tandem outcomes load` stores, and the measures are loaded from outcomes/ by that
command, not by a migration (like the curriculum), so that changed files load as new
versions without a new revision.

Revision ID: i17_measures
Revises: i17_outcomes
Create Date: 2026-12-01 03:10:00
"""

from collections.abc import Sequence

revision: str = "i17_measures"
down_revision: str | Sequence[str] | None = "i17_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
