"""Issue 15: concern_review (a lead's reviews of a safeguarding concern) and who called off a cancelled visit and why

A concern already marked reviewed gets a review row ("other", saying it was reviewed before
reviews were recorded), so that every closed concern has its review and the flag, which
reads mentor_visit.concern_reviewed_at, does not come back.

Revision ID: i15_concern_reviews
Revises: i15_child_import
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i15_concern_reviews"
down_revision: str | Sequence[str] | None = "i15_child_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_NOTE = "Marked as reviewed before Tandem recorded what the review decided."

ACTIONS = (
    "discussed_with_social_worker",
    "referred_to_mash",
    "reported_to_police",
    "no_further_action",
    "other",
)
CALLED_OFF_BY = ("mentor", "child", "carer", "school", "social_worker", "programme")


def upgrade() -> None:
    op.create_table(
        "concern_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                *ACTIONS,
                name="concern_review_action",
                native_enum=False,
                create_constraint=True,
                length=36,
            ),
            nullable=False,
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_concern_review_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["mentor_visit.id"],
            name=op.f("fk_concern_review_visit_id_mentor_visit"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["user_account.id"],
            name=op.f("fk_concern_review_reviewed_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_review")),
    )
    with op.batch_alter_table("concern_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concern_review_org_id_visit_id"), ["org_id", "visit_id"], unique=False
        )
    with op.batch_alter_table("mentor_visit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "called_off_by",
                sa.Enum(
                    *CALLED_OFF_BY,
                    name="visit_called_off_by",
                    native_enum=False,
                    create_constraint=True,
                    length=21,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )

    visit = sa.table(
        "mentor_visit",
        sa.column("id", sa.Integer()),
        sa.column("org_id", sa.Integer()),
        sa.column("safeguarding_concern", sa.Boolean()),
        sa.column("concern_reviewed_at", sa.DateTime(timezone=True)),
        sa.column("concern_reviewed_by", sa.Integer()),
    )
    review = sa.table(
        "concern_review",
        sa.column("org_id", sa.Integer()),
        sa.column("visit_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("note", sa.String()),
        sa.column("escalated", sa.Boolean()),
        sa.column("reviewed_by", sa.Integer()),
        sa.column("reviewed_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        review.insert().from_select(
            ["org_id", "visit_id", "action", "note", "escalated", "reviewed_by", "reviewed_at"],
            sa.select(
                visit.c.org_id,
                visit.c.id,
                sa.literal("other", sa.String()),
                sa.literal(BACKFILL_NOTE, sa.String()),
                sa.false(),
                visit.c.concern_reviewed_by,
                visit.c.concern_reviewed_at,
            ).where(
                visit.c.safeguarding_concern.is_(sa.true()),
                visit.c.concern_reviewed_at.is_not(None),
            ),
        )
    )


def downgrade() -> None:
    # The visits keep concern_reviewed_at, so the flags stay as they were.
    with op.batch_alter_table("mentor_visit", schema=None) as batch_op:
        # SQLite's batch copy would keep the column's CHECK constraint: drop it first.
        batch_op.drop_constraint(batch_op.f("ck_mentor_visit_visit_called_off_by"), type_="check")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("called_off_by")
    with op.batch_alter_table("concern_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_review_org_id_visit_id"))
    op.drop_table("concern_review")
