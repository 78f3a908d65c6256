"""Issue 16: the calendar feed's stand-in for a child (organisation.calendar_child_label: reference, initials or first name; existing organisations get "reference"). The reminders need no table of their own: each is an outbox message whose unique dedupe key (kind, object, day, recipient) makes it once only.

Revision ID: i16_notifications
Revises: i16_sso
Create Date: 2026-12-01 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i16_notifications"
down_revision: str | Sequence[str] | None = "i16_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "calendar_child_label",
                sa.Enum(
                    "reference",
                    "initials",
                    "first_name",
                    name="calendar_child_label",
                    native_enum=False,
                    create_constraint=True,
                    length=18,
                ),
                server_default="reference",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        # The CHECK names the column: it goes first (SQLite rebuilds the table without it).
        batch_op.drop_constraint(op.f("ck_organisation_calendar_child_label"), type_="check")
        batch_op.drop_column("calendar_child_label")
