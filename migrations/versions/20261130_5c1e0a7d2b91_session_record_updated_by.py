"""session_record.updated_by: who saved a register last

Revision ID: 5c1e0a7d2b91
Revises: 02f8063c59d1
Create Date: 2026-11-30 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e0a7d2b91"
down_revision: str | Sequence[str] | None = "02f8063c59d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_session_record_updated_by_user_account"),
            "user_account",
            ["updated_by"],
            ["id"],
        )
    # Until now only the first recorder was kept: the best knowledge of who saved last.
    op.execute("UPDATE session_record SET updated_by = recorded_by")


def downgrade() -> None:
    with op.batch_alter_table("session_record", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_session_record_updated_by_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("updated_by")
