"""Issue 17: measure, assessment, life_event; the organisation's outcome windows (6 weeks) and
its pseudonym key (random, one per organisation)

Revision ID: i17_outcomes
Revises: i16_recovery_argon2
Create Date: 2026-12-01 02:58:33.266692
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i17_outcomes"
down_revision: str | Sequence[str] | None = "i16_recovery_argon2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_measure_key_version")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("measure_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("measure_version", sa.Integer(), nullable=False),
        sa.Column("informant", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column(
            "timepoint",
            sa.Enum(
                "baseline",
                "end",
                "follow_up_6m",
                "follow_up_12m",
                name="timepoint",
                native_enum=False,
                create_constraint=True,
                length=21,
            ),
            nullable=False,
        ),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_assessment_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_assessment_created_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_assessment_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint(
            "org_id",
            "child_id",
            "measure_key",
            "informant",
            "timepoint",
            name=op.f("uq_assessment_org_id_child_id_measure_key_informant_timepoint"),
        ),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_child_id"), ["child_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assessment_org_id_measure_key_timepoint"),
            ["org_id", "measure_key", "timepoint"],
            unique=False,
        )

    op.create_table(
        "life_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "placement_move",
                "residential_placement",
                "reunification",
                "adoption",
                "special_guardianship",
                "missing_episode",
                "police_contact",
                "school_exclusion",
                name="event_kind",
                native_enum=False,
                create_constraint=True,
                length=29,
            ),
            nullable=False,
        ),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_life_event_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_life_event_created_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_life_event_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_life_event")),
    )
    with op.batch_alter_table("life_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_life_event_org_id_child_id_date"),
            ["org_id", "child_id", "date"],
            unique=False,
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        for name in ("outcome_baseline_weeks", "outcome_end_weeks", "outcome_follow_up_weeks"):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="6"))
        batch_op.add_column(
            sa.Column("pseudonym_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    # Each organisation's own random key for the evaluators' pseudonyms.
    organisation = sa.table("organisation", sa.column("id"), sa.column("pseudonym_key"))
    connection = op.get_bind()
    for (org_id,) in connection.execute(sa.select(organisation.c.id)).all():
        connection.execute(
            organisation.update()
            .where(organisation.c.id == org_id)
            .values(pseudonym_key=secrets.token_hex(32))
        )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.alter_column(
            "pseudonym_key",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("pseudonym_key")
        batch_op.drop_column("outcome_follow_up_weeks")
        batch_op.drop_column("outcome_end_weeks")
        batch_op.drop_column("outcome_baseline_weeks")

    with op.batch_alter_table("life_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_life_event_org_id_child_id_date"))

    op.drop_table("life_event")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_org_id_measure_key_timepoint"))
        batch_op.drop_index(batch_op.f("ix_assessment_child_id"))

    op.drop_table("assessment")
    op.drop_table("measure")
