"""calendar_feed.token_hash: feed addresses kept as their SHA-256, not in plain text

Revision ID: 1b082ae64fe2
Revises: 49508261f0d1
Create Date: 2026-11-30 13:56:43.451486
"""

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1b082ae64fe2"
down_revision: str | Sequence[str] | None = "49508261f0d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each address is hashed in place (the same SHA-256 as session and API tokens), so the
# addresses people have already added to their calendars keep working. A downgrade cannot
# bring them back: everyone gets a new address, to be added again.


def upgrade() -> None:
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    feeds = connection.execute(sa.text("SELECT user_id, token FROM calendar_feed")).all()
    for user_id, token in feeds:
        connection.execute(
            sa.text("UPDATE calendar_feed SET token_hash = :digest WHERE user_id = :user_id"),
            {"digest": hashlib.sha256(token.encode("utf-8")).hexdigest(), "user_id": user_id},
        )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_calendar_feed_token"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_calendar_feed_token_hash"), ["token_hash"])
        batch_op.drop_column("token")


def downgrade() -> None:
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.text("SELECT user_id FROM calendar_feed")).all():
        connection.execute(
            sa.text("UPDATE calendar_feed SET token = :token WHERE user_id = :user_id"),
            {"token": secrets.token_urlsafe(32), "user_id": user_id},
        )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_calendar_feed_token_hash"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_calendar_feed_token"), ["token"])
        batch_op.drop_column("token_hash")
